"""Catalog test data, made through the services as the operator (or a given user)."""

from __future__ import annotations

from typing import Any

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import lessons, service
from catalog.models import Resource

PNG_SIZE = (640, 400)


def make(provider: str = "INST-T1", *, title: str = "测试微课", kind: str = "micro_course",
         category: str = "skills-construction", publish: bool = False, lesson_count: int = 1, actor: Any = SYSTEM,
         **fields: Any) -> Resource:
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
    if publish:
        service.submit(db.session, SYSTEM, resource)
        service.review(db.session, SYSTEM, resource, "select")
    db.session.flush()
    return resource


def png(size: tuple[int, int] = PNG_SIZE, fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()
