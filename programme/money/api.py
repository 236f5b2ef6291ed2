"""The subsidy review JSON API: a claim beside its record, the evidence check and the decision. It needs a login
and the X-CSRFToken header, and goes through the same services as the pages; errors are
`{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _

from app.accounts.policy import require
from app.errors import DomainError, Invalid
from app.extensions import db
from app.web import current_user_required
from programme.money import claim_checks, subsidies
from programme.web import api_bp


def _reviewer() -> Any:
    return current_user_required()


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


@api_bp.get("/claims/<int:claim_id>/review")
def claim_review(claim_id: int) -> Response:
    item = subsidies.get(db.session, claim_id)
    require(_reviewer(), "subsidy.verify", item)
    return jsonify(_review_json(claim_checks.review(db.session, item)))


@api_bp.post("/claims/<int:claim_id>/evidence-check")
def claim_evidence_check(claim_id: int) -> Response:
    body = request.get_json(silent=True) or {}
    note = body.get("note", "") if isinstance(body, dict) else ""
    files = body.get("files") if isinstance(body, dict) else None  # the file ids the reviewer looked at
    seen = [f for f in files if isinstance(f, int) and not isinstance(f, bool)] if isinstance(files, list) else None
    try:
        item = claim_checks.check_evidence(db.session, _reviewer(), subsidies.get(db.session, claim_id),
                                           note if isinstance(note, str) else "", seen)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_review_json(claim_checks.review(db.session, item)))


@api_bp.post("/claims/<int:claim_id>/decision")
def claim_decision(claim_id: int) -> Response:
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
