"""Beijing time for people, UTC in storage: the conversion against an independent oracle (UTC+8, which China
has kept all year since 1991), calendar dates never shifted, "today" turning over at 16:00 UTC, and the SQL
year of a timestamp on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, create_engine, literal, select

from app.timefmt import beijing_today, date_text, datetime_text, local_day, local_year, year_of

EIGHT_HOURS = timedelta(hours=8)
stored = st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(2099, 12, 30))  # naive UTC, as in the DB


@given(stored)
def test_a_stored_time_shows_its_beijing_day_and_minute(moment):
    beijing = moment + EIGHT_HOURS
    assert local_day(moment) == beijing.date()
    assert date_text(moment) == beijing.strftime("%Y-%m-%d")
    assert datetime_text(moment) == beijing.strftime("%Y-%m-%d %H:%M")
    assert date_text(moment, "%m-%d") == beijing.strftime("%m-%d")


@given(stored, st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_an_aware_time_is_the_same_instant_whatever_its_zone(moment, offset_min):
    elsewhere = moment.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=offset_min)))
    assert datetime_text(elsewhere) == datetime_text(moment)


@given(st.dates())
def test_a_calendar_date_is_never_shifted(day):
    """Plan dates, notice dates, contract dates, paid_on: days already, the same in every zone."""
    assert local_day(day) == day
    assert date_text(day) == day.strftime("%Y-%m-%d") == datetime_text(day)


def test_nothing_shows_as_empty():
    assert date_text(None) == "" == datetime_text(None)


@given(st.dates(min_value=date(1992, 1, 1), max_value=date(2099, 12, 30)),
       st.times())
def test_today_in_beijing_turns_over_at_16_utc(day, clock):
    now = datetime.combine(day, clock)
    expected = day + timedelta(days=1) if clock.hour >= 16 else day
    assert beijing_today(now) == expected


def test_the_certificate_morning_case():
    """Earned at 07:30 in Beijing = 23:30 UTC the day before: the Beijing day is the one printed."""
    earned = datetime(2026, 3, 14, 23, 30)
    assert date_text(earned) == "2026-03-15" and datetime_text(earned) == "2026-03-15 07:30"
    assert beijing_today(earned) == date(2026, 3, 15)
    assert beijing_today(datetime(2026, 12, 31, 23, 30)) == date(2027, 1, 1)


ENGINE = create_engine("sqlite://")


@given(stored)
def test_the_sql_year_of_a_timestamp_is_the_beijing_year(moment):
    with ENGINE.connect() as conn:
        assert conn.scalar(select(local_year(literal(moment, DateTime)))) == (moment + EIGHT_HOURS).year
        assert conn.scalar(select(year_of(literal(moment, DateTime)))) == (moment + EIGHT_HOURS).year


@given(st.dates(min_value=date(1900, 1, 1)))
def test_the_sql_year_of_a_date_is_its_calendar_year(day):
    with ENGINE.connect() as conn:
        assert conn.scalar(select(year_of(literal(day, Date)))) == day.year
