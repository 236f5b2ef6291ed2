"""The thin link between media and the catalog's lessons. Media reads and writes the catalog's stable
fields (`Lesson.media_asset_id`, `Lesson.duration_s`, the resource's status and provider); the catalog
never imports media. Everything catalog-specific that media needs is in this one module.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import outbox
from app.accounts.policy import can
from app.errors import Invalid
from app.lookup import get_or_raise
from catalog.models import Lesson, LessonType, Resource
from catalog.service import EDITABLE, editing, provider_orgs, resources_of
from media.models import AssetStatus, MediaAsset


def find_lesson(session: Session, lesson_id: int) -> Lesson:
    return get_or_raise(session, Lesson, lesson_id, _("课时不存在。"), code="lesson_not_found")


def check_can_attach(actor: Any, lesson: Lesson) -> None:
    """Attaching a video is editing the lesson: the catalog's own rules (who, and only while editable)."""
    editing(actor, lesson.resource)
    if lesson.type != LessonType.video:
        raise Invalid(_("只有视频课时可以添加视频。"), code="lesson_not_video")


def check_can_change(session: Session, actor: Any, asset: MediaAsset) -> None:
    """Changing an asset (its subtitles, the lesson it plays in) changes the lesson playing it: that lesson's own
    rules hold too, its resource's editors only and while editable. A review found the uploading organisation,
    removed as co-author, changing a published lesson's subtitles and taking its video away."""
    lesson = session.get(Lesson, asset.lesson_id) if asset.lesson_id else None
    if lesson is not None and lesson.media_asset_id == asset.id:
        editing(actor, lesson.resource)




def link(session: Session, lesson: Lesson, asset: MediaAsset) -> None:
    """Point the lesson at the asset (and back), the asset's former lesson at nothing; fill the lesson's duration
    once the asset knows it."""
    if asset.lesson_id and asset.lesson_id != lesson.id:
        unlink(session, asset)
    previous = lesson.media_asset_id
    if previous and previous != asset.id and (old := session.get(MediaAsset, previous)) is not None:
        old.lesson_id = None
    lesson.media_asset_id = asset.id
    asset.lesson_id = lesson.id
    fill_duration(session, asset)
    outbox.emit(session, "resource", lesson.resource_id)
    session.flush()


def unlink(session: Session, asset: MediaAsset) -> None:
    """The asset is going away: its lesson no longer points at it (and so needs a video again)."""
    lesson = session.get(Lesson, asset.lesson_id) if asset.lesson_id else None
    if lesson is not None and lesson.media_asset_id == asset.id:
        lesson.media_asset_id = None
        outbox.emit(session, "resource", lesson.resource_id)
    asset.lesson_id = None
    session.flush()


def fill_duration(session: Session, asset: MediaAsset) -> None:
    """Called when a transcode finishes: the lesson's duration becomes the media's, in whole seconds."""
    if asset.lesson_id is None or asset.status != AssetStatus.ready or not asset.duration_s:
        return
    lesson = session.get(Lesson, asset.lesson_id)
    if lesson is not None and lesson.media_asset_id == asset.id:
        lesson.duration_s = int(round(asset.duration_s))
        outbox.emit(session, "resource", lesson.resource_id)
        session.flush()


def lesson_of(session: Session, asset: MediaAsset) -> Lesson | None:
    """The video lesson playing the asset. Both ends must agree, and the lesson must still be a video lesson: one
    turned into a reading or link lesson was reviewed as text, and its former video is not published with it."""
    lesson = session.get(Lesson, asset.lesson_id) if asset.lesson_id is not None else None
    if lesson is None or lesson.media_asset_id != asset.id or lesson.type != LessonType.video:
        return None
    return lesson


def resource_of(session: Session, asset: MediaAsset) -> Resource | None:
    lesson = lesson_of(session, asset)
    return lesson.resource if lesson is not None else None


def is_public(session: Session, asset: MediaAsset) -> bool:
    """Anyone may watch media of a lesson of a published resource; everything else needs a signed URL."""
    resource = resource_of(session, asset)
    return resource is not None and resource.is_published


def publication_state(session: Session, asset: MediaAsset) -> str:
    """What a signed media URL is bound to: the lesson's resource and its status, and the asset's output.
    Any change (published, unpublished, withdrawn, returned; re-transcoded; detached) voids earlier URLs."""
    resource = resource_of(session, asset)
    where = f"{resource.id}:{resource.status.value}" if resource is not None else "-"
    return f"{where}:{asset.output_key or '-'}"


def may_view(session: Session, user: Any, asset: MediaAsset) -> bool:
    """Who gets signed URLs for unpublished media: the uploading organisation's staff and its unions,
    and whoever the catalog lets see the unpublished resource."""
    if can(user, "media.view", asset):
        return True
    resource = resource_of(session, asset)
    return resource is not None and can(user, "resource.view", resource)


def lesson_asset(session: Session, lesson: Any) -> MediaAsset | None:
    asset_id = getattr(lesson, "media_asset_id", None)
    return session.get(MediaAsset, asset_id) if asset_id else None


def video_lessons_for(session: Session, actor: Any) -> list[Lesson]:
    """Video lessons this user may attach media to: of editable resources of the organisations they author for."""
    return [lesson for resource in resources_of(session, provider_orgs(actor)) if resource.status in EDITABLE
            for lesson in resource.lessons if lesson.type == LessonType.video]


def not_ready(session: Session, lessons: list[Lesson]) -> list[Lesson]:
    """The catalog's publishing check (registered at init): lessons whose asset is gone, cannot play yet, or has
    since been moved to another lesson (it plays there, not here)."""
    ids = [lesson.media_asset_id for lesson in lessons if lesson.media_asset_id is not None]
    ready = {(row[0], row[1]) for row in session.execute(select(MediaAsset.id, MediaAsset.lesson_id).where(
        MediaAsset.id.in_(ids), MediaAsset.status == AssetStatus.ready))} if ids else set()
    return [lesson for lesson in lessons if (lesson.media_asset_id, lesson.id) not in ready]
