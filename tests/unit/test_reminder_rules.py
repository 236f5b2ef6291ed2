"""Reminder scheduling (learning/reminder_rules.py), pure: slots in Beijing time, moments stored in UTC, quiet
hours, one reminder per window and per day, never more a week than the worker chose, and the same answer
however often the duty asks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning.reminder_rules import Schedule, Slot, due, parse_window, to_beijing, to_utc, week_start

slots = st.builds(lambda w, s, length: Slot(w, s, min(1440, s + length)),
                  st.integers(0, 6), st.integers(0, 1439), st.integers(1, 180))
schedules = st.builds(Schedule, st.lists(slots, min_size=1, max_size=8).map(tuple), st.integers(0, 10),
                      st.one_of(st.none(), st.tuples(st.integers(0, 1439), st.integers(0, 1439))))
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31))


def run_week(schedule: Schedule, start: datetime, step_min: int, days: int = 9) -> list[datetime]:
    """What a duty running every `step_min` minutes for `days` would send (keys), starting at UTC `start`."""
    sent: list[datetime] = []
    now = start
    while now < start + timedelta(days=days):
        key = due(schedule, now, sent)
        if key is not None:
            sent.append(key)
        now += timedelta(minutes=step_min)
    return sent


@given(schedules, moments)
def test_a_due_reminder_is_inside_its_slot_and_outside_quiet_hours(schedule, now):
    key = due(schedule, now, [])
    if key is None:
        return
    local = to_beijing(now)
    minute = local.hour * 60 + local.minute
    assert not schedule.is_quiet(minute)
    assert any(s.weekday == local.weekday() and s.start <= minute < s.end for s in schedule.slots)
    start = to_beijing(key)  # the key is the window's start, in Beijing time the slot's own minute
    assert start.date() == local.date() and start <= local
    assert any(s.start == start.hour * 60 + start.minute for s in schedule.slots)


@settings(max_examples=40, deadline=None)
@given(schedules, moments, st.sampled_from([7, 13, 29]))
def test_never_more_than_chosen_a_week_nor_twice_a_day(schedule, start, step):
    sent = run_week(schedule, start, step)
    per_week: dict = {}
    per_day: dict = {}
    for key in sent:
        day = to_beijing(key).date()
        per_week[week_start(day)] = per_week.get(week_start(day), 0) + 1
        per_day[day] = per_day.get(day, 0) + 1
    assert all(n <= schedule.per_week for n in per_week.values())
    assert all(n == 1 for n in per_day.values())
    assert len(set(sent)) == len(sent)


@given(schedules, moments)
def test_asking_again_after_sending_sends_nothing_more(schedule, now):
    """The duty may run twice in the same minute or on two hosts: the window's key is the same, so the second
    run finds it sent."""
    key = due(schedule, now, [])
    if key is not None:
        assert due(schedule, now, [key]) is None
        assert due(schedule, now + timedelta(seconds=59), [key]) is None
        assert due(schedule, now, []) == key  # deterministic


@given(st.integers(0, 6), st.integers(0, 1380), moments)
def test_slots_mean_beijing_time_whatever_the_utc_date(weekday, start, base):
    """A 07:00 slot is 23:00 UTC the day before: the weekday is Beijing's, not UTC's."""
    schedule = Schedule((Slot(weekday, start, start + 30),), per_week=7)
    local = to_beijing(base)
    days_ahead = (weekday - local.weekday()) % 7
    slot_local = (local + timedelta(days=days_ahead)).replace(hour=start // 60, minute=start % 60, second=0,
                                                              microsecond=0)
    now = to_utc(slot_local) + timedelta(minutes=10)
    assert due(schedule, now, []) == to_utc(slot_local)
    assert due(schedule, to_utc(slot_local) - timedelta(minutes=1), []) is None
    assert due(schedule, to_utc(slot_local) + timedelta(minutes=30), []) is None


def test_quiet_hours_that_wrap_midnight_silence_a_night_slot():
    night = Schedule((Slot(0, 23 * 60, 23 * 60 + 30), Slot(1, 6 * 60, 6 * 60 + 30), Slot(1, 8 * 60, 8 * 60 + 30)),
                     per_week=7, quiet=(22 * 60, 7 * 60))
    monday = datetime(2026, 11, 30)  # a Monday
    assert due(night, to_utc(monday.replace(hour=23, minute=5)), []) is None
    assert due(night, to_utc(monday.replace(day=1, month=12, hour=6, minute=5)), []) is None
    assert due(night, to_utc(monday.replace(day=1, month=12, hour=8, minute=5)), []) is not None


def test_zero_a_week_means_none():
    assert run_week(Schedule((Slot(0, 0, 1440),), per_week=0), datetime(2026, 11, 29), 30) == []


@pytest.mark.parametrize("text, expected", [("12:00-12:30", (720, 750)), ("8:00–8:20", (480, 500)),
                                            ("22:00-24:00", (1320, 1440))])
def test_windows_are_read_as_written(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["12:30-12:00", "25:00-26:00", "noon", "12:00-12:60", ""])
def test_malformed_windows_are_refused(text):
    with pytest.raises(ValueError):
        parse_window(text)
