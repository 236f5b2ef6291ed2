"""The fair streak (learning/streak.py), pure: a week goal, not a daily chain. Rest days never break it, the
running week does not break it until it is over, more study never lowers it, and only the seconds given count."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from learning.streak import MIN_DAY_S, monday, summarise

TODAY = date(2026, 12, 3)  # a Thursday
days = st.dates(min_value=TODAY - timedelta(days=60), max_value=TODAY)
study = st.dictionaries(days, st.floats(min_value=0, max_value=4 * 3600, allow_nan=False), max_size=40)
goals = st.tuples(st.integers(1, 300), st.integers(1, 7))


def week_goal_met_on(start: date, days_studied: int, minutes_each: int) -> dict[date, float]:
    return {start + timedelta(days=i): minutes_each * 60.0 for i in range(days_studied)}


def test_a_rest_day_inside_the_week_does_not_break_the_streak():
    """Three weeks of 3 x 20 minutes, each with rest days in between (night shifts), keep a 3-week streak."""
    seconds: dict[date, float] = {}
    for back in (1, 2, 3):
        start = monday(TODAY) - timedelta(days=7 * back)
        seconds.update({start: 1200.0, start + timedelta(days=3): 1200.0, start + timedelta(days=6): 1200.0})
    result = summarise(seconds, TODAY, goal_minutes=60, goal_days=3)
    assert result.weeks == 3
    assert not result.this_week.met  # the running week has nothing yet, and that breaks nothing


@given(study, goals, st.lists(days, max_size=10))
def test_adding_rest_days_changes_nothing(seconds, goal, rest):
    """A rest day is a day with no study: marking any day as rest (zero seconds) where there was none is a no-op."""
    rested = dict(seconds)
    for day in rest:
        rested.setdefault(day, 0.0)
    assert summarise(rested, TODAY, *goal) == summarise(seconds, TODAY, *goal)


@given(study, goals, days, st.floats(min_value=0, max_value=3600, allow_nan=False))
def test_more_verified_study_never_lowers_the_streak(seconds, goal, day, extra):
    more = dict(seconds)
    more[day] = more.get(day, 0.0) + extra
    before, after = summarise(seconds, TODAY, *goal), summarise(more, TODAY, *goal)
    assert after.weeks >= before.weeks
    assert after.this_week.minutes >= before.this_week.minutes


@given(goals, st.integers(0, 6))
def test_the_running_week_counts_once_met(goal, weekday):
    minutes, studied_days = goal
    today = monday(TODAY) + timedelta(days=weekday)
    if studied_days > weekday + 1:
        return  # not reachable yet this week
    each = -(-minutes // studied_days)  # ceiling
    seconds = week_goal_met_on(monday(today), studied_days, each)
    result = summarise(seconds, today, minutes, studied_days)
    assert result.this_week.met and result.weeks == 1
    assert result.minutes_left == 0 and result.days_left == 0


@given(goals)
def test_a_missed_week_ends_the_streak(goal):
    minutes, studied_days = goal
    each = -(-minutes // studied_days)
    seconds = week_goal_met_on(monday(TODAY) - timedelta(days=21), studied_days, each)  # three weeks ago only
    assert summarise(seconds, TODAY, minutes, studied_days).weeks == 0


def test_seconds_below_a_minute_make_no_study_day():
    """Opening a lesson for a few seconds (or refreshing it) is not a study day."""
    seconds = {monday(TODAY) + timedelta(days=i): MIN_DAY_S - 1 for i in range(3)}
    result = summarise(seconds, TODAY, goal_minutes=1, goal_days=1)
    assert result.this_week.days == 0 and not result.this_week.met
