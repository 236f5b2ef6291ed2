"""Enrolment (one tap, idempotent) and what 我的学习 shows: resources in progress, how far along each is,
and where 继续学习 resumes (the lesson and second of the newest heartbeat from any device)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from app.db import insert_ignore, utcnow
from app.errors import Conflict, NotFound
from app.lookup import get_or_raise
from catalog.models import Lesson, Resource
from learning.completion import required_of
from learning.models import Enrolment, LessonProgress

END_SLACK_S = 2  # a resume point this close to a lesson's end means the lesson was finished


def enrolment_of(session: Session, user_id: int, resource_id: int) -> Enrolment | None:
    return session.scalar(select(Enrolment).where(Enrolment.user_id == user_id,
                                                  Enrolment.resource_id == resource_id))


def enrol(session: Session, user: Any, resource_id: int, device: str | None = None) -> tuple[Enrolment, bool]:
    """Enrol the learner once, however often they tap (or race); returns (enrolment, newly enrolled). `device`
    (learning.devices) is kept from the first enrolment only, for the analytics."""
    if user is None or not getattr(user, "is_authenticated", False) or user.id is None:
        raise NotFound(_("请先登录。"), code="login_required")
    resource = get_or_raise(session, Resource, resource_id, _("资源不存在或已被删除。"), code="resource_not_found")
    if not resource.is_published:
        raise Conflict(_("这个资源还没有发布，暂时不能报名学习。"), code="not_published")
    now = utcnow()
    created = insert_ignore(session, Enrolment, {
        "user_id": user.id, "resource_id": resource_id, "enrolled_at": now, "last_active_at": now,
        "last_position_s": 0.0, "last_client_ms": 0, "last_seq": -1, "device": device}, ["user_id", "resource_id"])
    if created:  # updated_at set to itself: an enrolment is not an edit (see catalog.models.Resource)
        session.execute(update(Resource).where(Resource.id == resource_id).values(
            enrolment_count=Resource.enrolment_count + 1, updated_at=Resource.updated_at))
    enrolment = enrolment_of(session, user.id, resource_id)
    assert enrolment is not None
    return enrolment, created


@dataclass(frozen=True)
class InProgress:
    enrolment: Enrolment
    resource: Resource
    done: int        # lessons complete
    total: int       # lessons to complete in the resource (optional ones not counted)
    resume: Lesson | None
    position_s: float

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def resume_point(enrolment: Enrolment) -> tuple[Lesson | None, float]:
    """The lesson and second to resume: the newest heartbeat's, or the first lesson from its start."""
    lessons = enrolment.resource.lessons
    lesson, position = enrolment.last_lesson, enrolment.last_position_s
    if lesson is None or lesson not in lessons:
        return (lessons[0] if lessons else None), 0.0
    if lesson.duration_s and position >= lesson.duration_s - END_SLACK_S:  # stopped at the end: what comes next
        index = lessons.index(lesson)
        return (lessons[index + 1] if index + 1 < len(lessons) else lesson), 0.0
    return lesson, position


def my_learning(session: Session, user_id: int) -> list[InProgress]:
    """The learner's enrolments, most recently studied first."""
    enrolments = session.scalars(
        select(Enrolment).where(Enrolment.user_id == user_id)
        .options(selectinload(Enrolment.resource).selectinload(Resource.lessons),
                 selectinload(Enrolment.last_lesson))
        .order_by(Enrolment.completed_at.is_not(None), Enrolment.last_active_at.desc(), Enrolment.id.desc())).all()
    completed = set(session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == user_id, LessonProgress.completed_at.is_not(None))))
    rows = []
    for enrolment in enrolments:
        lesson, position = resume_point(enrolment)
        required = required_of(enrolment.resource.lessons)
        rows.append(InProgress(enrolment, enrolment.resource, sum(1 for r in required if r.id in completed),
                               len(required), lesson, position))
    return rows


def lesson_states(session: Session, user_id: int, resource_id: int) -> dict[int, LessonProgress]:
    return {p.lesson_id: p for p in session.scalars(select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.resource_id == resource_id))}
