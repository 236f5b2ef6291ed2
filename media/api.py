"""The media JSON API: create an asset from a finished upload (and queue its transcode), read its status
and progress, cancel or retry it, attach it to a lesson, add subtitles, delete it. Our own pages call it with the
X-CSRFToken header; errors are `{"error": {"code", "message", "fields"}}` with stable codes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Invalid
from app.extensions import db
from app.text import is_digits
from app.web import current_user_required, json_object
from media import player, service, subtitles, tus
from media.models import MediaAsset
from media.service import MediaSettings

bp = Blueprint("media_api", __name__, url_prefix="/api/v1/media")


@bp.before_request
def login_required() -> None:
    if request.method != "GET":
        current_user_required()


def _lesson_id(value: object) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not is_digits(str(value)):
        raise Invalid(_("请修改标出的内容。"), code="invalid", fields={"lesson_id": _("课时编号不对。")})
    return int(str(value))


def _described(asset: MediaAsset, status: int = 200) -> Response:
    response = jsonify(player.describe(current_app, db.session, current_user, asset))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("")
def create() -> Response:
    """{upload_url, lesson_id?} -> 201 with the asset's status; 400 media_* when the file is not usable media."""
    body = json_object()
    settings = MediaSettings.of(current_app)
    upload_id = service.upload_id_from_url(str(body.get("upload_url") or ""))
    lesson_id = _lesson_id(body.get("lesson_id"))
    upload = tus.get_upload(db.session, current_user, upload_id)
    try:
        asset = service.create_asset(db.session, settings, current_user, upload, lesson_id)
    except Invalid as err:
        db.session.rollback()
        if err.code.startswith("media_"):  # the bytes are no use to anyone: free the quota now
            service.discard_upload(db.session, settings, upload_id)
            db.session.commit()
        raise
    db.session.commit()
    response = _described(asset, 201)
    response.headers["Location"] = url_for("media_api.status", asset_id=asset.id)
    return response


@bp.get("/<int:asset_id>")
def status(asset_id: int) -> Response:
    return _described(service.visible_asset(db.session, current_user, asset_id))


def _changed(asset_id: int, change: Callable[..., object]) -> Response:
    """Cancel or retry: the service call on an asset the user may see, committed, answered with the new status."""
    asset = service.visible_asset(db.session, current_user, asset_id)
    change(db.session, current_user, asset)
    db.session.commit()
    return _described(asset)


@bp.post("/<int:asset_id>/cancel")
def cancel(asset_id: int) -> Response:
    return _changed(asset_id, service.cancel)


@bp.post("/<int:asset_id>/retry")
def retry(asset_id: int) -> Response:
    settings = MediaSettings.of(current_app)
    return _changed(asset_id, lambda session, actor, asset: service.retry(session, settings, actor, asset))


@bp.post("/<int:asset_id>/lesson")
def attach(asset_id: int) -> Response:
    asset = service.visible_asset(db.session, current_user, asset_id)
    lesson_id = _lesson_id(json_object().get("lesson_id"))
    if lesson_id is None:
        raise Invalid(_("请选择课时。"), code="invalid", fields={"lesson_id": _("请选择课时。")})
    service.attach(db.session, current_user, asset, lesson_id)
    db.session.commit()
    return _described(asset)


@bp.post("/<int:asset_id>/subtitles")
def add_subtitle(asset_id: int) -> Response:
    """multipart: `file` (SRT or WebVTT) and `language` (zh-CN, en, ...)."""
    asset = service.visible_asset(db.session, current_user, asset_id)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(_("请选择字幕文件。"), code="invalid", fields={"file": _("请选择字幕文件。")})
    service.add_subtitle(db.session, MediaSettings.of(current_app), current_user, asset,
                         request.form.get("language", ""), upload.read(subtitles.MAX_BYTES + 1))
    db.session.commit()
    return _described(asset, 201)


@bp.delete("/<int:asset_id>")
def delete(asset_id: int) -> tuple[str, int]:
    """204; 409 media_in_use while a published lesson plays it. Files shared with another asset stay."""
    asset = service.visible_asset(db.session, current_user, asset_id)
    service.delete_asset(db.session, MediaSettings.of(current_app), current_user, asset)
    db.session.commit()
    return "", 204
