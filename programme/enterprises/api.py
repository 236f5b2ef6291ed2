"""The enterprise's JSON API, for a company's own HR system: its consenting workers' progress, and a batch
enrolment by phone numbers (all or nothing, each refused row named). It needs a login (and the X-CSRFToken
header to post) and goes through the same services as the pages; errors are `{"error": {"code", "message",
"fields"}}` with the per-row messages under `fields` ("row-3": "第3行：...")."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _

from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, Role, User
from app.errors import DomainError, Forbidden, Invalid
from app.extensions import db
from app.web import current_user_required, json_object
from programme.enterprises import batch, progress
from programme.web import api_bp


def _enterprise(me: User, code: str | None) -> Organisation:
    own = scope.orgs_of(me, roles=(Role.enterprise_staff,), kinds=(OrgKind.enterprise,))
    found = next((o for o in own if o.code == code), own[0] if own and not code else None)
    if found is None:
        raise Forbidden(_("只有企业工作人员可以使用这个页面。"), code="forbidden")
    return found


def _worker_json(p: progress.WorkerProgress) -> dict[str, Any]:
    return {"id": p.worker.id, "name": p.sheet.holder,
            "consent_at": p.consent_at.isoformat(timespec="seconds") + "Z" if p.consent_at else None,
            "credits": p.sheet.balance,
            "courses": [{"resource_id": c.resource.id, "title": c.resource.title, "percent": c.percent,
                         "completed": c.enrolment.completed_at is not None} for c in p.courses],
            "certificates": [{"serial": c.serial, "title": c.resource_title, "revoked": c.revoked_at is not None}
                             for c in p.sheet.certificates],
            "pathways": [{"id": g.pathway.id, "title": g.pathway.title, "percent": g.percent}
                         for g in p.sheet.progress]}


@api_bp.get("/enterprise/workers")
def enterprise_workers() -> Response:
    """The consenting workers of the enterprise (`?org=` among the caller's; their first by default)."""
    me = current_user_required()
    enterprise = _enterprise(me, request.args.get("org"))
    return jsonify({"enterprise": enterprise.code,
                    "workers": [_worker_json(p) for p in progress.workers(db.session, me, enterprise)]})


@api_bp.post("/enterprise/enrolments")
def enterprise_enrolments() -> Response:
    """{"org": "ENT-..", "target": {"kind": "resource" | "pathway", "id": 12}, "phones": ["139..", ...]} ->
    {"target", "workers": [ids], "enrolled": course places now open (workers x courses)}. It replaced "new" and
    "already": who was enrolled before is the worker's learning, not the enterprise's without consent."""
    me = current_user_required()
    body = json_object()
    target, phones = body.get("target"), body.get("phones")
    if not isinstance(target, dict) or not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        raise Invalid(_("请求内容有误，请按字段说明修改。"), code="invalid_request",
                      fields={"target": '{"kind": "resource" | "pathway", "id": 12}', "phones": '["139..."]'})
    enterprise = _enterprise(me, body.get("org") if isinstance(body.get("org"), str) else None)
    rows = [batch.Row(i, phone.strip()) for i, phone in enumerate(phones, start=1)]
    try:
        found = batch.target(db.session, str(target.get("kind", "")), target.get("id"))
        result = batch.enrol_group(db.session, me, enterprise, found, rows)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify({"target": {"kind": found.kind, "id": found.id, "title": found.title},
                    "workers": [w.id for w in result.workers], "enrolled": result.enrolled})
