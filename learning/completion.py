"""When a lesson and a resource count as complete.

A video or audio lesson: the union of watched seconds covers the resource's ratio (90% unless set) of
its duration. A reading lesson: read to the end with a minimum time on the page. An external lesson: the
learner confirms. A resource: every required (not 选修) lesson complete and, where it has a quiz, the quiz
passed. Completion is stamped once and announced (app.events); the credit bank listens and awards exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from app import events
from app.accounts.policy import can, require
from app.db import insert_ignore, utcnow
from app.errors import Conflict, Invalid
from catalog.models import Lesson, LessonType, Resource, ResourceStatus
from catalog.service import EDITABLE, note_writer
from learning import progress
from learning.models import Enrolment, LearningSettings, LessonProgress, Quiz, QuizAttempt


class LessonShape(Protocol):
    """What completion needs of a lesson: catalog's Lesson, or the heartbeat path's lighter LessonFacts."""

    @property
    def type(self) -> LessonType: ...

    @property
    def duration_s(self) -> int: ...


@dataclass(frozen=True)
class Rules:
    completion_ratio: float = progress.DEFAULT_COMPLETION_RATIO
    min_read_s: int = 30


def rules_for(session: Session, resource_id: int) -> Rules:
    row = session.get(LearningSettings, resource_id)
    return Rules(row.completion_ratio, row.min_read_s) if row else Rules()


def may_change_rules(actor: Any, resource: Resource) -> bool:
    """Whether `actor` may change the resource's completion rules and quiz now. They decide what its credits cost a
    learner, so they change as its content does: by its authors while it is a draft (or returned, withdrawn,
    unpublished), and once submitted or published only by one who may review it. Before, an author lowered a
    published course's pass mark to 1% and its reading time to 0 s without a reviewer seeing it."""
    return can(actor, "resource.edit", resource) and (
        resource.status in EDITABLE or can(actor, "resource.review", resource))


def require_rules_change(actor: Any, resource: Resource) -> None:
    """May change them now (`may_change_rules`); an author changing them while editable is one of its writers."""
    require(actor, "resource.edit", resource)
    if not may_change_rules(actor, resource):
        raise Conflict(_("已提交或已发布的资源不能直接修改学习规则和测验，请先撤回，修改后重新提交审核。"),
                       code="not_editable")
    if resource.status in EDITABLE:
        note_writer(resource, actor)


def save_rules(session: Session, actor: Any, resource: Resource, ratio_text: str,
               min_read_text: str) -> LearningSettings:
    """Set the per-resource rules (the resource's authors, see `may_change_rules`)."""
    require_rules_change(actor, resource)
    errors = {}
    try:
        ratio = float(ratio_text) / 100
        if not 0.5 <= ratio <= 1:
            raise ValueError
    except ValueError:
        errors["completion_percent"] = _("请填写50到100之间的数字。")
    try:
        min_read = int(min_read_text)
        if not 0 <= min_read <= 3600:
            raise ValueError
    except ValueError:
        errors["min_read_s"] = _("请填写0到3600之间的整数秒数。")
    if errors:
        raise Invalid(_("学习规则有误，请按提示修改。"), fields=errors)
    row = session.get(LearningSettings, resource.id) or LearningSettings(resource_id=resource.id)
    row.completion_ratio, row.min_read_s = ratio, min_read
    session.add(row)
    session.flush()
    return row


def lesson_complete(lesson: LessonShape, watched: Sequence[Sequence[float]], reached_end: bool, rules: Rules) -> bool:
    """External lessons never complete from heartbeats, only by the learner's confirmation."""
    if lesson.type == LessonType.reading:
        return progress.reading_complete(reached_end, watched, rules.min_read_s)
    if lesson.type == LessonType.external:
        return False
    return progress.is_complete(watched, lesson.duration_s, rules.completion_ratio)


def quiz_passed(session: Session, user_id: int, resource_id: int) -> bool | None:
    """None when the resource has no quiz (or an empty one)."""
    quiz = session.scalar(select(Quiz).where(Quiz.resource_id == resource_id))
    if quiz is None or not quiz.questions:
        return None
    return bool(session.scalar(select(exists().where(QuizAttempt.quiz_id == quiz.id,
                                                     QuizAttempt.user_id == user_id, QuizAttempt.passed))))


def required_of(lessons: Sequence[Any]) -> list[Any]:
    """The lessons a learner must complete: all but the optional (选修) ones; all of them if every one is
    optional, so that an author's slip never completes a resource on enrolment."""
    return [lesson for lesson in lessons if lesson.required] or list(lessons)


