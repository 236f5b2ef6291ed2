"""What the course analytics read from learning's tables, for one resource or a set of them (a union's roll-up):
enrolments by week, the completion funnel per resource and lesson, each video's drop-off curve, the hours of study
(Beijing time) and the devices learners enrolled from. Reads only; who may see which resource is decided by the
caller's service (programme.analytics) through the policy. Figures from fewer learners than the floor are
withheld here (None), so no page or export can show them by mistake."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.timefmt import local_day, to_local
from catalog.models import Lesson, LessonType, Resource
from learning.analytics import curves
from learning.models import Enrolment, LessonProgress

MEDIA = (LessonType.video,)  # lessons with a timeline (audio, when it comes, joins them)


@dataclass(frozen=True)
class LessonFigures:
    lesson: Lesson
    funnel: curves.Funnel | None       # None: fewer starters than the floor
    curve: curves.Curve | None         # videos and audio with a duration and enough starters
    starters: int


@dataclass(frozen=True)
class ResourceFigures:
    """One resource, or (with `resource` None) the sum over a union's resources."""

    resource: Resource | None
    floor: int
    enrolled: int
    funnel: curves.Funnel | None
    weeks: list[tuple[date, int]] | None
    hours: list[int] | None            # lessons opened, by Beijing hour
    devices: dict[str, int] | None     # enrolments by device kind ("" = not known)
    lessons: list[LessonFigures] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        return self.funnel is None


def _lesson_share(lesson: Lesson, row: Any) -> float:
    """How far one learner is through one lesson: 1 once complete; media by the share watched; else 0."""
    if row.completed_at is not None:
        return 1.0
    if lesson.type in MEDIA and lesson.duration_s > 0:
        return min(1.0, float(row.covered_s) / lesson.duration_s)
    return 0.0


def _started(row: Any) -> bool:
    return row.completed_at is not None or row.covered_s > 0 or bool(row.reached_end)


def _progress_rows(session: Session, resource_ids: Collection[int]) -> list[Any]:
    return list(session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.resource_id, LessonProgress.watched,
               LessonProgress.covered_s, LessonProgress.furthest_s, LessonProgress.reached_end,
               LessonProgress.first_seen_at, LessonProgress.completed_at)
        .where(LessonProgress.resource_id.in_(resource_ids))))


def _enrolments(session: Session, resource_ids: Collection[int]) -> list[Any]:
    return list(session.execute(select(Enrolment.user_id, Enrolment.resource_id, Enrolment.enrolled_at,
                                       Enrolment.completed_at, Enrolment.device)
                                .where(Enrolment.resource_id.in_(resource_ids))))


def _common(enrolments: list[Any], rows: list[Any], floor: int) -> dict[str, Any]:
    """Weeks, hours and devices, each only from at least `floor` learners."""
    learners = len({e.user_id for e in enrolments})
    studying = len({r.user_id for r in rows if _started(r)})
    return {"weeks": curves.by_week(local_day(e.enrolled_at) for e in enrolments)
            if curves.shown(learners, floor) else None,
            "hours": curves.by_hour(to_local(r.first_seen_at).hour for r in rows if _started(r))
            if curves.shown(studying, floor) else None,
            "devices": dict(Counter(e.device or "" for e in enrolments)) if curves.shown(learners, floor) else None}


def for_resource(session: Session, resource: Resource, floor: int) -> ResourceFigures:
    """Every figure of one resource; with fewer enrolled learners than `floor`, none at all."""
    enrolments = _enrolments(session, [resource.id])
    rows = _progress_rows(session, [resource.id])
    if not curves.shown(len(enrolments), floor):
        return ResourceFigures(resource, floor, len(enrolments), None, None, None, None)
    lessons = list(resource.lessons)
    by_lesson: dict[int, list[Any]] = defaultdict(list)
    by_user: dict[int, dict[int, Any]] = defaultdict(dict)
    for row in rows:
        by_lesson[row.lesson_id].append(row)
        by_user[row.user_id][row.lesson_id] = row
    completed = {e.user_id for e in enrolments if e.completed_at is not None}
    learners = [(curves.learner_share([_lesson_share(lesson, own[lesson.id]) if lesson.id in own else 0.0
                                       for lesson in lessons]), user_id in completed)
                for user_id, own in by_user.items() if any(_started(r) for r in own.values())]
    figures = [_lesson_figures(lesson, by_lesson.get(lesson.id, []), len(enrolments), floor) for lesson in lessons]
    return ResourceFigures(resource, floor, len(enrolments), curves.funnel(len(enrolments), learners),
                           lessons=figures, **_common(enrolments, rows, floor))


