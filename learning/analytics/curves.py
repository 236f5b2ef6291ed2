"""The analytics' pure figures, without Flask or a database: the drop-off curve inside a video from the learners'
merged watched intervals, the completion funnel, enrolments by week and study by hour, and the privacy floor.

What the intervals can tell: `watched` is the union of what a learner saw, so a stretch seen twice is stored once.
Rewatching therefore cannot be read from it (nor from anything else stored: the heartbeat is folded into the row and
not kept); the curve shows who watched each stretch and where each learner's furthest position stopped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

BUCKETS = 100       # a point per 1% of the video
MIN_BUCKET_S = 1.0  # but none shorter than a second (a 30-second clip has 30 points)
SEEN_SHARE = 0.5    # a learner watched a stretch when their intervals cover at least half of it


def bucket_width(duration_s: float) -> float:
    """Seconds per point of a video's curve: a hundredth of it, and at least a second."""
    return max(MIN_BUCKET_S, duration_s / BUCKETS)


@dataclass(frozen=True)
class Curve:
    """One video's curve. Point i covers [starts[i], starts[i] + width); `watched[i]` learners saw at least half of
    it and `stopped[i]` learners' furthest position lies in it (and not in the last point: those `finished`)."""

    duration_s: float
    width: float
    starters: int  # learners with any watched second
    starts: list[float]
    watched: list[int]
    stopped: list[int]
    finished: int

    def share(self, i: int) -> float:
        """Share of starters who watched point i (0..1)."""
        return self.watched[i] / self.starters if self.starters else 0.0

    def biggest_drop(self) -> int | None:
        """The point where most learners stopped (the earliest on a tie), None when nobody stopped early."""
        if not any(self.stopped):
            return None
        return max(range(len(self.stopped)), key=lambda i: (self.stopped[i], -i))


def _coverage(intervals: Iterable[Sequence[float]], duration_s: float, width: float, count: int) -> list[float]:
    """Seconds of each point covered by the (merged, non-overlapping) intervals, clipped to the video."""
    covered = [0.0] * count
    for interval in intervals:
        start, end = max(0.0, float(interval[0])), min(duration_s, float(interval[1]))
        if end <= start:
            continue
        first, last = int(start // width), min(count - 1, int(math.ceil(end / width)) - 1)
        for i in range(first, last + 1):
            covered[i] += max(0.0, min(end, (i + 1) * width) - max(start, i * width))
    return covered


def dropoff(learners: Iterable[tuple[Sequence[Sequence[float]], float]], duration_s: float) -> Curve:
    """The curve of one video of `duration_s` seconds from each learner's (merged watched intervals, furthest
    position). Learners who watched nothing are not starters and count nowhere."""
    width = bucket_width(duration_s) if duration_s > 0 else MIN_BUCKET_S
    count = max(1, int(math.ceil(duration_s / width)))
    lengths = [min(width, duration_s - i * width) if duration_s > 0 else width for i in range(count)]
    watched, stopped = [0] * count, [0] * count
    starters = finished = 0
    for intervals, furthest_s in learners:
        covered = _coverage(intervals, duration_s, width, count)
        if not any(c > 0 for c in covered):
            continue
        starters += 1
        for i, seconds in enumerate(covered):
            if seconds >= SEEN_SHARE * lengths[i]:
                watched[i] += 1
        last_seen = max(float(interval[1]) for interval in intervals)
        stop = min(duration_s, max(float(furthest_s), last_seen))
        point = min(count - 1, int(stop // width))
        if point == count - 1:
            finished += 1
        else:
            stopped[point] += 1
    return Curve(duration_s, width, starters, [i * width for i in range(count)], watched, stopped, finished)


@dataclass(frozen=True)
class Funnel:
    """How many of the enrolled started, reached half of the course (or lesson), and completed it."""

    enrolled: int
    started: int
    half: int
    complete: int

    def stages(self) -> list[tuple[str, int]]:
        return [("enrolled", self.enrolled), ("started", self.started), ("half", self.half),
                ("complete", self.complete)]


def learner_share(lesson_shares: Sequence[float]) -> float:
    """How far one learner is through a course: the mean of their lessons' shares (each clipped to 0..1)."""
    if not lesson_shares:
        return 0.0
    return sum(min(1.0, max(0.0, s)) for s in lesson_shares) / len(lesson_shares)


def funnel(enrolled: int, learners: Iterable[tuple[float, bool]]) -> Funnel:
    """The funnel from each learner who has any progress: (their share 0..1, whether they completed). A completed
    learner counts at every stage, whatever their share says; each stage holds at most the one before it."""
    started = half = complete = 0
    for share, completed in learners:
        started += 1
        half += completed or share >= 0.5
        complete += completed
    started = min(started, enrolled)
    return Funnel(enrolled, started, min(half, started), min(complete, half, started))


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def by_week(days: Iterable[date]) -> list[tuple[date, int]]:
    """How many of `days` fall in each week (by its Monday), every week from the first to the last, empty ones 0."""
    counts = Counter(week_of(d) for d in days)
    if not counts:
        return []
    first, last = min(counts), max(counts)
    weeks = (last - first).days // 7 + 1
    return [(first + timedelta(weeks=n), counts.get(first + timedelta(weeks=n), 0)) for n in range(weeks)]


def by_hour(hours: Iterable[int]) -> list[int]:
    """How many of `hours` (0..23) fall in each hour of the day."""
    result = [0] * 24
    for hour in hours:
        result[hour % 24] += 1
    return result


def shown(learners: int, floor: int) -> bool:
    """Whether a figure computed from `learners` people may be shown: never below the floor (and never from
    nobody)."""
    return learners >= max(1, floor)
