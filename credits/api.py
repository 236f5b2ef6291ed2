"""The credit bank as JSON: the worker's ledger (`GET /api/v1/me/credits`) and the public certificate check
(`GET /api/v1/certificates/verify/<token>`, for employers' systems). Chinese stays readable (the app sets
ensure_ascii off); errors are `{"error": {"code", "message"}}` with stable codes."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.masking import mask_name
from app.errors import LoginRequired
from app.extensions import db
from credits import certificates, ledger, pathways

bp = Blueprint("credits_api", __name__, url_prefix="/api/v1")


@bp.before_request
def login_required() -> None:
    if request.endpoint != "credits_api.verify" and not current_user.is_authenticated:
        raise LoginRequired(_("请先登录。"))


@bp.get("/certificates/verify/<token>")
def verify(token: str) -> Response:
    """What the verification page shows, as JSON; 400 `bad_token` for altered or forged tokens."""
    found = certificates.verify(db.session, current_app.config["SECRET_KEY"], token)
    return jsonify({
        "valid": found.revoked_at is None, "revoked": found.revoked_at is not None,
        "revoked_at": found.revoked_at.isoformat(timespec="seconds") + "Z" if found.revoked_at else None,
        "revoked_reason": found.revoked_reason or None, "holder": mask_name(found.holder_name),
        "title": found.resource_title, "credits": found.credits, "serial": found.serial,
        "issued_at": found.issued_at.isoformat(timespec="seconds") + "Z", "issuer": found.issuer.name,
    })


@bp.get("/me/credits")
def my_credits() -> Response:
    """Every record (revocations included, each pointing at what it cancels), the balance, certificates
    and pathway progress."""
    user_id = current_user.id
    records = ledger.ledger(db.session, user_id)
    revoked = ledger.revoked_ids(records)
    progress = pathways.started(pathways.progress(db.session, user_id, pathways.active(db.session)))
    response = jsonify({
        "balance": ledger.balance(records),
        "records": [ledger.record_dict(r, revoked) for r in records],
        "certificates": [{
            "serial": c.serial, "resource_id": c.resource_id, "title": c.resource_title, "credits": c.credits,
            "issued_at": c.issued_at.isoformat(timespec="seconds") + "Z", "revoked": c.revoked_at is not None,
            "pdf": url_for("credits.certificate_pdf", certificate_id=c.id, _external=True),
        } for c in certificates.mine(db.session, user_id)],
        "pathways": [{
            "id": p.pathway.id, "title": p.pathway.title, "counted": p.counted, "required": p.required,
            "missing_credits": p.missing_credits, "missing_items": [i.resource_id for i in p.missing_items],
            "percent": p.percent, "complete": p.complete,
        } for p in progress],
    })
    response.headers["Cache-Control"] = "no-store"
    return response
