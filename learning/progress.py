"""Progress rules for video and audio lessons, pure: no app, no database.

The server keeps, per learner and lesson, the union of watched intervals and the furthest position.
Heartbeats may arrive twice, late or out of order (offline replay), so merging is a set union:
commutative, idempotent, and never moves progress backwards. Completion counts only seconds actually
watched, so dragging the playhead to the end completes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.playback import PLAYER_SPEEDS

Interval = tuple[float, float]

DEFAULT_COMPLETION_RATIO = 0.9
# Seconds of slack for clocks and players that report a little past the duration or the wall clock.
TOLERANCE_S = 2.0
# The trust rules allow no faster playback than the player's fastest button (app.playback, shared with media).
MAX_PLAYBACK_RATE = max(PLAYER_SPEEDS)


def merge(intervals: Iterable[Sequence[float]]) -> list[Interval]:
    """Sorted, non-overlapping union; touching intervals ([0,10] and [10,20]) join."""
    spans = sorted((float(a), float(b)) for a, b in intervals if b > a)
    merged: list[Interval] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def covered(intervals: Iterable[Sequence[float]]) -> float:
    return sum(end - start for start, end in merge(intervals))


def is_complete(intervals: Iterable[Sequence[float]], duration_s: float,
                ratio: float = DEFAULT_COMPLETION_RATIO) -> bool:
    """Complete when the watched union covers at least `ratio` of the duration."""
    if duration_s <= 0:
        return False
    return covered(intervals) >= ratio * duration_s - 1e-9


@dataclass(frozen=True)
class HeartbeatError:
    code: str      # stable, for the API
    message: str   # plain Chinese, for people


def check_heartbeat(position_s: float, watched: Sequence[Sequence[float]], duration_s: float,
                    seconds_since_last: float | None) -> HeartbeatError | None:
    """Reject what no real player could send; None when the heartbeat is plausible.

    `seconds_since_last` is the wall-clock time since this learner's previous accepted heartbeat for
    the lesson (None for the first): new watched time cannot exceed it times the fastest playback rate.
    """
    if position_s < 0 or any(a < 0 or b < 0 for a, b in watched):
        return HeartbeatError("negative_time", "时间不能为负数。")
    limit = duration_s + TOLERANCE_S
    if position_s > limit or any(b > limit for _a, b in watched):
        return HeartbeatError("beyond_duration", "观看位置超出了课程时长。")
    if any(b < a for a, b in watched):
        return HeartbeatError("bad_interval", "观看区间的结束时间早于开始时间。")
    if seconds_since_last is not None:
        allowed = seconds_since_last * MAX_PLAYBACK_RATE + TOLERANCE_S
        if covered(watched) > allowed:
            return HeartbeatError("too_much_watched", "上报的观看时长超过了实际经过的时间。")
    return None


# A player reports at least every 15 s while playing; the first heartbeat after a start or a replay may carry
# up to this much media (at the fastest rate) beyond what the clocks prove.
GRACE_S = 30.0 * MAX_PLAYBACK_RATE + TOLERANCE_S


def within_wall_clock(total_covered_s: float, elapsed_s: float) -> bool:
    """All media seconds counted for a lesson cannot exceed the time the learner spent, at the fastest
    playback rate, plus one heartbeat's grace. `elapsed_s` spans the first to the latest heartbeat."""
    return total_covered_s <= max(elapsed_s, 0.0) * MAX_PLAYBACK_RATE + GRACE_S


@dataclass(frozen=True)
class Beat:
    """One heartbeat as the server accepts it. `order` = (client time in ms, seq): the newest sets the
    resume position, so replaying an old heartbeat from the offline queue cannot rewind it."""

    position_s: float
    watched: tuple[Interval, ...]
    order: tuple[int, int]


@dataclass(frozen=True)
class Progress:
    watched: tuple[Interval, ...] = ()
    position_s: float = 0.0
    furthest_s: float = 0.0
    order: tuple[int, int] = (0, -1)


def fold(state: Progress, beat: Beat) -> Progress:
    """Commutative for the union and the furthest position, newest-wins for the resume position."""
    newer = beat.order > state.order
    return Progress(watched=tuple(merge([*state.watched, *beat.watched])),
                    position_s=beat.position_s if newer else state.position_s,
                    furthest_s=max(state.furthest_s, beat.position_s),
                    order=max(beat.order, state.order))


def check_reading(position_pct: float, watched: Sequence[Sequence[float]], earliest_s: float,
                  latest_s: float) -> HeartbeatError | None:
    """Reading heartbeats carry the scroll percentage and spans of reading time in epoch seconds, which
    must lie between the enrolment and now (with clock slack)."""
    if position_pct < 0 or any(a < 0 or b < 0 for a, b in watched):
        return HeartbeatError("negative_time", "时间不能为负数。")
    if position_pct > 100:
        return HeartbeatError("beyond_duration", "阅读位置超出了页面。")
    if any(b < a for a, b in watched):
        return HeartbeatError("bad_interval", "观看区间的结束时间早于开始时间。")
    if any(a < earliest_s or b > latest_s for a, b in watched):
        return HeartbeatError("too_much_watched", "上报的阅读时间超出了实际可能的时间。")
    return None


def reading_complete(reached_end: bool, read_intervals: Iterable[Sequence[float]], min_read_s: float) -> bool:
    return reached_end and covered(read_intervals) >= min_read_s - 1e-9
