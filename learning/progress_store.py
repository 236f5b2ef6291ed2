"""The heartbeat's statements (learning.heartbeats keeps the rules): built once with bound parameters and run on
the session's connection without the ORM (no identity map is needed) or SQLAlchemy's execution layer (see
app.db.DirectStatement), as a heartbeat's SQL is most of its cost. Every function takes the connection and
plain values and returns a row (a named tuple, or None) or whether the row was written."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Boolean,
    Connection,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User, UserSession
from app.db import DirectStatement
from catalog.models import Lesson, Resource
from learning.habit_models import StudyDay
from learning.models import Enrolment, LearnerClock, LearningSettings, LessonProgress


@dataclass(frozen=True)
class Snapshot:
    """The progress row as read, for one compare-and-set attempt."""

    id: int
    watched: list[list[float]]
    covered_s: float
    position_s: float
    furthest_s: float
    reached_end: bool
    last_client_ms: int
    last_seq: int
    first_client_ms: int
    max_client_ms: int
    first_seen_at: datetime
    completed_at: datetime | None
    version: int


SNAPSHOT = [getattr(LessonProgress, name) for name in Snapshot.__dataclass_fields__]
UPDATED = [name for name in Snapshot.__dataclass_fields__ if name not in ("id", "first_seen_at")]  # by a heartbeat


@functools.cache
def statements() -> dict[str, DirectStatement]:
    """Built once with bound parameters: constructing SQL expressions was a large share of a heartbeat's time."""
    uid: BindParameter[int] = bindparam("uid")
    lid: BindParameter[int] = bindparam("lid")
    context = (select(Lesson.id, Lesson.type, Lesson.duration_s, Lesson.resource_id,
                      Resource.status.label("resource_status"),
                      Enrolment.id.label("enrolment_id"), Enrolment.enrolled_at, Enrolment.last_active_at,
                      Enrolment.completed_at.label("resource_completed_at"),
                      LearningSettings.completion_ratio, LearningSettings.min_read_s,
                      User.session_version, User.is_active_account, UserSession.id.label("session_id"),
                      LearnerClock.cursor_ms, LearnerClock.spare_s, LearnerClock.version.label("clock_version"),
                      *(column.label(f"row_{column.key}") for column in SNAPSHOT))
               .select_from(User)
               .outerjoin(UserSession, and_(UserSession.id == bindparam("sid"), UserSession.user_id == uid))
               .outerjoin(Lesson, Lesson.id == lid)
               .outerjoin(Resource, Resource.id == Lesson.resource_id)
               .outerjoin(Enrolment, and_(Enrolment.resource_id == Lesson.resource_id, Enrolment.user_id == uid))
               .outerjoin(LearningSettings, LearningSettings.resource_id == Lesson.resource_id)
               .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == uid))
               .outerjoin(LearnerClock, LearnerClock.user_id == uid)
               .where(User.id == uid))
    rows, enrolments, clocks = (cast(Table, model.__table__)  # Core: no ORM
                                for model in (LessonProgress, Enrolment, LearnerClock))
    fields = [*UPDATED, "updated_at"]
    cas = (update(rows).where(rows.c.id == bindparam("row_id"), rows.c.version == bindparam("old_version"))
           .values({name: bindparam(f"v_{name}", type_=rows.c[name].type) for name in fields}))
    cms: BindParameter[int] = bindparam("cms")
    seq: BindParameter[int] = bindparam("seq")
    resume = (update(enrolments)
              .where(enrolments.c.id == bindparam("eid"),
                     or_(enrolments.c.last_client_ms < cms,
                         and_(enrolments.c.last_client_ms == cms, enrolments.c.last_seq < seq)))
              .values(last_lesson_id=bindparam("v_lesson"), last_position_s=bindparam("v_position"),
                      last_client_ms=cms, last_seq=seq, last_active_at=bindparam("v_now")))
    clock = (update(clocks).where(clocks.c.user_id == uid, clocks.c.version == bindparam("clock_old"))
             .values(cursor_ms=bindparam("clock_cursor"), spare_s=bindparam("clock_spare"),
                     version=bindparam("clock_version")))
    clock_read = select(LearnerClock.cursor_ms, LearnerClock.spare_s, LearnerClock.version).where(
        LearnerClock.user_id == uid)
    snapshot = select(*SNAPSHOT).where(LessonProgress.user_id == uid, LessonProgress.lesson_id == lid)
    days = cast(Table, StudyDay.__table__)
    study = {}
    for dialect, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert)):
        adding = insert(days).values(user_id=uid, day=bindparam("day", type_=days.c.day.type),
                                     seconds=bindparam("seconds", type_=days.c.seconds.type))
        study[f"study_{dialect}"] = adding.on_conflict_do_update(
            index_elements=[days.c.user_id, days.c.day], set_={"seconds": days.c.seconds + adding.excluded.seconds})
    for dialect, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert)):
        for kind, (model, unique) in NEW.items():
            table = cast(Table, model.__table__)
            study[f"new_{kind}_{dialect}"] = insert(table).values(
                {name: bindparam(f"n_{name}", type_=table.c[name].type) for name in _new_columns(kind)}
            ).on_conflict_do_nothing(index_elements=[table.c[name] for name in unique])
    return {name: DirectStatement(statement) for name, statement in
            (("context", context), ("snapshot", snapshot), ("cas", cas), ("resume", resume), ("clock", clock),
             ("clock_read", clock_read), *study.items(), ("together", _together(clock, cas, resume, days)))}


