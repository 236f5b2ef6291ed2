"""What the catalog's resource page shows about learning, as a template global (catalog never imports
learning): `learning_box(resource, lessons)` -> enrolled or not, how far, where 继续学习 goes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for

from app.accounts.policy import can
from app.extensions import db
from app.web import current_user_or_none
from catalog.models import LessonType
from learning import enrolment
from learning.completion import required_of


def _first_lesson_url(resource: Any, lessons: Sequence[Any]) -> str:
    """Where a visitor lands after signing in from 立即学习: the first video lesson, playing (its first play
    enrols); for a course that starts otherwise, back to this page."""
    if lessons and lessons[0].type == LessonType.video:
        return url_for("learning.lesson", lesson_id=lessons[0].id, play=1)
    return url_for("catalog.resource", resource_id=resource.id)


def learning_box(resource: Any, lessons: Sequence[Any]) -> dict[str, Any]:
    """`lessons`: the resource's lessons in order, rows or `catalog.service.LessonOutline`s (id, type, required),
    which the page keeps with its shared part."""
    box = {"enrolled": False, "completed": False, "published": resource.is_published, "can_author": False}
    user = current_user_or_none()  # the user itself: the policy reads it many times, each through the proxy else
    if user is None:
        return {**box, "first_url": _first_lesson_url(resource, lessons)}

    box["can_author"] = can(user, "resource.edit", resource)
    enrolled, completed_at, completed = enrolment.enrolled_state(db.session, user.id, resource.id)
    if not enrolled:
        return box
    required = required_of(lessons)
    done = sum(1 for lesson in required if lesson.id in completed)
    return {**box, "enrolled": True, "completed": completed_at is not None, "done": done, "total": len(required)}
