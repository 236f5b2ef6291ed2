"""Media pages and files: the upload page, an asset's page (preview, subtitles, lesson, cancel/retry), and
the file routes that send playlists, segments, MP4 and pictures (public, or under a signed path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.policy import can
from app.errors import DomainError, Forbidden
from app.extensions import db
from catalog import union_catalogs
from catalog.models import Lesson
from media import lessons, player, service, serving
from media.models import MediaAsset, RenditionKind
from media.service import MediaSettings
from media.subtitles import MAX_BYTES as SUBTITLE_MAX_BYTES
from media.tus import human_size

bp = Blueprint("media", __name__, url_prefix="/media", template_folder="templates")
files = Blueprint("media_files", __name__, url_prefix="/media")


# -- files ------------------------------------------------------------------------------------------------------

def _send(asset: MediaAsset, rest: str, public: bool, max_age: int | None = None) -> ResponseReturnValue:
    key = serving.relative_key(asset, rest)
    if key is None:
        abort(404)
    download = None
    if request.args.get("download") and key.endswith(".mp4"):
        download = f"qiuxue-{asset.lesson_id or asset.id}-360p.mp4"
    settings = MediaSettings.of(current_app)
    if settings.storage is not settings.local:  # in a bucket: presigned URLs, no media bytes through this host
        return serving.from_store(current_app, settings.storage, key, public=public, download_name=download,
                                  max_age=max_age)
    path = settings.local.path(key)
    if not path.is_file():
        abort(404)
    return serving.send(current_app, path, key, public=public, download_name=download, max_age=max_age)


@files.get("/<int:asset_id>/<path:rest>")
def public(asset_id: int, rest: str) -> ResponseReturnValue:
    """Public media (lesson of a published resource); staff may use it too for unpublished media."""
    asset = db.session.get(MediaAsset, asset_id) or abort(404)
    allowed, is_public = player.access(db.session, current_user, asset)
    if not allowed:
        abort(404)
    return _send(asset, rest, is_public)


@files.get("/s/<signature>/<int:asset_id>/<path:rest>")
def signed(signature: str, asset_id: int, rest: str) -> ResponseReturnValue:
    """Unpublished media: the signature is the permission, for a short time and while the lesson's resource
    stays in the state it was signed in (the player asks for fresh URLs when one stops working)."""
    asset = db.session.get(MediaAsset, asset_id)
    left = None if asset is None else \
        serving.signature_valid(current_app, signature, asset_id, lessons.publication_state(db.session, asset))
    if asset is None or left is None:
        raise Forbidden(_("播放链接已过期，请刷新页面。"), code="media_link_expired")
    return _send(asset, rest, public=False, max_age=left)


# -- pages ------------------------------------------------------------------------------------------------------

@bp.get("/upload")
@login_required
def upload_page() -> ResponseReturnValue:
    orgs = service.upload_orgs(current_user)
    if not orgs:
        raise Forbidden(_("您没有上传音视频的权限。"))
    choices = lessons.video_lessons_for(db.session, current_user)
    chosen = request.args.get("lesson", type=int)
    settings = MediaSettings.of(current_app)
    usage = [(org.name, human_size(used)) for org, used in service.storage_of(db.session, orgs)]
    return render_template("media/upload.html", orgs=orgs, lessons=choices, chosen=chosen,
                           assets=service.assets_of(db.session, current_user), max_upload=settings.max_upload,
                           usage=usage, quota=human_size(settings.quota) if settings.quota else "")


@bp.get("/assets/<int:asset_id>")
@login_required
def asset_page(asset_id: int) -> ResponseReturnValue:
    asset = service.visible_asset(db.session, current_user, asset_id)
    may_edit = can(current_user, "media.upload", asset.org)
    lesson = lessons.lesson_of(db.session, asset)
    # a union over the uploader may see the asset, not always the (draft, co-authored) course it plays in
    title = union_catalogs.shown_title(lesson.resource, current_user) if lesson is not None else None
    label = None
    if lesson is not None:
        label = f"{title} · {lesson.title}" if title else union_catalogs.withheld_label(lesson.resource_id)
    return render_template("media/asset.html", asset=asset, may_edit=may_edit,
                           progress=service.progress(db.session, asset),
                           lessons=lessons.video_lessons_for(db.session, current_user) if may_edit else [],
                           current_lesson=lesson, lesson_label=label, lesson_shown=bool(title),
                           poster=asset.rendition(RenditionKind.poster))


def _act(asset_id: int, action: Callable[[MediaAsset], object], done: str) -> ResponseReturnValue:
    asset = service.visible_asset(db.session, current_user, asset_id)
    try:
        action(asset)
    except DomainError as err:
        db.session.rollback()
        flash(err.message or _("操作没有完成。"), "error")
        for message in err.fields.values():
            flash(message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("media.asset_page", asset_id=asset_id))


@bp.post("/assets/<int:asset_id>/lesson")
@login_required
def attach(asset_id: int) -> ResponseReturnValue:
    lesson_id = request.form.get("lesson_id", type=int) or 0
    return _act(asset_id, lambda a: service.attach(db.session, current_user, a, lesson_id), _("已添加到课时。"))


@bp.post("/assets/<int:asset_id>/subtitles")
@login_required
def subtitles(asset_id: int) -> ResponseReturnValue:
    upload = request.files.get("file")
    data = upload.read(SUBTITLE_MAX_BYTES + 1) if upload else b""
    settings = MediaSettings.of(current_app)
    return _act(asset_id, lambda a: service.add_subtitle(db.session, settings, current_user, a,
                                                         request.form.get("language", ""), data),
                _("字幕已保存。"))


@bp.post("/assets/<int:asset_id>/cancel")
@login_required
def cancel(asset_id: int) -> ResponseReturnValue:
    return _act(asset_id, lambda a: service.cancel(db.session, current_user, a), _("已取消转码。"))


@bp.post("/assets/<int:asset_id>/retry")
@login_required
def retry(asset_id: int) -> ResponseReturnValue:
    settings = MediaSettings.of(current_app)
    return _act(asset_id, lambda a: service.retry(db.session, settings, current_user, a), _("已重新排队转码。"))


@bp.post("/assets/<int:asset_id>/delete")
@login_required
def delete(asset_id: int) -> ResponseReturnValue:
    """Frees the quota; files another asset of the same bytes still uses stay (media.dedup)."""
    asset = service.visible_asset(db.session, current_user, asset_id)
    try:
        service.delete_asset(db.session, MediaSettings.of(current_app), current_user, asset)
    except DomainError as err:
        db.session.rollback()
        flash(err.message or _("操作没有完成。"), "error")
        return redirect(url_for("media.asset_page", asset_id=asset_id))
    db.session.commit()
    flash(_("视频已删除。"), "success")
    return redirect(url_for("media.upload_page"))


def player_global(lesson: Lesson | None = None, asset: MediaAsset | None = None) -> dict[str, Any] | None:
    """`media_player(lesson=...)` in templates: the player macro's data (see media/templates/media/player.html)."""
    return player.for_template(current_app, db.session, current_user, lesson=lesson, asset=asset)
