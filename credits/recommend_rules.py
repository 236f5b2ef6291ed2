"""What to study next, as a pure ranking over plain inputs (no app, no database), so the home page, the
"course finished" card and the offline evaluation in bench/recommendations.py rank the same way.

Every recommendation carries the reasons that earned it (a pathway in progress, what workers like them
finished, the worker's industry or menu section, the union's catalog, the whole site's favourites); the page
turns each reason into a sentence ("因为你在学 电工 高级工 路径"). A course the worker has started or finished is
never recommended: the first is 继续学习's job, the second is done."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# A pathway in progress always comes first, in its own order (the worker chose it); then what workers who took the same
# courses went on to finish; then fit with the worker's trade; popularity only breaks ties between the rest.
PATHWAY = 1000.0
CO_COMPLETION = 40.0
INDUSTRY = 12.0
CATEGORY = 8.0
UNION = 6.0
POPULAR = 1.0
PER_PATHWAY = 2   # the next steps of each pathway go first, so two pathways in progress both show


@dataclass(frozen=True)
class Course:
    """A published course that may be recommended."""

    id: int
    title: str = ""
    industries: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()   # menu codes of the sections it is listed in
    popularity: int = 0                         # enrolments


@dataclass(frozen=True)
class PathwayInProgress:
    title: str
    missing: tuple[int, ...]    # its courses the worker has not finished, required ones first


@dataclass
class Inputs:
    courses: dict[int, Course]
    started: frozenset[int] = frozenset()       # enrolled, finished or not
    industries: frozenset[str] = frozenset()    # the worker's trades (profile, else the courses taken)
    categories: frozenset[str] = frozenset()
    pathways: Sequence[PathwayInProgress] = ()
    # course -> {other course: how many workers who took the first finished the other}
    co_completion: dict[int, dict[int, int]] = field(default_factory=dict)
    union_name: str = ""
    union_courses: Sequence[int] = ()           # the union catalog's courses, most taken first


@dataclass(frozen=True)
class Reason:
    kind: str        # pathway | peers | industry | category | union | popular
    subject: str     # the pathway's title, the course workers also took, the industry, ...


@dataclass
class Recommendation:
    course: Course
    score: float
    reasons: list[Reason]


def _add(found: dict[int, tuple[float, list[Reason]]], course_id: int, points: float, reason: Reason) -> None:
    score, reasons = found.get(course_id, (0.0, []))
    found[course_id] = (score + points, reasons + [reason])


def _pathway_points(inputs: Inputs, found: dict[int, tuple[float, list[Reason]]]) -> dict[int, int]:
    """Adds the pathway reasons; returns each pathway course's place (earlier pathways, required items first)."""
    order: dict[int, int] = {}
    for pathway in inputs.pathways:
        for course_id in pathway.missing[:PER_PATHWAY]:
            if course_id not in order:
                order[course_id] = len(order)
                _add(found, course_id, PATHWAY, Reason("pathway", pathway.title))
    return order


def _peer_points(inputs: Inputs, found: dict[int, tuple[float, list[Reason]]]) -> None:
    best: dict[int, tuple[int, int]] = {}   # candidate -> (count, the course taken that leads to it)
    for taken in sorted(inputs.started):
        for other, count in inputs.co_completion.get(taken, {}).items():
            if count > best.get(other, (0, 0))[0]:
                best[other] = (count, taken)
    top = max((count for count, _ in best.values()), default=0)
    for other, (count, taken) in best.items():
        title = inputs.courses[taken].title if taken in inputs.courses else ""
        _add(found, other, CO_COMPLETION * count / top, Reason("peers", title))


def _fit_points(inputs: Inputs, found: dict[int, tuple[float, list[Reason]]]) -> None:
    union_rank = {course_id: i for i, course_id in enumerate(inputs.union_courses)}
    most = max((c.popularity for c in inputs.courses.values()), default=0) or 1
    for course in inputs.courses.values():
        for industry in sorted(course.industries & inputs.industries)[:1]:
            _add(found, course.id, INDUSTRY, Reason("industry", industry))
        for category in sorted(course.categories & inputs.categories)[:1]:
            _add(found, course.id, CATEGORY, Reason("category", category))
        if course.id in union_rank:
            _add(found, course.id, UNION / (1 + union_rank[course.id] / 10), Reason("union", inputs.union_name))
        if course.popularity:
            score, reasons = found.get(course.id, (0.0, []))
            found[course.id] = (score + POPULAR * course.popularity / most, reasons)


def rank(inputs: Inputs, limit: int = 5) -> list[Recommendation]:
    """The best `limit` courses for this worker, each with at least one reason, none already started."""
    found: dict[int, tuple[float, list[Reason]]] = {}
    order = _pathway_points(inputs, found)
    _peer_points(inputs, found)
    _fit_points(inputs, found)
    out = []
    for course_id, (score, reasons) in found.items():
        course = inputs.courses.get(course_id)
        if course is None or course_id in inputs.started:
            continue
        out.append(Recommendation(course, score, reasons or [Reason("popular", "")]))
    out.sort(key=lambda r: (order.get(r.course.id, len(order)), -r.score, -r.course.popularity, r.course.id))
    return out[:limit]


def most_popular(courses: Iterable[Course], started: frozenset[int], limit: int) -> list[int]:
    """The baseline: the most taken courses the worker has not started."""
    ordered = sorted((c for c in courses if c.id not in started), key=lambda c: (-c.popularity, c.id))
    return [c.id for c in ordered[:limit]]


def hit_rate(ranked: Sequence[Sequence[int]], truths: Sequence[int], k: int) -> float:
    """The share of learners whose actual next course is among the first `k` recommended to them."""
    if len(ranked) != len(truths):
        raise ValueError("one ranked list per learner")
    if not truths:
        return 0.0
    return sum(1 for ids, truth in zip(ranked, truths, strict=True) if truth in ids[:k]) / len(truths)
