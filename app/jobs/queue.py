"""The `jobs` table as a queue: enqueue and cancel (services: they flush, the caller commits), and the worker's
primitives (claim, heartbeat, requeue_stale, finish), each one short transaction of its own.

Workers on any number of hosts claim from the one table. On PostgreSQL a claim locks the oldest due queued row with
`SELECT ... FOR UPDATE SKIP LOCKED` and marks it running in the same transaction, so concurrent workers each take
a different row without waiting for one another; on SQLite (one writer at a time anyway) the claim is one atomic
`UPDATE ... WHERE state = 'queued'`. Workers stamp a heartbeat while they run a job and write the outcome. A job
whose heartbeat went stale (its worker died) is queued again; a fresh claim token per claim keeps a worker that
lost its claim from writing, so a job never runs twice at once with both runs counting.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app import logs
from app.db import utcnow
from app.jobs.models import Job, JobState

log = logging.getLogger("app.jobs")


# -- operations used by services and views (they flush; the caller commits) ------------------------------------

def enqueue(session: Session, kind: str, payload: dict[str, Any] | None = None, *, key: str | None = None,
            max_attempts: int = 3, delay_s: float = 0) -> Job:
    if key is not None:
        live = session.scalar(select(Job).where(Job.key == key, Job.state.in_([JobState.queued, JobState.running])))
        if live is not None:
            return live
    payload = dict(payload or {})
    if logs.current("request_id") and "request_id" not in payload:  # the runtime logs the job under it
        payload["request_id"] = logs.current("request_id")
    job = Job(kind=kind, key=key, payload=payload, max_attempts=max_attempts,
              run_after=utcnow() + timedelta(seconds=delay_s))
    session.add(job)
    session.flush()
    return job


def cancel(session: Session, job: Job) -> None:
    """A queued job ends at once; a running one gets the flag, which its worker passes to the handler."""
    if job.state == JobState.queued:
        job.state, job.finished_at = JobState.cancelled, utcnow()
    elif job.state == JobState.running:
        job.cancel_requested = True
    session.flush()


# -- worker primitives: each is one short transaction of its own -----------------------------------------------

def claim(session: Session, worker: str) -> tuple[int, str] | None:
    """Take the oldest due queued job. The UPDATE re-checks the state, so two workers never both win."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return _claim_skip_locked(session, worker)
    now = utcnow()
    candidates = session.scalars(select(Job.id).where(Job.state == JobState.queued, Job.run_after <= now)
                                 .order_by(Job.run_after, Job.id).limit(5)).all()
    for job_id in candidates:
        token = uuid.uuid4().hex
        won = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id == job_id, Job.state == JobState.queued)
            .values(**_running(worker, token, now))
            .execution_options(synchronize_session=False))).rowcount
        session.commit()
        if won:
            return job_id, token
    session.rollback()
    return None


def _running(worker: str, token: str, now: datetime) -> dict[str, Any]:
    return {"state": JobState.running, "attempts": Job.attempts + 1, "claim_token": token, "worker": worker,
            "heartbeat_at": now, "started_at": now, "progress": 0.0, "error": ""}


def _claim_skip_locked(session: Session, worker: str) -> tuple[int, str] | None:
    """PostgreSQL: lock the oldest due queued row no other claim holds (SKIP LOCKED: no waiting, no losing a
    race) and mark it running before the lock is released by the commit."""
    now = utcnow()
    job_id = session.scalar(select(Job.id).where(Job.state == JobState.queued, Job.run_after <= now)
                            .order_by(Job.run_after, Job.id).limit(1).with_for_update(skip_locked=True))
    if job_id is None:
        session.rollback()
        return None
    token = uuid.uuid4().hex
    session.execute(update(Job).where(Job.id == job_id).values(**_running(worker, token, now))
                    .execution_options(synchronize_session=False))
    session.commit()
    return job_id, token


def requeue_stale(session: Session, stale_after_s: float) -> list[int]:
    """Jobs whose worker stopped beating: queue them again, or fail them when out of attempts."""
    before = utcnow() - timedelta(seconds=stale_after_s)
    stale = session.scalars(select(Job).where(Job.state == JobState.running, Job.heartbeat_at < before)).all()
    ended = []
    for job in stale:
        out_of_attempts = job.attempts >= job.max_attempts
        values: dict[str, Any] = {"claim_token": None, "error": "worker stopped responding"}
        if job.cancel_requested:
            values.update(state=JobState.cancelled, finished_at=utcnow())
        elif out_of_attempts:
            values.update(state=JobState.failed, finished_at=utcnow())
        else:
            values.update(state=JobState.queued, run_after=utcnow())
        changed = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id == job.id, Job.claim_token == job.claim_token)
            .values(**values).execution_options(synchronize_session=False))).rowcount
        if changed:
            log.warning("job %s (%s) had a stale heartbeat: %s", job.id, job.kind, values["state"].value)
            if values["state"] != JobState.queued:
                ended.append(job.id)
    session.commit()
    return ended


def heartbeat(session: Session, running: dict[int, tuple[str, float]]) -> tuple[set[int], set[int]]:
    """Stamp every running job of this worker and write its progress. Returns (cancel requested, claim lost)."""
    now, lost = utcnow(), set()
    for job_id, (token, progress) in running.items():
        changed = cast(CursorResult[Any], session.execute(
            update(Job).where(Job.id == job_id, Job.claim_token == token)
            .values(heartbeat_at=now, progress=progress)
            .execution_options(synchronize_session=False))).rowcount
        if not changed:
            lost.add(job_id)
    session.commit()
    cancel = set(session.scalars(select(Job.id).where(Job.id.in_(list(running)), Job.cancel_requested)).all())
    session.rollback()
    return cancel, lost


def finish(session: Session, job_id: int, token: str, state: JobState, *, error: str = "", progress: float = 100.0,
           retry_after_s: float | None = None) -> bool:
    """Write a run's outcome, unless the claim was lost meanwhile. `retry_after_s` queues it again instead."""
    values: dict[str, Any] = {"claim_token": None, "error": error[-4000:], "progress": progress}
    if retry_after_s is not None:
        values.update(state=JobState.queued, run_after=utcnow() + timedelta(seconds=retry_after_s))
    else:
        values.update(state=state, finished_at=utcnow())
    changed = cast(CursorResult[Any], session.execute(
        update(Job).where(Job.id == job_id, Job.claim_token == token).values(**values)
        .execution_options(synchronize_session=False))).rowcount
    session.commit()
    return bool(changed)