def _lesson_figures(lesson: Lesson, rows: list[Any], enrolled: int, floor: int) -> LessonFigures:
    started = [r for r in rows if _started(r)]
    if not curves.shown(len(started), floor):
        return LessonFigures(lesson, None, None, len(started))
    funnel = curves.funnel(enrolled, ((_lesson_share(lesson, r), r.completed_at is not None) for r in started))
    curve = None
    if lesson.type in MEDIA and lesson.duration_s > 0:
        curve = curves.dropoff(((r.watched or [], r.furthest_s) for r in started), float(lesson.duration_s))
        curve = curve if curves.shown(curve.starters, floor) else None
    return LessonFigures(lesson, funnel, curve, len(started))


@dataclass(frozen=True)
class Row:
    """One resource in a roll-up: its funnel, or None below the floor or withheld with one that is (`_withheld`)."""

    resource: Resource
    enrolled: int
    funnel: curves.Funnel | None


def rollup(session: Session, resource_ids: Collection[int], floor: int) -> tuple[ResourceFigures, list[Row]]:
    """The sum over `resource_ids` (one funnel of learner × resource pairs) and one row per resource."""
    ids = list(resource_ids)
    resources = list(session.scalars(select(Resource).where(Resource.id.in_(ids)).order_by(Resource.title)))
    enrolments = _enrolments(session, ids)
    rows = _progress_rows(session, ids)
    lessons: dict[int, Lesson] = {lesson.id: lesson for lesson in session.scalars(
        select(Lesson).where(Lesson.resource_id.in_(ids)))}
    counts: dict[int, int] = {}
    for resource_id, n in session.execute(select(Lesson.resource_id, func.count())
                                          .where(Lesson.resource_id.in_(ids)).group_by(Lesson.resource_id)):
        counts[resource_id] = n
    shares: dict[tuple[int, int], list[float]] = defaultdict(list)
    started: set[tuple[int, int]] = set()
    for row in rows:
        key = (row.resource_id, row.user_id)
        shares[key].append(_lesson_share(lessons[row.lesson_id], row))
        if _started(row):
            started.add(key)
    completed = {(e.resource_id, e.user_id) for e in enrolments if e.completed_at is not None}
    per_resource: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for key in started:
        padded = shares[key] + [0.0] * max(0, counts.get(key[0], 0) - len(shares[key]))
        per_resource[key[0]].append((curves.learner_share(padded), key in completed))
    enrolled = Counter(e.resource_id for e in enrolments)
    total = len(enrolments)
    learners = len({e.user_id for e in enrolments})
    hidden = _withheld(enrolled, resources, floor, complement=curves.shown(learners, floor))
    table = [Row(r, enrolled[r.id], None if r.id in hidden else curves.funnel(enrolled[r.id], per_resource[r.id]))
             for r in resources]
    funnel = curves.funnel(total, [pair for pairs in per_resource.values() for pair in pairs])
    summary = ResourceFigures(None, floor, total, funnel if curves.shown(learners, floor) else None,
                              **_common(enrolments, rows, floor))
    return summary, table


def _withheld(enrolled: Counter[int], resources: list[Resource], floor: int, complement: bool) -> set[int]:
    """The resources whose funnel is withheld: fewer learners than `floor`; and, when the total funnel is shown,
    the smallest others with them until the withheld hold at least `floor` together (the total less the shown
    rows gave a withheld course of two back, stage by stage)."""
    hidden = {r.id for r in resources if not curves.shown(enrolled[r.id], floor)}
    others = sorted((enrolled[r.id], r.id) for r in resources if r.id not in hidden and enrolled[r.id] > 0)
    while complement and hidden and sum(enrolled[i] for i in hidden) < floor and others:
        hidden.add(others.pop(0)[1])
    return hidden
