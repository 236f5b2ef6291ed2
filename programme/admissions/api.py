"""The eligibility JSON API. Eligibility is a pure computation over what the caller sends, so it needs no
login and no CSRF token: it reads no session and changes nothing. Errors are
`{"error": {"code", "message", "fields"}}`; the subsidy review API is programme/money/api.py."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import Response, jsonify, request
from flask_babel import gettext as _

from app.errors import Invalid
from app.extensions import csrf
from app.text import is_digits
from programme.admissions import eligibility
from programme.web import api_bp

# Contracts and notices of the programme lie well inside these; a date outside is a typing mistake, and years
# like 9999 would overflow the rules' date arithmetic (the anniversary of 9999-12-31 is in year 10000).
EARLIEST, LATEST = date(1950, 1, 1), date(2100, 12, 31)


def _date(value: Any, field: str, errors: dict[str, str], *, required: bool) -> date | None:
    if value is None and not required:
        return None
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if EARLIEST <= day <= LATEST:
                return day
            errors[field] = _("日期应在 %(earliest)s 至 %(latest)s 之间。", earliest=EARLIEST.isoformat(),
                              latest=LATEST.isoformat())
            return None
    errors[field] = _("日期格式应为 年-月-日，例如 2025-09-01。")
    return None


def _choice(value: Any, allowed: tuple[str, ...], field: str, errors: dict[str, str]) -> str:
    if value not in allowed:
        errors[field] = _("可选值：%(values)s。", values=", ".join(allowed))
    return cast(str, value)


def parse_request(body: Any) -> tuple[eligibility.Profile, eligibility.Level, date]:
    """Validate the whole body; every problem is reported under its dotted field name."""
    errors: dict[str, str] = {}
    if not isinstance(body, dict):
        raise Invalid(_("请求体应为 JSON 对象。"), code="invalid_json")
    raw = body.get("profile")
    if not isinstance(raw, dict):
        errors["profile"] = _("缺少 profile 对象。")
        raw = {}
    if not isinstance(raw.get("union_member"), bool):
        errors["profile.union_member"] = _("应为 true 或 false。")
    province = raw.get("union_province")
    if province is not None and not (isinstance(province, str) and is_digits(province) and len(province) == 6):
        errors["profile.union_province"] = _("应为6位行政区划代码，例如 330000。")
    profile = eligibility.Profile(
        job_level=_choice(raw.get("job_level"), eligibility.JOB_LEVELS, "profile.job_level", errors),
        union_member=raw.get("union_member") is True,
        union_province=province,
        employer_type=_choice(raw.get("employer_type"), eligibility.EMPLOYER_TYPES, "profile.employer_type", errors),
        contract_start=_date(raw.get("contract_start"), "profile.contract_start", errors, required=False),
        contract_end=_date(raw.get("contract_end"), "profile.contract_end", errors, required=False),
        education=_choice(raw.get("education"), tuple(eligibility.EDUCATION_RANK), "profile.education", errors),
    )
    if profile.contract_start and profile.contract_end and profile.contract_end < profile.contract_start:
        errors["profile.contract_end"] = _("合同结束日期不能早于开始日期。")
    level = _choice(body.get("level"), tuple(eligibility.Level), "level", errors)
    notice = _date(body.get("notice_date"), "notice_date", errors, required=True)
    if errors:
        raise Invalid(_("请求内容有误，请按字段说明修改。"), code="invalid_request", fields=errors)
    assert notice is not None
    return profile, eligibility.Level(level), notice


@api_bp.post("/eligibility")
@csrf.exempt
def check_eligibility() -> Response:
    profile, level, notice = parse_request(request.get_json(silent=True))
    verdict = eligibility.check(profile, level, notice)
    return jsonify({"eligible": verdict.eligible,
                    "rules": [{"rule": r.rule, "passed": r.passed, "message": r.message} for r in verdict.rules]})
