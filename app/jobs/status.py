"""What the background runtime is doing, read from the database so that any process can tell: each recurring
duty's last run, error and backlog, and per job kind how many jobs run, wait and failed, and how late the oldest
waiting one is. `qiuxue worker status` prints it; /admin/jobs shows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.duties import HANDLERS, RECURRING, Backlog
from app.jobs.models import DutyRun, Job, JobState

RECENT = timedelta(days=1)  # failures counted on the page: the last day's, not the database's whole history


@dataclass
class KindStatus:
    kind: str
    running: int = 0
    queued: int = 0
    failed: int = 0  # in the last day
    lag_s: float | None = None  # how long the oldest due, queued job has waited
    last_error: str = ""
    label: Any = ""  # the registered (lazily translated) name, for the page


@dataclass
class DutyStatus:
    name: str
    every_s: float | None  # None: not registered in this process (the row of a duty another version ran)
    exclusive: bool
    row: DutyRun | None
    running: bool  # holds its lease now (exclusive duties only: the others run in every process)
    backlog: Backlog | None = None
    lag_s: float | None = None  # the backlog's oldest item, or how overdue the next run is
    label: Any = ""


@dataclass
class Status:
    now: datetime
    duties: list[DutyStatus] = field(default_factory=list)
    kinds: list[KindStatus] = field(default_factory=list)
    running_jobs: list[Job] = field(default_factory=list)
    failed_jobs: list[Job] = field(default_factory=list)  # the latest ones, newest first


def snapshot(session: Session, config: Mapping[str, Any], failed_limit: int = 10) -> Status:
    now = utcnow()
    status = Status(now=now, duties=_duties(session, config, now), kinds=_kinds(session, now))
    status.running_jobs = list(session.scalars(select(Job).where(Job.state == JobState.running).order_by(Job.id)))
    status.failed_jobs = list(session.scalars(select(Job).where(Job.state == JobState.failed)
                                              .order_by(Job.finished_at.desc(), Job.id.desc()).limit(failed_limit)))
    for kind in status.kinds:
        kind.last_error = next((job.error for job in status.failed_jobs if job.kind == kind.kind), "")
    return status


def _duties(session: Session, config: Mapping[str, Any], now: datetime) -> list[DutyStatus]:
    rows = {row.name: row for row in session.scalars(select(DutyRun))}
    found = []
    for name in sorted(set(RECURRING) | set(rows)):
        duty, row = RECURRING.get(name), rows.get(name)
        running = bool(row and row.holder and row.lease_until and row.lease_until > now)
        item = DutyStatus(name, duty.interval(config) if duty else None, duty.exclusive if duty else True, row,
                          running, label=duty.label if duty else "")
        if duty is not None and duty.backlog is not None:
            item.backlog = duty.backlog(session)
            if item.backlog.oldest is not None:
                item.lag_s = max(0.0, (now - item.backlog.oldest).total_seconds())
        elif row is not None and not running and row.next_run_at < now:
            item.lag_s = (now - row.next_run_at).total_seconds()
        found.append(item)
    return found


def _kinds(session: Session, now: datetime) -> list[KindStatus]:
    kinds = {kind: KindStatus(kind, label=handler.label) for kind, handler in HANDLERS.items()}
    counts = session.execute(
        select(Job.kind, Job.state, func.count()).where(Job.state.in_([JobState.running, JobState.queued]))
        .group_by(Job.kind, Job.state)).all()
    failed = session.execute(select(Job.kind, func.count()).where(Job.state == JobState.failed,
                                                                   Job.finished_at >= now - RECENT)
                             .group_by(Job.kind)).all()
    oldest = session.execute(select(Job.kind, func.min(Job.run_after)).where(Job.state == JobState.queued,
                                                                             Job.run_after <= now)
                             .group_by(Job.kind)).all()
    for kind, state, count in counts:
        entry = kinds.setdefault(kind, KindStatus(kind))
        setattr(entry, JobState(state).value, count)
    for kind, count in failed:
        kinds.setdefault(kind, KindStatus(kind)).failed = count
    for kind, since in oldest:
        kinds.setdefault(kind, KindStatus(kind)).lag_s = max(0.0, (now - since).total_seconds())
    return [kinds[kind] for kind in sorted(kinds)]


def seconds(value: float | None) -> str:
    """A duration for people: "0.5 s", "42 s", "3 min", "2 h"."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f} s"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.0f} min" if value < 7200 else f"{value / 3600:.0f} h"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment is not None else "never"


def lines(status: Status) -> list[str]:
    """The plain-text report `qiuxue worker status` prints (an operator's tool, in English like the CLI)."""
    out = ["recurring duties:"]
    for d in status.duties:
        row = d.row
        where = "running now on " + row.holder if d.running and row else ("every process" if not d.exclusive
                                                                          else "one at a time")
        last = _when(row.last_finished_at) if row else "never"
        backlog = f", backlog {d.backlog.count}" if d.backlog is not None else ""
        out.append(f"  {d.name:<20} every {seconds(d.every_s):<7} {where}; last run {last}"
                   f"{' by ' + row.last_worker if row and row.last_worker else ''}, runs {row.runs if row else 0}, "
                   f"failures in a row {row.failures if row else 0}{backlog}, lag {seconds(d.lag_s)}")
        if row and row.last_error:
            out.append(f"    last error ({_when(row.last_error_at)}): {row.last_error.splitlines()[-1][:200]}")
    out.append("jobs:")
    for k in status.kinds:
        out.append(f"  {k.kind:<20} running {k.running}, queued {k.queued}, failed (1 day) {k.failed}, "
                   f"lag {seconds(k.lag_s)}")
        if k.last_error:
            out.append(f"    last error: {k.last_error.splitlines()[-1][:200]}")
    for job in status.running_jobs:
        beat = seconds((status.now - job.heartbeat_at).total_seconds()) if job.heartbeat_at else "-"
        out.append(f"  running #{job.id} {job.kind} {job.progress:.0f}% on {job.worker}, heartbeat {beat} ago")
    return out
