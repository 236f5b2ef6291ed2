"""When a study reminder is due, pure: no app, no database, no clock of its own.

A worker names weekly slots in Beijing time (a weekday and a window of minutes, e.g. Monday 12:00-12:30), how
many reminders a week they want at most, and quiet hours. Moments are stored in UTC (naive, as the database
keeps them); Beijing has kept UTC+8 without daylight saving since 1991, so the conversion is a fixed offset.

A reminder is due at `now` when now falls inside one of the slots' windows, outside the quiet hours, and none
was sent for that slot's window yet, none yet on that Beijing day, and fewer than `per_week` in that Beijing week
(Monday to Sunday). Its key is the window's start in UTC: the same window gives the same key however often the
duty runs, so a unique key makes sending idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
DAY_MIN = 24 * 60


@dataclass(frozen=True, order=True)
class Slot:
    weekday: int  # 0 = Monday .. 6 = Sunday, Beijing time
    start: int    # minute of the day, 0..1439
    end: int      # minute of the day, start < end <= 1440

    def __post_init__(self) -> None:
        if not (0 <= self.weekday <= 6 and 0 <= self.start < self.end <= DAY_MIN):
            raise ValueError(f"bad slot {self}")


@dataclass(frozen=True)
class Schedule:
    slots: tuple[Slot, ...]
    per_week: int                     # reminders a week at most
    quiet: tuple[int, int] | None = None  # [start, end) minutes; start > end wraps past midnight

    def is_quiet(self, minute: int) -> bool:
        if self.quiet is None or self.quiet[0] == self.quiet[1]:
            return False
        start, end = self.quiet
        return start <= minute < end if start < end else minute >= start or minute < end


def to_beijing(moment: datetime) -> datetime:
    """A stored (naive UTC) moment as Beijing wall time, naive."""
    return (moment.replace(tzinfo=UTC).astimezone(BEIJING)).replace(tzinfo=None)


def to_utc(local: datetime) -> datetime:
    """A naive Beijing wall time as a stored (naive UTC) moment."""
    return local.replace(tzinfo=BEIJING).astimezone(UTC).replace(tzinfo=None)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def open_window(schedule: Schedule, now: datetime) -> tuple[datetime, datetime] | None:
    """The UTC [start, end) of the slot window `now` (UTC) is in, outside quiet hours; the earliest starting one
    when slots overlap."""
    local = to_beijing(now)
    minute = local.hour * 60 + local.minute
    if schedule.is_quiet(minute):
        return None
    starts = sorted(s for s in schedule.slots if s.weekday == local.weekday() and s.start <= minute < s.end)
    if not starts:
        return None
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    slot = starts[0]
    return to_utc(midnight + timedelta(minutes=slot.start)), to_utc(midnight + timedelta(minutes=slot.end))


def due(schedule: Schedule, now: datetime, sent: Iterable[datetime]) -> datetime | None:
    """The key (window start, UTC) of the reminder to send at `now`, or None. `sent`: the keys of the reminders
    already sent to this worker (at least those of this week)."""
    if schedule.per_week <= 0:
        return None
    window = open_window(schedule, now)
    if window is None:
        return None
    start, end = window
    local_day = to_beijing(now).date()
    keys = list(sent)
    if any(start <= key < end for key in keys):
        return None
    if any(to_beijing(key).date() == local_day for key in keys):
        return None
    this_week = week_start(local_day)
    if sum(1 for key in keys if week_start(to_beijing(key).date()) == this_week) >= schedule.per_week:
        return None
    return start


def parse_window(text: str) -> tuple[int, int]:
    """"12:00-12:30" as minutes (720, 750); "22:00-24:00" ends at midnight. ValueError when malformed."""
    left, _, right = text.replace("–", "-").replace("~", "-").partition("-")
    start, end = minute_of(left), minute_of(right)
    if not start < end:
        raise ValueError("a window ends after it starts")
    return start, end


def minute_of(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    h, m = int(hours), int(minutes or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or h == 24 and m:
        raise ValueError("not a time of day")
    return h * 60 + m


def slots_from(days: Sequence[int], window: tuple[int, int]) -> tuple[Slot, ...]:
    return tuple(Slot(day, window[0], window[1]) for day in sorted(set(days)))
