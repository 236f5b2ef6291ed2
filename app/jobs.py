"""Durable background jobs: a `jobs` table and a worker with a small thread pool.

A job is a row (kind, JSON payload, state). Workers claim a queued row with one atomic
`UPDATE ... WHERE state = 'queued'` (safe on SQLite and PostgreSQL alike), stamp a heartbeat while
they run it, and write the outcome. A job whose heartbeat went stale (its worker died) is queued
again; failures are retried with exponential backoff until `max_attempts`; a cancel flag on the row
reaches the running handler through `JobContext.cancel_event`. Handlers are registered by kind and
must be idempotent: a job may run again after a crash half way through.

The worker runs as a thread inside the web process (the embedded default) or as its own process
(`qiuxue media worker`); both use `Worker` below.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import JSON, DateTime, Enum, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow
from app.extensions import db

log = logging.getLogger("app.jobs")


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ENDED = (JobState.succeeded, JobState.failed, JobState.cancelled)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # picks the registered handler, e.g. "media.transcode"
    # Optional de-duplication key: enqueue() returns the live job with the same key instead of adding one.
    key: Mapped[str | None] = mapped_column(String(128), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, name="job_state", native_enum=False, create_constraint=True, length=16,
             values_callable=lambda members: [m.value for m in members]), default=JobState.queued)
    attempts: Mapped[int] = mapped_column(default=0)      # claims so far, including the running one
    max_attempts: Mapped[int] = mapped_column(default=3)
    progress: Mapped[float] = mapped_column(default=0.0)  # percent 0..100, written with the heartbeat
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # A fresh token per claim: a worker that lost its claim (went stale, job re-queued) can no longer write.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    worker: Mapped[str] = mapped_column(String(100), default="")  # host/pid of the last claimant, for operators
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    run_after: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # not claimed before (retry backoff)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state.value} {self.attempts}/{self.max_attempts}>"


class Cancelled(Exception):
    """Raised inside a handler when its job was cancelled; the job ends as cancelled."""


class PermanentError(Exception):
    """A failure that retrying cannot fix (bad input): the job fails at once."""


@dataclass
class JobContext:
    """What a handler gets: its job's id, payload and attempt, a way to report progress, and the cancel flag."""

    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    cancel_event: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0

    def report(self, percent: float) -> None:
        """Kept in memory; the worker writes it with the next heartbeat (one UPDATE, not one per line)."""
        self.progress = max(0.0, min(100.0, float(percent)))

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


@dataclass(frozen=True)
class Handler:
    run: Callable[[JobContext], None]
    # Called (inside an app context) once the job has ended failed or cancelled, to update domain rows.
    on_end: Callable[[Session, Job], None] | None = None


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, float] = {}  # kind -> seconds between runs, enqueued by every worker loop (deduplicated)


def register(kind: str, run: Callable[[JobContext], None], *, on_end: Callable[[Session, Job], None] | None = None,
             every_s: float | None = None) -> None:
    HANDLERS[kind] = Handler(run, on_end)
    if every_s:
        PERIODIC[kind] = every_s


# -- operations used by services and views (they flush; the caller commits) ------------------------------------

