"""The API's bodies as JSON Schema, written once: the OpenAPI document (programme/sharing/openapi.py) publishes
them, and `check` holds every pushed body to them (required fields, types, lengths, no unknown field) before the
exchange rules (programme/exchange/imports.py) judge the values, so the document cannot promise what the code
refuses. Field names are those of the file exchange's columns."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

_ID = {"type": "string", "minLength": 18, "maxLength": 18, "pattern": "^[0-9]{17}[0-9Xx]$",
       "description": "18-digit resident ID number (checksum verified); the worker is matched by it"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 50, "description": "real name as on the ID card"}
_DAY = {"type": "string", "format": "date", "description": "YYYY-MM-DD, not later than today (Beijing)"}
_STAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601"}
_ORG = {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
        "required": ["code", "name"]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


CERTIFICATE_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["id_number", "name", "occupation", "skill_level", "certificate_no", "issued_on"],
    "properties": {
        "id_number": _ID, "name": _NAME,
        "occupation": {"type": "string", "minLength": 1, "maxLength": 100, "description": "职业（工种）"},
        "skill_level": {"type": "integer", "minimum": 1, "maximum": 5,
                        "description": "national level: 1 高级技师, 2 技师, 3 高级工, 4 中级工, 5 初级工"},
        "certificate_no": {"type": "string", "minLength": 1, "maxLength": 64,
                           "description": "the certificate's number: within the sending department, the push's "
                                          "identity (sent twice = one record)"},
        "issued_on": _DAY,
    },
}
GRADUATION_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["id_number", "name", "institution_code", "level", "major", "diploma_no", "graduated_on"],
    "properties": {
        "id_number": _ID, "name": _NAME,
        "institution_code": {"type": "string", "minLength": 1, "maxLength": 32,
                             "description": "the awarding institution's code on this site (e.g. INST-HZVTC)"},
        "level": {"type": "string", "enum": ["zhuanke", "gaoqiben", "zhuanshengben"],
                  "description": "专科, 高起本 or 专升本"},
        "major": {"type": "string", "minLength": 1, "maxLength": 100},
        "diploma_no": {"type": "string", "minLength": 1, "maxLength": 64,
                       "description": "the diploma's number: within the awarding institution, the push's identity "
                                      "(sent twice = one record)"},
        "graduated_on": _DAY,
    },
}
_RESULT = {"id": {"type": "integer"}, "created": {"type": "boolean", "description": "false: already held"},
           "matched_worker": {"type": "boolean", "description": "a worker with this ID number has an account"}}
CERTIFICATE = {"type": "object", "required": ["id", "created", "matched_worker", "certificate"],
               "properties": {**_RESULT, "certificate": CERTIFICATE_IN}}
GRADUATION = {"type": "object", "required": ["id", "created", "matched_worker", "graduation"],
              "properties": {**_RESULT, "graduation": GRADUATION_IN}}
APPLICATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "year": {"type": "integer"},
        "status": {"type": "string", "enum": ["applied", "verified", "admitted", "enrolled", "rejected", "withdrawn"]},
        "level": {"type": "string"},
        "person": {"type": "object", "properties": {"name": {"type": "string"}, "id_number": _nullable(_ID)}},
        "offering": {"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["academic", "training"]},
            "major": {"type": "string"}, "institution": _ORG}},
        "county": _ORG, "city": _nullable(_ORG),
        "applied_at": _STAMP, "verified_at": _nullable(_STAMP), "admitted_at": _nullable(_STAMP),
        "closed_at": _nullable(_STAMP), "updated_at": _STAMP,
        "enrolment": _nullable({"type": "object", "properties": {
            "student_number": {"type": "string"}, "enrolled_on": _DAY, "graduated_on": _nullable(_DAY)}}),
    },
}
PAGE_FIELDS = {"page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
               "pages": {"type": "integer"}}
_FIGURE = {"type": "integer", "nullable": True,
           "description": "null: withheld, a group smaller than the site's threshold (or needed to hide one)"}
STATISTICS = {
    "type": "object",
    "properties": {
        "year": {"type": "integer"}, "region": _ORG,
        "min_group": {"type": "integer", "description": "figures below this are withheld"},
        "metrics": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "metric key -> what it counts"},
        "rows": {"type": "array", "items": {"type": "object", "properties": {
            "region": _ORG, "figures": {"type": "object", "additionalProperties": _FIGURE}}}},
        "total": {"type": "object", "additionalProperties": _FIGURE},
    },
}
TOKEN_INFO = {"type": "object", "properties": {
    "department": _ORG, "name": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string"}}}}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string", "description": "stable, for programs"},
                   "message": {"type": "string", "description": "for people (Chinese)"},
                   "fields": {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "field -> what is wrong with it"}}}}}

APPLICATION_PAGE = {"type": "object", "required": ["items", *PAGE_FIELDS], "properties": {
    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}, **PAGE_FIELDS}}

COMPONENTS: dict[str, dict[str, Any]] = {
    "CertificateIn": CERTIFICATE_IN, "GraduationIn": GRADUATION_IN, "CertificateResult": CERTIFICATE,
    "GraduationResult": GRADUATION, "Application": APPLICATION, "ApplicationPage": APPLICATION_PAGE,
    "Statistics": STATISTICS, "TokenInfo": TOKEN_INFO, "Error": ERROR}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _field_error(rule: dict[str, Any], value: Any) -> str | None:
    if not _type_ok(value, rule["type"]):
        return _("应为%(kind)s。", kind=_("整数") if rule["type"] == "integer" else _("字符串"))
    if rule["type"] == "integer" and not rule.get("minimum", value) <= value <= rule.get("maximum", value):
        return _("应在 %(low)s 到 %(high)s 之间。", low=rule.get("minimum"), high=rule.get("maximum"))
    if rule["type"] == "string" and not rule.get("minLength", 0) <= len(value) <= rule.get("maxLength", len(value)):
        return _("长度应为 %(low)s 到 %(high)s 个字符。", low=rule.get("minLength", 0), high=rule.get("maxLength"))
    if "enum" in rule and value not in rule["enum"]:
        return _("可选值：%(values)s。", values=", ".join(rule["enum"]))
    return None


def check(schema: dict[str, Any], body: Any) -> dict[str, str]:
    """Every field's problem against `schema` (an object schema of flat fields), all at once; {} when none."""
    if not isinstance(body, dict):
        return {"body": _("请求内容应为 JSON 对象。")}
    errors = {name: _("不认识这个字段。") for name in body if name not in schema["properties"]}
    for name in schema["required"]:
        if body.get(name) is None:
            errors[name] = _("必填。")
    for name, rule in schema["properties"].items():
        if body.get(name) is not None and (problem := _field_error(rule, body[name])):
            errors[name] = problem
    return errors
