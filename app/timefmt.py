"""Dates and times as people in China read them.

Storage keeps naive UTC (`app.db.utcnow`). Everything a person sees — pages, certificates, transcripts,
notices, reports, spreadsheets — and every "today" that decides a deadline is Beijing time (Asia/Shanghai):
a certificate earned at 07:30 in Beijing (23:30 UTC the day before) carries the Beijing day. Calendar dates
(`date` columns: plan dates, notice `published_on`, contract dates) are days already and are never shifted.
Machine-readable outputs (JSON API, xAPI, OAI-PMH, Atom) keep ISO UTC with "Z" and do not come through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import DateTime, Integer, extract, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.db import utcnow

ZONE_NAME = "Asia/Shanghai"
ZONE = ZoneInfo(ZONE_NAME)
DAY = "%Y-%m-%d"
MINUTE = "%Y-%m-%d %H:%M"


def to_local(moment: datetime) -> datetime:
    """A stored time as Beijing wall-clock time: naive means UTC (our storage convention); aware is converted."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZONE)


def local_day(value: date | datetime) -> date:
    """The Beijing calendar day of a stored time; a `date` is a calendar day already and comes back unchanged."""
    if isinstance(value, datetime):
        return to_local(value).date()
    return value


def date_text(value: date | datetime | None, fmt: str = DAY) -> str:
    """`2025-06-30` in Beijing (the Jinja filter `local_date`); empty for None."""
    return "" if value is None else local_day(value).strftime(fmt)


def datetime_text(value: date | datetime | None, fmt: str = MINUTE) -> str:
    """`2025-06-30 07:30` in Beijing (the Jinja filter `local_datetime`); a bare `date` prints as its day."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(DAY)
    return to_local(value).strftime(fmt)


def beijing_today(now: datetime | None = None) -> date:
    """Today in Beijing, for deadlines and form defaults: at 23:30 UTC it is already tomorrow there."""
    return local_day(now if now is not None else utcnow())


class local_year(FunctionElement[int]):  # noqa: N801 - used like a SQL function: local_year(column)
    """SQL: the Beijing calendar year of a stored UTC timestamp, for reports grouped by year."""

    type = Integer()
    inherit_cache = True
    name = "local_year"


@compiles(local_year)
def _local_year_fixed(element: local_year, compiler: Any, **kw: Any) -> str:
    # SQLite has no time zone database; China has kept UTC+8 all year since 1991.
    (column,) = element.clauses
    return str(compiler.process(extract("year", func.datetime(column, literal_column("'+8 hours'"))), **kw))


@compiles(local_year, "postgresql")
def _local_year_zoned(element: local_year, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    local = func.timezone(literal_column(f"'{ZONE_NAME}'"), func.timezone(literal_column("'UTC'"), column))
    return str(compiler.process(extract("year", local), **kw))


def year_of(column: Any) -> Any:
    """The year of a column as people count it: Beijing for a timestamp, the calendar year for a `date`."""
    if isinstance(getattr(column, "type", None), DateTime):
        return local_year(column)
    return extract("year", column)


def init_app(app: Flask) -> None:
    app.add_template_filter(date_text, "local_date")
    app.add_template_filter(datetime_text, "local_datetime")
