"""Editing the inside of a resource: units (chapters of a course) and lessons. Same rules as the resource:
only its provider's staff, only while it is editable; every change re-indexes the resource."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import outbox
from app.db import utcnow
from app.errors import Invalid, NotFound
from app.richtext import markdown_source, render_markdown
from app.sanitize import clean_text
from app.text import is_digits
from catalog.models import Lesson, LessonType, Resource, ResourceKind, Unit
from catalog.schemas import check_url
from catalog.service import editing

MAX_DURATION_S = 24 * 3600




def _changed(session: Session, resource: Resource) -> None:
    renumber(resource)
    resource.updated_at = utcnow()
    session.flush()
    outbox.emit(session, "resource", resource.id)


def renumber(resource: Resource) -> None:
    """Positions 0..n-1: units in order, and lessons in reading order (unit by unit, then loose lessons)."""
    resource.units.sort(key=lambda u: u.position)
    for position, unit in enumerate(resource.units):
        unit.position = position
    unit_rank = {id(u): u.position for u in resource.units}
    resource.lessons.sort(key=lambda lesson: (unit_rank.get(id(lesson.unit), len(unit_rank)), lesson.position))
    for position, lesson in enumerate(resource.lessons):
        lesson.position = position


def _title(raw: str, field: str = "title") -> str:
    title = clean_text(raw)
    if not title or len(title) > 200:
        raise Invalid(_("请修改标出的内容。"), fields={field: _("请填写标题（最多200字）。")})
    return title


def add_unit(session: Session, actor: Any, resource: Resource, title: str) -> Unit:
    editing(actor, resource)
    if resource.kind != ResourceKind.course:
        raise Invalid(_("只有网络课程可以分章。"), code="units_only_for_courses")
    unit = Unit(title=_title(title), position=len(resource.units))
    resource.units.append(unit)
    _changed(session, resource)
    return unit


def rename_unit(session: Session, actor: Any, unit: Unit, title: str) -> None:
    editing(actor, unit.resource)
    unit.title = _title(title)
    _changed(session, unit.resource)


def delete_unit(session: Session, actor: Any, unit: Unit) -> None:
    resource = unit.resource
    editing(actor, resource)
    for lesson in list(unit.lessons):
        resource.lessons.remove(lesson)
    resource.units.remove(unit)
    session.delete(unit)
    _changed(session, resource)


def _lesson_values(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a lesson's fields at once: title, type, duration (seconds or mm:ss), body or url."""
    errors: dict[str, str] = {}
    title = clean_text(str(raw.get("title") or ""))
    if not title or len(title) > 200:
        errors["title"] = _("请填写标题（最多200字）。")
    try:
        lesson_type = LessonType(str(raw.get("type") or ""))
    except ValueError:
        errors["type"] = _("请选择课时类型。")
        lesson_type = LessonType.reading
    duration = parse_duration(str(raw.get("duration") or "0"))
    if duration is None:
        errors["duration"] = _("时长写成秒数或“分:秒”，例如 480 或 8:00。")
    url = clean_text(str(raw.get("external_url") or ""))
    if lesson_type == LessonType.external and not check_url(url):
        errors["external_url"] = _("链接应以 http:// 或 https:// 开头。")
    body = markdown_source(raw.get("body"))
    if len(body) > 100_000:
        errors["body"] = _("正文太长。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    return {"title": title, "type": lesson_type, "duration_s": duration or 0,
            "required": str(raw.get("optional") or "") not in ("1", "on", "true"),
            "external_url": url if lesson_type == LessonType.external else "",
            "body_md": body if lesson_type == LessonType.reading else "",
            "body_html": render_markdown(body) if lesson_type == LessonType.reading else ""}


def parse_duration(text: str) -> int | None:
    """"480", "8:00" or "1:02:03" to seconds; None when it is not a duration up to a day."""
    parts = text.strip().split(":")
    if not all(is_digits(p) for p in parts) or len(parts) > 3:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds if seconds <= MAX_DURATION_S else None


def _unit_of(resource: Resource, unit_id: Any) -> Unit | None:
    if resource.kind != ResourceKind.course:
        return None
    unit = next((u for u in resource.units if str(u.id) == str(unit_id)), None)
    if unit is None:
        raise Invalid(_("请修改标出的内容。"), fields={"unit": _("请先添加一章，再把课时放进去。")})
    return unit


def add_lesson(session: Session, actor: Any, resource: Resource, raw: dict[str, Any]) -> Lesson:
    editing(actor, resource)
    values = _lesson_values(raw)
    unit = _unit_of(resource, raw.get("unit"))
    lesson = Lesson(unit=unit, position=10**6, **values)  # after everything; renumber() settles it
    resource.lessons.append(lesson)
    _changed(session, resource)
    return lesson


def update_lesson(session: Session, actor: Any, lesson: Lesson, raw: dict[str, Any]) -> Lesson:
    editing(actor, lesson.resource)
    values = _lesson_values(raw)
    if values["type"] != LessonType.video:
        # A reading or link lesson plays nothing: its former video (never reviewed with the text) is let go, else it
        # went public with the resource. Media's side (`MediaAsset.lesson_id`) needs both ends to agree, so this end
        # is enough; the catalog does not import media.
        lesson.media_asset_id = None
    for name, value in values.items():
        setattr(lesson, name, value)
    _changed(session, lesson.resource)
    return lesson


def delete_lesson(session: Session, actor: Any, lesson: Lesson) -> None:
    resource = lesson.resource
    editing(actor, resource)
    resource.lessons.remove(lesson)
    session.delete(lesson)
    _changed(session, resource)


def move_lesson(session: Session, actor: Any, lesson: Lesson, offset: int) -> None:
    """Up (-1) or down (+1) within its unit (or among loose lessons)."""
    resource = lesson.resource
    editing(actor, resource)
    renumber(resource)
    siblings = [x for x in resource.lessons if x.unit_id == lesson.unit_id]
    index = siblings.index(lesson)
    other = siblings[max(0, min(len(siblings) - 1, index + offset))]
    lesson.position, other.position = other.position, lesson.position
    _changed(session, resource)


def move_unit(session: Session, actor: Any, unit: Unit, offset: int) -> None:
    resource = unit.resource
    editing(actor, resource)
    renumber(resource)
    index = resource.units.index(unit)
    other = resource.units[max(0, min(len(resource.units) - 1, index + offset))]
    unit.position, other.position = other.position, unit.position
    _changed(session, resource)


def find_lesson(resource: Resource, lesson_id: int) -> Lesson:
    lesson = next((x for x in resource.lessons if x.id == lesson_id), None)
    if lesson is None:
        raise NotFound(_("课时不存在。"))
    return lesson


def find_unit(resource: Resource, unit_id: int) -> Unit:
    unit = next((x for x in resource.units if x.id == unit_id), None)
    if unit is None:
        raise NotFound(_("章节不存在。"))
    return unit
