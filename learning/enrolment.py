"""Enrolment (one tap, idempotent) and what 我的学习 shows: resources in progress, how far along each is,
and where 继续学习 resumes (the lesson and second of the newest heartbeat from any device)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from flask_babel import gettext as _
from sqlalchemy import BindParameter, bindparam, select, update
from sqlalchemy.orm import Session

from app.db import DirectStatement, insert_ignore, utcnow
from app.errors import Conflict, NotFound
from app.lookup import get_or_raise
from catalog.models import Lesson, Resource, ResourceStatus
from catalog.union_catalogs import withheld_label
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
class Course:
    """What 我的学习 shows of an enrolment's resource and of its lessons: the same for every learner, kept with the
    shared parts until the catalog changes (plain values, its status with them: a withdrawal is another value)."""

    id: int
    title: str
    steps: tuple[Step, ...] = ()
    published: bool = True


@dataclass(frozen=True)
class Step:
    id: int
    title: str
    duration_s: int
    required: bool


@dataclass(frozen=True)
class Enrolled:
    completed_at: datetime | None


@dataclass(frozen=True)
class InProgress:
    enrolment: Enrolled
    resource: Course
    done: int        # lessons complete
    total: int       # lessons to complete in the resource (optional ones not counted)
    resume: Step | None
    position_s: float

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class _Timed(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def duration_s(self) -> int: ...


L = TypeVar("L", bound=_Timed)


def resume_in(lessons: Sequence[L], last_lesson_id: int | None, position: float) -> tuple[L | None, float]:
    """The lesson (of `lessons`, in order) and second to resume after the newest heartbeat's lesson and
    position: there, or what comes next if it stopped at the end, or the first lesson from its start."""
    index = next((i for i, lesson in enumerate(lessons) if lesson.id == last_lesson_id), None)
    if index is None:
        return (lessons[0] if lessons else None), 0.0
    lesson = lessons[index]
    if lesson.duration_s and position >= lesson.duration_s - END_SLACK_S:  # stopped at the end: what comes next
        return (lessons[index + 1] if index + 1 < len(lessons) else lesson), 0.0
    return lesson, position


def resume_point(enrolment: Enrolment) -> tuple[Lesson | None, float]:
    """The lesson and second to resume: the newest heartbeat's, or the first lesson from its start."""
    return resume_in(enrolment.resource.lessons, enrolment.last_lesson_id, enrolment.last_position_s)


@functools.cache
def _statements() -> dict[str, DirectStatement]:
    """The per-learner reads of 我的学习 and the enrol box, built once and run on the driver's cursor
    (app.db.DirectStatement): SQLAlchemy's per-query work was most of these pages' cost."""
    uid: BindParameter[int] = bindparam("uid")
    rid: BindParameter[int] = bindparam("rid")
    return {name: DirectStatement(statement) for name, statement in {
        "enrolments": select(Enrolment.resource_id, Enrolment.completed_at, Enrolment.last_lesson_id,
                             Enrolment.last_position_s).where(Enrolment.user_id == uid)
        .order_by(Enrolment.completed_at.is_not(None), Enrolment.last_active_at.desc(), Enrolment.id.desc()),
        "completed": select(LessonProgress.lesson_id).where(LessonProgress.user_id == uid,
                                                            LessonProgress.completed_at.is_not(None)),
        "enrolled_state": select(Enrolment.completed_at, LessonProgress.lesson_id)
        .outerjoin(LessonProgress, (LessonProgress.user_id == Enrolment.user_id)
                   & (LessonProgress.resource_id == Enrolment.resource_id)
                   & LessonProgress.completed_at.is_not(None))
        .where(Enrolment.user_id == uid, Enrolment.resource_id == rid),
    }.items()}


