"""The OpenAPI 3 document of the exchange API, built on each request from the app's own URL map and the
`Operation` each route was declared with (programme/sharing/guard.py), and the bodies' schemas
(programme/sharing/schemas.py) that also check what is pushed. A route without its Operation cannot be
published (KeyError), and one cannot be documented without being routed, so the document cannot drift.

apispec (marshmallow-code's generator) assembles the document: it keeps the components, the security scheme and
the references right; we give it plain JSON Schema, as the app uses no marshmallow."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Flask

from programme.sharing import schemas
from programme.sharing.guard import OPERATIONS, Operation, bp

VERSION = "1.0.0"
PARAMETERS: dict[str, dict[str, Any]] = {
    "year": {"schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
             "description": "the programme year (plan year); statistics default to this year in Beijing"},
    "city": {"schema": {"type": "string", "example": "330100"},
             "description": "a city union's code: only what falls in that city's counties"},
    "updated_since": {"schema": {"type": "string", "format": "date-time"},
                      "description": "only applications applied, verified, admitted, closed or enrolled at or after "
                                     "this moment (ISO 8601; without an offset, UTC)"},
    "page": {"schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1}},
    "per_page": {"schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
}
ERRORS = {400: "invalid input, with `fields` naming each wrong field (codes: invalid_result, bad_query)",
          401: "no token, or an invalid or revoked one (token_missing, token_invalid, token_revoked)",
          403: "the token lacks the scope (insufficient_scope) or its department cannot do this (wrong_department)",
          409: "a different result is already held under this number from the same issuer: for a certificate, the "
               "sending department; for a diploma, the awarding institution (conflicting_result)",
          429: "over the token's rate limit (too_many_requests); see Retry-After"}
DESCRIPTION = (
    "Data sharing (数据对接) between the dual-upgrade programme and the provincial education and HR departments. "
    "Every call but this document needs `Authorization: Bearer <token>`; a site admin makes a token for one "
    "department with the scopes it needs and shows it once. Calls are audited and rate-limited per token. Errors "
    "are `{\"error\": {\"code\", \"message\", \"fields\"}}` with a stable `code`. Times are UTC; dates are "
    "calendar days in Beijing.")


def _ref(name: str) -> dict[str, Any]:
    return {"type": "object"} if name == "OpenAPI" else {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(endpoint: str, op: Operation, method: str) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": endpoint.split(".", 1)[1], "summary": op.summary,
                             "description": op.description, "tags": ["exchange"],
                             "responses": {str(s): _json(_ref(op.answer), "success") for s in (op.status, *op.also)}}
    found["parameters"] = [{"name": name, "in": "query", "required": False, **PARAMETERS[name]} for name in op.params]
    if op.body:
        found["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.body)}}}
    if op.scope is None:
        found["security"] = []
        return found
    found["x-scope"] = op.scope or "any"
    codes = [401, 429] + ([403] if op.scope else []) + ([400] if op.params or op.body else [])
    codes += [409] if method == "post" else []
    for code in codes:
        found["responses"][str(code)] = _json(_ref("Error"), ERRORS[code])
    found["responses"]["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                            "description": "seconds to wait"}}
    return found


def _path(rule: str) -> str:
    """Werkzeug's `<int:id>` as OpenAPI's `{id}`."""
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule)


def document(app: Flask) -> dict[str, Any]:
    spec = APISpec(title="Qiuxue exchange API (求学 数据对接接口)", version=VERSION, openapi_version="3.0.3",
                   info={"description": DESCRIPTION}, security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "a department's token (qxe_...)"})
    for name, schema in schemas.COMPONENTS.items():
        spec.components.schema(name, schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        op = OPERATIONS[rule.endpoint]  # KeyError: a route added without `operation(...)`, so undocumented
        methods = sorted(m.lower() for m in (rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(path=_path(rule.rule), operations={m: _operation(rule.endpoint, op, m) for m in methods})
    return spec.to_dict()
