"""Catalog test data, made through the services as the operator (or a given user)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import lessons, service
from catalog.models import Resource

PNG_SIZE = (640, 400)
T = TypeVar("T")


def reviewed_change(resource: Resource, change: Callable[[], T]) -> T:
    """`change` made to a published resource as its provider must: withdrawn, changed, submitted and selected again
    (its co-authors, like its content, change only while it is editable)."""
    service.withdraw(db.session, SYSTEM, resource, "修改")
    result = change()
    service.submit(db.session, SYSTEM, resource)
    service.review(db.session, SYSTEM, resource, "select")
    return result


def make(provider: str = "INST-T1", *, title: str = "测试微课", kind: str = "micro_course",
         category: str = "skills-construction", publish: bool = False, lesson_count: int = 1, actor: Any = SYSTEM,
         media: bool = True, **fields: Any) -> Resource:
    """A resource with `lesson_count` video lessons, each with a ready video unless `media` is off (then it may
    not be submitted: nothing unplayable is published)."""
    raw = {"title": title, "kind": kind, "summary": "一段简介", "category": category, **fields}
    resource = service.create_resource(db.session, actor, organisations.get_by_code(db.session, provider), raw)
    if kind == "course" and lesson_count:
        unit = lessons.add_unit(db.session, actor, resource, "第一章")
        for i in range(lesson_count):
            lessons.add_lesson(db.session, actor, resource, {"title": f"第{i + 1}课", "type": "video",
                                                              "duration": "10:00", "unit": unit.id})
    else:
        for i in range(lesson_count):
            lessons.add_lesson(db.session, actor, resource, {"title": f"第{i + 1}课", "type": "video",
                                                              "duration": "8:00"})
    if media:
        give_media(resource)
    if publish:
        service.submit(db.session, SYSTEM, resource)
        service.review(db.session, SYSTEM, resource, "select")
    db.session.flush()
    return resource


def give_media(resource: Resource) -> None:
    """A ready video on each video lesson that has none, as the media tests make them (tests/media/test_browser.py):
    the rows a transcode leaves, without transcoding, so a resource with video lessons may be published."""
    from catalog.models import LessonType
    from media.models import AssetStatus, MediaAsset

    db.session.flush()
    for lesson in resource.lessons:
        if lesson.type == LessonType.video and lesson.media_asset_id is None:
            asset = MediaAsset(org_id=resource.provider_id, title=f"{lesson.title}.mp4", status=AssetStatus.ready,
                               duration_s=float(lesson.duration_s), has_video=True, has_audio=True,
                               lesson_id=lesson.id)
            db.session.add(asset)
            db.session.flush()
            asset.output_key = f"assets/{asset.id}/fixture"
            lesson.media_asset_id = asset.id
    db.session.flush()


def png(size: tuple[int, int] = PNG_SIZE, fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()