def check_resource(session: Session, user_id: int, resource_id: int) -> bool:
    """Stamp the enrolment complete when everything is done; True only for the call that stamped it.

    The enrolment row is locked first (PostgreSQL; SQLite serializes writers anyway), so two heartbeats
    completing the last two lessons at once cannot both miss each other's lesson."""
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user_id,
                                                       Enrolment.resource_id == resource_id)
                               .with_for_update().execution_options(populate_existing=True))
    if enrolment is None or enrolment.completed_at is not None:
        return False
    lesson_ids = {row.id for row in required_of(session.execute(
        select(Lesson.id, Lesson.required).where(Lesson.resource_id == resource_id)).all())}
    done = set(session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == user_id, LessonProgress.resource_id == resource_id,
        LessonProgress.completed_at.is_not(None)).execution_options(populate_existing=True)))
    if not lesson_ids or not lesson_ids <= done or quiz_passed(session, user_id, resource_id) is False:
        return False
    # an UPDATE's result is a CursorResult (Session.execute is typed for SELECTs)
    stamped = cast(CursorResult[Any], session.execute(update(Enrolment).where(
        Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None)).values(completed_at=utcnow()))).rowcount
    session.refresh(enrolment)
    if not stamped:
        return False
    # Whoever awards for a completion listens (the credit bank: credits.awards); learning never imports it.
    events.announce(session, events.RESOURCE_COMPLETED, enrolment.id)
    return True


def recheck_enrolments(session: Session, resource_id: int, after: int = 0, limit: int = 200) -> int | None:
    """Check again the resource's incomplete enrolments with ids above `after` (at most `limit` of them), while it is
    published: a course withdrawn, changed (a lesson deleted or made optional) and selected again may now ask no more
    than a learner has done, and nothing else checks them (only a lesson newly completing or a quiz pass), so they
    were stuck for ever. Completes through `check_resource`, which stamps an enrolment once. Returns the last
    enrolment id looked at, None when none is left (or the resource is no longer published)."""
    if session.scalar(select(Resource.status).where(Resource.id == resource_id)) != ResourceStatus.published:
        return None
    batch = session.execute(select(Enrolment.id, Enrolment.user_id).where(
        Enrolment.resource_id == resource_id, Enrolment.completed_at.is_(None), Enrolment.id > after)
        .order_by(Enrolment.id).limit(limit)).all()
    for row in batch:
        check_resource(session, row.user_id, resource_id)
    return batch[-1].id if batch else None


def require_published(session: Session, resource_id: int) -> None:
    """Progress is recorded only while the resource is published (heartbeats check it in their own query);
    what a learner saved before it was withdrawn or unpublished stays."""
    if session.scalar(select(Resource.status).where(Resource.id == resource_id)) != ResourceStatus.published:
        raise Conflict(_("这个资源已下架，暂时不能记录学习进度。"), code="not_published")


def progress_row(session: Session, user_id: int, lesson: Lesson) -> LessonProgress:
    """The learner's row for the lesson, created on first use (concurrent creators leave one row); here, where
    completion reads it, so that heartbeats (which import this module) need not be imported back."""
    query = select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id)
    row = session.scalar(query)
    if row is None:
        insert_ignore(session, LessonProgress, new_progress(user_id, lesson, utcnow()), ["user_id", "lesson_id"])
        row = session.scalar(query)
    assert row is not None
    return row


def new_progress(user_id: int, lesson: Lesson, now: datetime) -> dict[str, Any]:
    """A learner's progress row for a lesson before their first heartbeat or confirmation there."""
    return {"user_id": user_id, "lesson_id": lesson.id, "resource_id": lesson.resource_id, "watched": [],
            "covered_s": 0.0, "position_s": 0.0, "furthest_s": 0.0, "reached_end": False, "last_client_ms": 0,
            "last_seq": -1, "first_client_ms": 0, "max_client_ms": 0, "first_seen_at": now, "updated_at": now,
            "version": 0}


def confirm_external(session: Session, user_id: int, lesson: Lesson) -> LessonProgress:
    """External lessons complete when the learner says they studied them."""
    if lesson.type != LessonType.external:
        raise Conflict(_("只有外部课程需要手动确认完成。"), code="not_external")
    require_published(session, lesson.resource_id)
    row = progress_row(session, user_id, lesson)
    if row.completed_at is None:
        session.execute(update(LessonProgress).where(LessonProgress.id == row.id,
                                                     LessonProgress.completed_at.is_(None))
                        .values(completed_at=utcnow(), updated_at=utcnow(), version=LessonProgress.version + 1))
        session.refresh(row)
        check_resource(session, user_id, lesson.resource_id)
    return row
