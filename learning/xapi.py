"""A learner's history as xAPI 1.0.3 statements (GET /api/v1/me/statements), built from the summary rows:
experienced (first heartbeat of a lesson), progressed (how far into it), completed (a lesson or the
whole resource), passed (a quiz). Statement ids are UUIDv5 of what they describe, so fetching the
history twice gives the same statements, and an LRS that receives them twice keeps one copy. A resource not
published now (withdrawn, perhaps renamed since) is named, with its lessons and quiz, by its number withheld
("#12（已撤回或未发布）"), as the catalog shows it to the learner: never by a draft's title.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session, selectinload

from catalog.models import Resource, ResourceStatus
from catalog.union_catalogs import withheld_label
from learning.models import Enrolment, LessonProgress, Quiz, QuizAttempt

VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "experienced": {"zh-CN": "学习了", "en-US": "experienced"},
    "progressed": {"zh-CN": "学习进度", "en-US": "progressed"},
    "completed": {"zh-CN": "完成了", "en-US": "completed"},
    "passed": {"zh-CN": "通过了", "en-US": "passed"},
}
COURSE = "http://adlnet.gov/expapi/activities/course"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
PROGRESS_EXT = "https://w3id.org/xapi/cmi5/result/extensions/progress"
NAMESPACE = uuid.UUID("8f1d1c1e-5a52-4a8e-9d3c-7b4a7f0b6a10")  # ours: statement ids are uuid5 in it


def iso(at: datetime) -> str:
    return at.replace(microsecond=(at.microsecond // 1000) * 1000).isoformat(timespec="milliseconds") + "Z"


class Builder:
    """Statements for one learner; `iri` maps ("resource", id) or ("lesson", resource_id, lesson_id) to URLs;
    `withheld`: the resources not published now, whose names (and their lessons' and quiz's) are withheld."""

    def __init__(self, home_page: str, user: Any, iri: Callable[..., str], withheld: Collection[int] = ()):
        self.iri, self.withheld = iri, withheld
        self.actor = {"objectType": "Agent", "name": user.name,
                      "account": {"homePage": home_page, "name": str(user.id)}}

    def statement(self, key: str, verb: str, activity: dict[str, Any], at: datetime,
                  result: dict[str, Any] | None = None, parent: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(uuid.uuid5(NAMESPACE, f"{self.actor['account']['name']}/{key}")), "actor": self.actor,
            "verb": {"id": ADL + verb, "display": VERBS[verb]}, "object": activity, "timestamp": iso(at),
            "version": VERSION}
        if result:
            body["result"] = result
        if parent:
            body["context"] = {"contextActivities": {"parent": [parent]}}
        return body

    def name(self, resource_id: int, title: str) -> dict[str, str]:
        """The name of the resource's activity (itself, a lesson, its quiz): `title`, or the resource withheld."""
        return {"zh-CN": withheld_label(resource_id) if resource_id in self.withheld else title}

    def resource(self, resource: Any) -> dict[str, Any]:
        return {"objectType": "Activity", "id": self.iri("resource", resource.id),
                "definition": {"name": self.name(resource.id, resource.title), "type": COURSE}}

    def lesson(self, lesson: Any) -> dict[str, Any]:
        return {"objectType": "Activity", "id": self.iri("lesson", lesson.resource_id, lesson.id),
                "definition": {"name": self.name(lesson.resource_id, lesson.title), "type": LESSON}}

    def for_lesson(self, row: LessonProgress) -> list[dict[str, Any]]:
        lesson, parent = row.lesson, self.resource(row.lesson.resource)
        out = [self.statement(f"lesson/{lesson.id}/experienced", "experienced", self.lesson(lesson),
                              row.first_seen_at, parent=parent)]
        duration = lesson.duration_s or 0
        if duration and row.completed_at is None:
            share = min(row.covered_s / duration, 1.0)
            out.append(self.statement(f"lesson/{lesson.id}/progressed/{row.version}", "progressed",
                                      self.lesson(lesson), row.updated_at, parent=parent,
                                      result={"extensions": {PROGRESS_EXT: round(share * 100)}}))
        if row.completed_at is not None:
            out.append(self.statement(f"lesson/{lesson.id}/completed", "completed", self.lesson(lesson),
                                      row.completed_at, parent=parent, result={"completion": True}))
        return out

    def for_attempt(self, attempt: QuizAttempt) -> dict[str, Any]:
        quiz = attempt.quiz
        activity = {"objectType": "Activity", "id": self.iri("resource", quiz.resource_id) + "#quiz",
                    "definition": {"name": self.name(quiz.resource_id, quiz.title), "type": ASSESSMENT}}
        return self.statement(f"quiz/{attempt.id}/passed", "passed", activity, attempt.at,
                              result={"success": True, "score": {"scaled": attempt.score / 100, "raw": attempt.score,
                                                                 "min": 0, "max": 100}})


def withheld(session: Session, user_id: int) -> frozenset[int]:
    """The resources of the learner's rows (enrolments, lessons, quizzes) that are not published now, in one query."""
    theirs = union(select(Enrolment.resource_id).where(Enrolment.user_id == user_id),
                   select(LessonProgress.resource_id).where(LessonProgress.user_id == user_id),
                   select(Quiz.resource_id).join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
                   .where(QuizAttempt.user_id == user_id))
    return frozenset(session.scalars(select(Resource.id).where(Resource.id.in_(theirs),
                                                               Resource.status != ResourceStatus.published)))


def statements(session: Session, user: Any, home_page: str, iri: Callable[..., str]) -> list[dict[str, Any]]:
    """Every statement for `user`, oldest first."""
    build = Builder(home_page, user, iri, withheld(session, user.id))
    out: list[dict[str, Any]] = []
    rows = session.scalars(select(LessonProgress).where(LessonProgress.user_id == user.id)
                           .options(selectinload(LessonProgress.lesson))).all()
    for row in rows:
        out.extend(build.for_lesson(row))
    for attempt in session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id, QuizAttempt.passed)
                                   .options(selectinload(QuizAttempt.quiz))):
        out.append(build.for_attempt(attempt))
    for enrolment in session.scalars(select(Enrolment).where(Enrolment.user_id == user.id,
                                                             Enrolment.completed_at.is_not(None))):
        out.append(build.statement(f"resource/{enrolment.resource_id}/completed", "completed",
                                   build.resource(enrolment.resource), enrolment.completed_at,  # type: ignore[arg-type]
                                   result={"completion": True}))
    return sorted(out, key=lambda s: (s["timestamp"], s["id"]))  # a stable order, for paging
