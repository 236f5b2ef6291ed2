"""The failed-videos page (/media/failed): the uploading organisation's staff, or a site admin, tick failed or
cancelled transcodes and queue them again at once (media/bulk.py); and its JSON twin beside the single retry,
POST /api/v1/media/retry with {"ids": [...]}."""

from __future__ import annotations

from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.accounts.policy import is_admin
from app.errors import Forbidden
from app.extensions import db
from app.web import json_object, settle_bulk
from media import api, bulk, service
from media.service import MediaSettings
from media.views import bp


@bp.get("/failed")
@login_required
def failed() -> ResponseReturnValue:
    if not (service.upload_orgs(current_user) or is_admin(current_user)):
        raise Forbidden()
    return render_template("media/failed.html", assets=bulk.failed_assets(db.session, current_user))


@bp.post("/failed")
@login_required
def failed_retry() -> ResponseReturnValue:
    settings = MediaSettings.of(current_app)
    settle_bulk(lambda: bulk.retry_many(db.session, settings, current_user, request.form.getlist("ids")))
    return redirect(url_for("media.failed"), 303)


@api.bp.post("/retry")
def retry_many() -> Response:
    """{"ids": [1, 2]} -> {"done": [ids], "refused": [{"id", "name", "reason"}]}; the selection itself refused
    (none, over 200, not numbers): 400 with a stable code."""
    ids = json_object().get("ids")
    outcome = bulk.retry_many(db.session, MediaSettings.of(current_app), current_user,
                              ids if isinstance(ids, list) else [])
    db.session.commit()
    return jsonify({"done": [int(i) for i in outcome.done_refs],
                    "refused": [{"id": int(r.ref), "name": r.name, "reason": r.reason} for r in outcome.refused]})