def _together(clock: Any, cas: Any, resume: Any, days: Table) -> Any:
    """PostgreSQL: a heartbeat's four writes as one statement (data-modifying WITH), each as `write_beat` runs them
    one by one: the row only once the clock is paid, the resume point and the day's seconds only once both are
    written; it selects whether the clock and the row were. One round trip instead of four."""
    do_clock, do_row = bindparam("do_clock", type_=Boolean), bindparam("do_row", type_=Boolean)
    paid = clock.where(do_clock).returning(clock.table.c.user_id).cte("paid")
    paid_ok = or_(~do_clock, exists(select(paid.c.user_id)))
    folded = cas.where(do_row, paid_ok).returning(cas.table.c.id).cte("folded")
    both_ok = and_(paid_ok, or_(~do_row, exists(select(folded.c.id))))
    resumed = resume.where(both_ok).returning(resume.table.c.id).cte("resumed")
    seconds = bindparam("seconds", type_=days.c.seconds.type)
    adding = postgresql.insert(days).from_select(
        ["user_id", "day", "seconds"], select(bindparam("uid"), bindparam("day", type_=days.c.day.type), seconds)
        .where(both_ok, seconds > literal_column("0")))
    studied = adding.on_conflict_do_update(index_elements=[days.c.user_id, days.c.day],
                                           set_={"seconds": days.c.seconds + adding.excluded.seconds}
                                           ).returning(days.c.user_id).cte("studied")
    return select(exists(select(paid.c.user_id)).label("clock_written"),
                  exists(select(folded.c.id)).label("row_written"),
                  select(func.count()).select_from(resumed).scalar_subquery().label("resumed"),
                  select(func.count()).select_from(studied).scalar_subquery().label("studied"))


def _read(conn: Connection, name: str, params: dict[str, Any]) -> Any:
    """The statement's one row, or None."""
    found = statements()[name].rows(conn, params)
    return found[0] if found else None


def _write(conn: Connection, name: str, params: dict[str, Any]) -> int:
    """How many rows the statement changed."""
    return statements()[name].rowcount(conn, params)


def read_context(conn: Connection, user_id: int, lesson_id: int, session_id: str) -> Any:
    """Account (and that login session), lesson, resource, enrolment, rules, progress row (as `row_<field>`) and
    clock in one query, or None without such an account; the outer-joined parts are None where missing."""
    return _read(conn, "context", {"uid": user_id, "lid": lesson_id, "sid": session_id})


def read_snapshot(conn: Connection, user_id: int, lesson_id: int) -> Snapshot | None:
    """The learner's progress row for the lesson, or None before their first heartbeat there."""
    row = _read(conn, "snapshot", {"uid": user_id, "lid": lesson_id})
    return None if row is None else Snapshot(*row)


def create(conn: Connection, kind: str, values: dict[str, Any]) -> None:
    """Insert the learner's progress row (`kind` "row") or clock ("clock") unless it exists (another heartbeat of
    theirs created it meanwhile): INSERT ... ON CONFLICT DO NOTHING, one statement; a column not in `values` is NULL."""
    _write(conn, f"new_{kind}_{conn.dialect.name}", {f"n_{name}": values.get(name) for name in _new_columns(kind)})


