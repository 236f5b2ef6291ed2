"""The `duty_runs` rows: taking, renewing and giving back a recurring duty's lease, and writing its outcome.

Each function is one short transaction of its own, like the job queue's primitives. A lease is taken with one
atomic `UPDATE ... WHERE next_run_at <= now AND the lease is free or lapsed`, so of two runtimes (in one process
or many, on SQLite or PostgreSQL) exactly one wins a due run; the winner renews the lease while the duty runs,
and a runtime that died mid-run is replaced once its lease lapses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import DutyRun


def ensure(session: Session, name: str) -> None:
    """The duty's row exists (first run on this database: it is due at once)."""
    if session.get(DutyRun, name) is None:
        session.add(DutyRun(name=name, next_run_at=utcnow()))
        try:
            session.commit()
        except IntegrityError:  # another runtime added it meanwhile
            session.rollback()
    session.rollback()


def take(session: Session, name: str, worker: str, lease_s: float) -> bool:
    """Take the lease of a due, free duty. False when it is not due or another runtime holds it."""
    now = utcnow()
    won = cast(CursorResult[Any], session.execute(
        update(DutyRun).where(DutyRun.name == name, DutyRun.next_run_at <= now,
                              or_(DutyRun.lease_until.is_(None), DutyRun.lease_until < now))
        .values(holder=worker, lease_until=now + timedelta(seconds=lease_s), last_started_at=now)
        .execution_options(synchronize_session=False))).rowcount
    session.commit()
    return bool(won)


def next_run_at(session: Session, name: str) -> datetime | None:
    when = session.scalar(select(DutyRun.next_run_at).where(DutyRun.name == name))
    session.rollback()
    return when


def renew(session: Session, names: list[str], worker: str, lease_s: float) -> None:
    """Push the leases this runtime holds further out while their duties run."""
    if names:
        session.execute(update(DutyRun).where(DutyRun.name.in_(names), DutyRun.holder == worker)
                        .values(lease_until=utcnow() + timedelta(seconds=lease_s))
                        .execution_options(synchronize_session=False))
        session.commit()


def record(session: Session, name: str, worker: str, *, started: datetime, error: str = "", failures: int = 0,
           next_in_s: float | None = None) -> bool:
    """Write a run's outcome. With `next_in_s` the run held the lease: give it back and set the next due time
    (only if this runtime still holds it). False when the lease was lost meanwhile."""
    now = utcnow()
    values: dict[str, Any] = {"last_started_at": started, "last_finished_at": now, "last_worker": worker,
                              "runs": DutyRun.runs + 1, "failures": failures}
    if error:  # kept after a recovery too: `failures` says whether it still fails, `last_error_at` when it did
        values.update(last_error=error[-4000:], last_error_at=now)
    where = [DutyRun.name == name]
    if next_in_s is not None:
        values.update(holder="", lease_until=None, next_run_at=now + timedelta(seconds=next_in_s))
        where.append(DutyRun.holder == worker)
    changed = cast(CursorResult[Any], session.execute(update(DutyRun).where(*where).values(**values)
                                                      .execution_options(synchronize_session=False))).rowcount
    session.commit()
    return bool(changed)
