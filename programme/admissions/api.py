"""The programme's JSON API. Eligibility is a pure computation over what the caller sends, so
it needs no login and no CSRF token: it reads no session and changes nothing. Subsidy review (a claim beside
its record, the evidence check, the decision) needs a login and the X-CSRFToken header, and goes through the
same services as the pages; errors are `{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError, Invalid, LoginRequired
from app.extensions import csrf, db
from programme import claim_checks, eligibility, subsidies

bp = Blueprint("programme_api", __name__, url_prefix="/api/v1/programme")


def _date(value: Any, field: str, errors: dict[str, str], *, required: bool) -> date | None:
    if value is None and not required:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = _("日期格式应为 年-月-日，例如 2025-09-01。")
    return None


def _choice(value: Any, allowed: tuple[str, ...], field: str, errors: dict[str, str]) -> str:
    if value not in allowed:
        errors[field] = _("可选值：%(values)s。", values=", ".join(allowed))
    return value


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
    if province is not None and not (isinstance(province, str) and province.isdigit() and len(province) == 6):
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


@bp.post("/eligibility")
@csrf.exempt
def check_eligibility():
    profile, level, notice = parse_request(request.get_json(silent=True))
    verdict = eligibility.check(profile, level, notice)
    return jsonify({"eligible": verdict.eligible,
                    "rules": [{"rule": r.rule, "passed": r.passed, "message": r.message} for r in verdict.rules]})


def _reviewer() -> Any:
    if not current_user.is_authenticated:
        raise LoginRequired(_("请先登录。"))
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _review_json(review: claim_checks.Review) -> dict[str, Any]:
    claim, record = review.claim, review.record
    return {"claim": {"id": claim.id, "status": claim.status.value, "attainment": claim.attainment.value,
                      "certificate_number": claim.certificate_number,
                      "attained_on": claim.attained_on.isoformat() if claim.attained_on else None,
                      "amount": claim.amount, "result_key": claim.result_key},
            "record": None if record is None else {"kind": type(record).__tablename__, "id": record.id},
            "rows": [{"field": r.label, "claim": r.claim_says, "record": r.record_says, "match": r.ok,
                      "note": r.note} for r in review.rows],
            "evidence_checked": review.evidence_checked, "problems": review.problems,
            "approvable": not review.problems}


@bp.get("/claims/<int:claim_id>/review")
def claim_review(claim_id: int):
    from app.accounts.policy import require

    item = subsidies.get(db.session, claim_id)
    require(_reviewer(), "subsidy.verify", item)
    return jsonify(_review_json(claim_checks.review(db.session, item)))


@bp.post("/claims/<int:claim_id>/evidence-check")
def claim_evidence_check(claim_id: int):
    body = request.get_json(silent=True) or {}
    note = body.get("note", "") if isinstance(body, dict) else ""
    try:
        item = claim_checks.check_evidence(db.session, _reviewer(), subsidies.get(db.session, claim_id),
                                           note if isinstance(note, str) else "")
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_review_json(claim_checks.review(db.session, item)))


@bp.post("/claims/<int:claim_id>/decision")
def claim_decision(claim_id: int):
    """{"decision": "approve" | "reject", "comment": "..."}: approval is refused (409 already_subsidised or
    already_decided, 400 no_evidence or mismatch, 403 own_claim) unless the claim rests on agreeing evidence."""
    body = request.get_json(silent=True)
    decision = body.get("decision") if isinstance(body, dict) else None
    comment = body.get("comment", "") if isinstance(body, dict) else ""
    if decision not in ("approve", "reject") or not isinstance(comment, str):
        raise Invalid(_("请求内容有误，请按字段说明修改。"), code="invalid_request",
                      fields={"decision": _("可选值：%(values)s。", values="approve, reject")})
    try:
        item = subsidies.decide(db.session, _reviewer(), subsidies.get(db.session, claim_id),
                                decision == "approve", comment)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_review_json(claim_checks.review(db.session, item)))