def enqueue(session: Session, kind: str, payload: dict[str, Any] | None = None, *, key: str | None = None,
            max_attempts: int = 3, delay_s: float = 0) -> Job:
    if key is not None:
        live = session.scalar(select(Job).where(Job.key == key, Job.state.in_([JobState.queued, JobState.running])))
        if live is not None:
            return live
    job = Job(kind=kind, key=key, payload=payload or {}, max_attempts=max_attempts,
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
    now = utcnow()
    candidates = session.scalars(select(Job.id).where(Job.state == JobState.queued, Job.run_after <= now)
                                 .order_by(Job.run_after, Job.id).limit(5)).all()
    for job_id in candidates:
        token = uuid.uuid4().hex
        won = session.execute(
            update(Job).where(Job.id == job_id, Job.state == JobState.queued)
            .values(state=JobState.running, attempts=Job.attempts + 1, claim_token=token, worker=worker,
                    heartbeat_at=now, started_at=now, progress=0.0, error="")
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
        if won:
            return job_id, token
    session.rollback()
    return None


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
        changed = session.execute(update(Job).where(Job.id == job.id, Job.claim_token == job.claim_token)
                                  .values(**values).execution_options(synchronize_session=False)).rowcount
        if changed:
            log.warning("job %s (%s) had a stale heartbeat: %s", job.id, job.kind, values.get("state").value)
            if values["state"] != JobState.queued:
                ended.append(job.id)
    session.commit()
    return ended


def heartbeat(session: Session, running: dict[int, tuple[str, float]]) -> tuple[set[int], set[int]]:
    """Stamp every running job of this worker and write its progress. Returns (cancel requested, claim lost)."""
    now, lost = utcnow(), set()
    for job_id, (token, progress) in running.items():
        changed = session.execute(update(Job).where(Job.id == job_id, Job.claim_token == token)
                                  .values(heartbeat_at=now, progress=progress)
                                  .execution_options(synchronize_session=False)).rowcount
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
    changed = session.execute(update(Job).where(Job.id == job_id, Job.claim_token == token).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(changed)


# -- the worker ---------------------------------------------------------------------------------------------------

@dataclass
class _Running:
    token: str
    context: JobContext
    lost: bool = False


class Worker:
    """Claims due jobs into a small thread pool, beats their hearts, re-queues stale ones, runs periodic kinds.

    `start()` runs the loop in a daemon thread (the in-process default); `run_forever()` in the caller's thread
    (`qiuxue media worker`); `run_until_idle()` until nothing is due (tests, one-off drains).
    """

    def __init__(self, app: Flask, *, threads: int | None = None, poll_s: float | None = None,
                 heartbeat_s: float | None = None, stale_after_s: float | None = None,
                 retry_base_s: float | None = None, periodic: bool = True, name: str | None = None):
        config = app.config
        self.app = app
        self.threads = threads or int(config.get("JOBS_THREADS", 2))
        self.poll_s = poll_s if poll_s is not None else float(config.get("JOBS_POLL_S", 1.0))
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else float(config.get("JOBS_HEARTBEAT_S", 3.0))
        self.stale_after_s = (stale_after_s if stale_after_s is not None
                              else float(config.get("JOBS_STALE_AFTER_S", 120.0)))
        self.retry_base_s = retry_base_s if retry_base_s is not None else float(config.get("JOBS_RETRY_BASE_S", 30))
        self.periodic = periodic
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="job")
        self._thread: threading.Thread | None = None
        self._last_beat = self._last_stale = 0.0
        self._last_periodic: dict[str, float] = {}

    # lifecycle
    def start(self) -> Worker:
        self._thread = threading.Thread(target=self.run_forever, name="jobs-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop claiming; with `wait`, let running jobs finish first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._pool.shutdown(wait=wait)

    def wake(self) -> None:
        self._wake.set()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a database hiccup must not kill the loop; try again next poll
                log.exception("job worker loop failed; retrying")
            self._wake.wait(self.poll_s)
            self._wake.clear()
        self._beat(force=True)

    def run_until_idle(self, timeout_s: float = 300.0) -> None:
        """Run until no job is queued or running anywhere, waiting out backoff delays and stale heartbeats.
        `timeout_s` guards against a hang; it is not a performance limit."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.tick()
            with self._lock:
                busy = bool(self._running)
            if not busy:
                with self.app.app_context():
                    if not db.session.scalar(select(Job.id).where(Job.state.in_([JobState.queued,
                                                                                 JobState.running])).limit(1)):
                        return
            time.sleep(0.05)
        raise TimeoutError(f"jobs still pending after {timeout_s:.0f} s")

    # one pass of the loop
    def tick(self) -> int:
        now = time.monotonic()
        with self.app.app_context():
            session = db.session
            if now - self._last_stale >= min(self.stale_after_s / 2, 10.0):
                self._last_stale = now
                for job_id in requeue_stale(session, self.stale_after_s):
                    self._ended(session, job_id)
            self._beat()
            if self.periodic:
                self._enqueue_periodic(session, now)
            return self._fill(session)

    def _fill(self, session: Session) -> int:
        claimed = 0
        while not self._stop.is_set():
            with self._lock:
                if len(self._running) >= self.threads:
                    break
            got = claim(session, self.name)
            if got is None:
                break
            job_id, token = got
            job = session.get(Job, job_id)
            assert job is not None
            context = JobContext(job_id, job.kind, dict(job.payload or {}), job.attempts, job.max_attempts)
            session.rollback()
            with self._lock:
                self._running[job_id] = _Running(token, context)
            self._pool.submit(self._run, job_id)
            claimed += 1
        return claimed

    def _beat(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            running = {job_id: (r.token, r.context.progress) for job_id, r in self._running.items() if not r.lost}
        if not running or (not force and now - self._last_beat < self.heartbeat_s):
            return
        self._last_beat = now
        with self.app.app_context():
            cancel, lost = heartbeat(db.session, running)
        with self._lock:
            for job_id in cancel | lost:
                entry = self._running.get(job_id)
                if entry is not None:
                    entry.lost = entry.lost or job_id in lost
                    entry.context.cancel_event.set()

    def _enqueue_periodic(self, session: Session, now: float) -> None:
        for kind, every_s in PERIODIC.items():
            if now - self._last_periodic.get(kind, -every_s) >= every_s:
                self._last_periodic[kind] = now
                enqueue(session, kind, {}, key=f"periodic:{kind}", max_attempts=1)
                session.commit()

    def _run(self, job_id: int) -> None:
        with self._lock:
            entry = self._running[job_id]
        context = entry.context
        state, error, retry = JobState.succeeded, "", None
        try:
            state, error, retry = self._call(context)
        finally:
            with self._lock:
                self._running.pop(job_id, None)
        self._record(job_id, entry, state, error, retry)

    def _call(self, context: JobContext) -> tuple[JobState, str, float | None]:
        handler = HANDLERS.get(context.kind)
        with self.app.app_context():
            try:
                if handler is None:
                    raise PermanentError(f"no handler registered for {context.kind!r}")
                context.check_cancelled()
                handler.run(context)
                return JobState.succeeded, "", None
            except Cancelled:
                return JobState.cancelled, "cancelled", None
            except PermanentError as err:
                return JobState.failed, str(err), None
            except Exception as err:  # noqa: BLE001 - any failure of a handler is the job's outcome, and retried
                log.exception("job %s (%s) attempt %s failed", context.job_id, context.kind, context.attempt)
                retry = None if context.is_last_attempt else self.retry_base_s * 2 ** (context.attempt - 1)
                return JobState.failed, f"{type(err).__name__}: {err}", retry
            finally:
                db.session.rollback()

    def _record(self, job_id: int, entry: _Running, state: JobState, error: str, retry: float | None) -> None:
        if entry.lost:
            log.warning("job %s was taken over by another worker; its result is dropped", job_id)
            return
        with self.app.app_context():
            progress = 100.0 if state == JobState.succeeded else entry.context.progress
            written = finish(db.session, job_id, entry.token, state, error=error, progress=progress,
                             retry_after_s=retry)
            if written and retry is None and state != JobState.succeeded:
                self._ended(db.session, job_id)
        self._wake.set()

    def _ended(self, session: Session, job_id: int) -> None:
        """Let the kind's `on_end` hook update its domain rows once a job has failed or been cancelled."""
        job = session.get(Job, job_id)
        handler = HANDLERS.get(job.kind) if job is not None else None
        if job is None or handler is None or handler.on_end is None:
            return
        try:
            handler.on_end(session, job)
            session.commit()
        except Exception:  # noqa: BLE001 - the job's own state is already written; log the hook's failure
            session.rollback()
            log.exception("on_end hook of job %s failed", job_id)
