"""The fair streak, pure: weeks, not days. Shift work has rest days and night weeks, so a daily chain punishes
the people this site serves. A week counts when its verified study minutes reach the worker's goal and they
studied on enough days; days without study inside a week never break anything, and the running week does not
break the streak until it is over. Only verified seconds go in (learning's paid media seconds per Beijing day,
learning.habit_models.StudyDay), so opening pages or refreshing them earns nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

MIN_DAY_S = 60.0  # a study day needs at least a minute of verified study
MAX_WEEKS = 104   # how far back a streak is counted


@dataclass(frozen=True)
class Week:
    start: date      # its Monday
    minutes: int     # verified study minutes (whole, rounded down)
    days: int        # days with at least MIN_DAY_S
    met: bool


@dataclass(frozen=True)
class Streak:
    this_week: Week
    weeks: int           # weeks in a row meeting the goal, up to now (this week counts once met)
    goal_minutes: int
    goal_days: int

    @property
    def minutes_left(self) -> int:
        return max(0, self.goal_minutes - self.this_week.minutes)

    @property
    def days_left(self) -> int:
        return max(0, self.goal_days - self.this_week.days)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_of(seconds_by_day: Mapping[date, float], start: date, goal_minutes: int, goal_days: int) -> Week:
    days = [start + timedelta(days=i) for i in range(7)]
    total = sum(max(0.0, seconds_by_day.get(day, 0.0)) for day in days)
    studied = sum(1 for day in days if seconds_by_day.get(day, 0.0) >= MIN_DAY_S)
    minutes = int(total // 60)
    return Week(start, minutes, studied, minutes >= goal_minutes and studied >= goal_days)


def summarise(seconds_by_day: Mapping[date, float], today: date, goal_minutes: int, goal_days: int) -> Streak:
    """This week's figures and the streak of weeks meeting the goal that ends with this week (if met) or the last
    one (while this week is still running)."""
    goal_minutes, goal_days = max(1, goal_minutes), max(1, min(7, goal_days))
    current = week_of(seconds_by_day, monday(today), goal_minutes, goal_days)
    weeks = 1 if current.met else 0
    start = current.start
    for _ in range(MAX_WEEKS):
        start -= timedelta(days=7)
        if not week_of(seconds_by_day, start, goal_minutes, goal_days).met:
            break
        weeks += 1
    return Streak(current, weeks, goal_minutes, goal_days)