def course_outlines(session: Session, resource_ids: list[int]) -> dict[int, Course]:
    """The resources' titles, status and lessons in order, as stored (whoever may read them: see
    `learner_outlines`), in two queries."""
    found: dict[int, tuple[str, bool, list[Step]]] = {
        rid: (title, status == ResourceStatus.published, []) for rid, title, status in session.execute(
            select(Resource.id, Resource.title, Resource.status).where(Resource.id.in_(resource_ids)))}
    for step in session.execute(
            select(Lesson.resource_id, Lesson.id, Lesson.title, Lesson.duration_s, Lesson.required)
            .where(Lesson.resource_id.in_(resource_ids)).order_by(Lesson.resource_id, Lesson.position)):
        found[step.resource_id][2].append(Step(step.id, step.title, step.duration_s or 0, bool(step.required)))
    return {rid: Course(rid, title, tuple(steps), published) for rid, (title, published, steps) in found.items()}


def for_learners(course: Course) -> Course:
    """The course as its learners may read it: while not published (withdrawn, and perhaps renamed since they
    enrolled; the catalog answers 404) its title is withheld ("#12（已撤回或未发布）") and its lessons' titles are
    blank, its lessons kept for the progress figures (catalog.union_catalogs: the same rule for a union)."""
    if course.published:
        return course
    return replace(course, title=withheld_label(course.id), steps=tuple(replace(s, title="") for s in course.steps))


def learner_outlines(session: Session, resource_ids: list[int]) -> dict[int, Course]:
    """What 我的学习, the study plan and the reminders show of the learner's courses (the same for every learner)."""
    return {rid: for_learners(course) for rid, course in course_outlines(session, resource_ids).items()}


def my_learning(session: Session, user_id: int,
                outlines: Callable[[list[int]], dict[int, Course]] | None = None) -> list[InProgress]:
    """The learner's enrolments, most recently studied first: two queries for this learner's own rows (the
    enrolments; the lessons completed), the resources' titles and lessons from `outlines` (the page passes the
    shared parts' copy; by default `learner_outlines`). An unpublished course has no lesson to resume: its lesson
    pages answer 404 to the learner."""
    connection = session.connection()
    enrolments = _statements()["enrolments"].rows(connection, {"uid": user_id})
    if not enrolments:
        return []
    completed = {row.lesson_id for row in _statements()["completed"].rows(connection, {"uid": user_id})}
    courses = (outlines or functools.partial(learner_outlines, session))([row.resource_id for row in enrolments])
    rows = []
    for row in enrolments:
        course = courses.get(row.resource_id)
        if course is None:  # deleted since the enrolments were read
            continue
        lesson, position = resume_in(course.steps, row.last_lesson_id, row.last_position_s) if course.published \
            else (None, 0.0)
        required = required_of(course.steps)
        rows.append(InProgress(Enrolled(row.completed_at), course,
                               sum(1 for step in required if step.id in completed), len(required), lesson, position))
    return rows


def lesson_states(session: Session, user_id: int, resource_id: int) -> dict[int, LessonProgress]:
    return {p.lesson_id: p for p in session.scalars(select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.resource_id == resource_id))}


def enrolled_state(session: Session, user_id: int, resource_id: int) -> tuple[bool, datetime | None, set[int]]:
    """In one query: enrolled or not, when the enrolment was completed, and the lessons of the resource this
    learner has completed (the resource page's enrol box)."""
    rows = _statements()["enrolled_state"].rows(session.connection(), {"uid": user_id, "rid": resource_id})
    if not rows:
        return False, None, set()
    return True, rows[0].completed_at, {row.lesson_id for row in rows if row.lesson_id is not None}


def learner_state(session: Session, user_id: int) -> tuple[dict[int, datetime | None], frozenset[int]]:
    """In two queries, what the enrol box shows of every resource for one learner: the resources they are
    enrolled in (with when each was completed) and every lesson they have completed (lesson ids are unique, so a
    resource's are those of its lessons)."""
    connection = session.connection()
    enrolled = {row.resource_id: row.completed_at
                for row in _statements()["enrolments"].rows(connection, {"uid": user_id})}
    return enrolled, frozenset(row.lesson_id for row in _statements()["completed"].rows(connection, {"uid": user_id}))
