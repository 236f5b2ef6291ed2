"""The notifications page (`/me/notifications`), following a message, the kinds a person keeps on, and the JSON
contract (`GET /api/v1/me/notifications`, `POST /api/v1/me/notifications/read`) plus the devices' push
subscriptions. Thin: the rules are in app/notifications/service.py."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from app.errors import Invalid
from app.extensions import db
from app.notifications import device_names, service
from app.notifications.kinds import KINDS
from app.web import current_user_required, json_object

bp = Blueprint("notifications", __name__)


@bp.get("/me/notifications")
@login_required
def page() -> str:
    user = current_user_required()
    before = request.args.get("before", type=int)
    items = service.latest(db.session, user.id, before=before)
    return render_template("notifications/page.html", items=items, kinds=KINDS,
                           muted=service.muted(db.session, user.id), devices=service.devices(db.session, user.id),
                           here=user.session_id, device_label=device_names.label,
                           unread=service.unread_count(db.session, user.id),
                           push_key=current_app.config["WEBPUSH_PUBLIC_KEY"],
                           more=items[-1].id if len(items) == service.PAGE_SIZE else None)


@bp.post("/me/notifications/read")
@login_required
def read_all() -> WerkzeugResponse:
    service.mark_read(db.session, current_user_required().id, None)
    db.session.commit()
    flash(_("已全部标为已读。"), "success")
    return redirect(url_for("notifications.page"))


@bp.get("/me/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int) -> WerkzeugResponse:
    """Where a message (in the list or pushed) links: marked read, then the thing it is about."""
    found = service.open_one(db.session, current_user_required().id, notification_id)
    db.session.commit()
    return redirect(found.url)


@bp.post("/me/notifications/settings")
@login_required
def settings() -> WerkzeugResponse:
    service.set_enabled(db.session, current_user_required().id, set(request.form.getlist("kind")))
    db.session.commit()
    flash(_("消息设置已保存。"), "success")
    return redirect(url_for("notifications.page") + "#settings")


@bp.post("/me/notifications/devices/<int:device_id>/remove")
@login_required
def remove_device(device_id: int) -> WerkzeugResponse:
    """移除 on 我的消息: a device the person no longer holds (or does not know) stops getting their messages."""
    service.remove_device(db.session, current_user_required().id, device_id)
    db.session.commit()
    flash(_("已移除这台设备，它不会再收到您的消息推送。"), "success")
    return redirect(url_for("notifications.page") + "#push")


@bp.get("/api/v1/me/notifications")
def api_list() -> Response:
    """Newest first with the unread count; `before` (an id) pages back, `limit` up to 100."""
    user = current_user_required()
    items = service.latest(db.session, user.id, before=request.args.get("before", type=int),
                           limit=request.args.get("limit", default=service.PAGE_SIZE, type=int))
    return jsonify({"unread": service.unread_count(db.session, user.id),
                    "items": [service.as_json(item) for item in items]})


@bp.post("/api/v1/me/notifications/read")
def api_read() -> Response:
    """`{"ids": [..]}` marks those read, `{"all": true}` every one; answers the unread count left."""
    user = current_user_required()
    body = json_object()
    ids = body.get("ids")
    if body.get("all") is True:
        chosen = None
    elif isinstance(ids, list) and ids and len(ids) <= 500 and all(type(i) is int for i in ids):
        chosen = ids
    else:
        raise Invalid(_("请给出要标为已读的消息（ids）或 all。"), code="ids_required")
    unread = service.mark_read(db.session, user.id, chosen)
    db.session.commit()
    return jsonify({"unread": unread})


@bp.post("/api/v1/me/push-subscriptions")
def api_subscribe() -> tuple[Response, int]:
    """A device's PushSubscription JSON, as `pushManager.subscribe()` gives it; kept while this login lasts."""
    user = current_user_required()
    found = service.subscribe(db.session, user.id, user.session_id or "", json_object(),
                              request.headers.get("User-Agent", ""))
    db.session.commit()
    return jsonify({"id": found.id}), 201


@bp.post("/api/v1/me/push-subscriptions/remove")
def api_unsubscribe() -> Response:
    user = current_user_required()
    endpoint = json_object().get("endpoint")
    if not isinstance(endpoint, str):
        raise Invalid(_("推送订阅无效。"), code="invalid_subscription")
    service.unsubscribe(db.session, user.id, endpoint)
    db.session.commit()
    return jsonify({"removed": True})