NEW = {"row": (LessonProgress, ("user_id", "lesson_id")), "clock": (LearnerClock, ("user_id",))}  # unique keys


@functools.cache
def _new_columns(kind: str) -> list[str]:
    """The columns `create` inserts: all but a generated id."""
    model, unique = NEW[kind]
    return [c.name for c in cast(Table, model.__table__).c if not c.primary_key or c.name in unique]


def read_clock(conn: Connection, user_id: int) -> Any:
    """The learner's clock (cursor_ms, spare_s, version), or None before their first heartbeat."""
    return _read(conn, "clock_read", {"uid": user_id})


@dataclass(frozen=True)
class Writes:
    """One attempt's writes of a heartbeat: the clock's compare-and-set (None: the clock is unchanged), the progress
    row's (None: nothing changes), then the enrolment's resume point and the day's verified seconds."""

    user_id: int
    clock: tuple[int, int, float] | None  # (version read, cursor_ms, spare_s)
    row: tuple[int, int, dict[str, Any]] | None  # (row id, version read, every Snapshot field but id, first_seen_at)
    enrolment_id: int
    resume: tuple[int, float, int, int]  # (lesson id, position_s, client_ms, seq)
    day: date  # the learner's study day
    seconds: float  # verified study seconds to add to it
    now: datetime


def write_beat(conn: Connection, w: Writes) -> tuple[bool, bool]:
    """The clock, then the row (only if the clock was written), then the resume point (unless it holds a newer
    heartbeat, by client time then seq) and the day's seconds (both only if the clock and row were): whether the
    clock and the row were written (each True when not asked). One statement on PostgreSQL, four on SQLite."""
    lesson_id, position_s, client_ms, seq = w.resume
    params: dict[str, Any] = {"uid": w.user_id, "eid": w.enrolment_id, "cms": client_ms, "seq": seq,
                              "v_lesson": lesson_id, "v_position": position_s, "v_now": w.now, "day": w.day,
                              "seconds": float(w.seconds), "do_clock": w.clock is not None, "do_row": w.row is not None}
    old_clock, cursor_ms, spare_s = w.clock or (0, 0, 0.0)
    params.update(clock_old=old_clock, clock_cursor=cursor_ms, clock_spare=spare_s, clock_version=old_clock + 1)
    row_id, old_version, values = w.row or (0, 0, dict.fromkeys(UPDATED))
    params.update({f"v_{name}": value for name, value in values.items()}, row_id=row_id, old_version=old_version,
                  v_updated_at=w.now)
    if conn.dialect.name == "postgresql":
        found = statements()["together"].rows(conn, params)[0]
        return (found.clock_written or w.clock is None), (found.row_written or w.row is None)
    if w.clock is not None and not _write(conn, "clock", params):
        return False, False
    if w.row is not None and not _write(conn, "cas", params):
        return True, False
    _write(conn, "resume", params)
    if w.seconds > 0:
        _write(conn, f"study_{conn.dialect.name}", params)
    return True, True


def write_clock(conn: Connection, user_id: int, old_version: int, cursor_ms: int, spare_s: float) -> bool:
    """Compare-and-set of the clock alone (giving back what an attempt paid before a refusal): False when another
    heartbeat changed it since `old_version` was read."""
    return bool(_write(conn, "clock", {"uid": user_id, "clock_old": old_version, "clock_cursor": cursor_ms,
                                       "clock_spare": spare_s, "clock_version": old_version + 1}))


def add_study_seconds(conn: Connection, user_id: int, day: date, seconds: float) -> None:
    """Add to the learner's verified study seconds of that day (its row created on first use), in one statement."""
    _write(conn, f"study_{conn.dialect.name}", {"uid": user_id, "day": day, "seconds": seconds})


def count_refusal(conn: Connection, enrolment_id: int, code: str, now: datetime) -> None:
    """One more refused heartbeat on the enrolment, for staff to review (a rare path: plain SQLAlchemy)."""
    conn.execute(update(Enrolment).where(Enrolment.id == enrolment_id).values(
        refusals=Enrolment.refusals + 1, last_refusal=code, last_refused_at=now))
