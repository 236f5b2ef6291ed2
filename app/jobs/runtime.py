"""The background runtime: one `Worker` runs every duty registered by the domain packages.

- **Jobs** (one-off work, `app.jobs.enqueue`): claimed from the `jobs` table into a small thread pool, with a
  heartbeat while they run (progress and the cancel flag travel with it), re-queued when their worker stops
  beating, retried with exponential backoff until `max_attempts`. Media transcoding is one.
- **Recurring duties** (`app.jobs.recurring`): each in its own thread (`DutyLoop`), every `every_s` seconds or
  when woken; a failure is logged and retried with backoff, never stopping the others. A duty marked exclusive
  runs in one runtime at a time across every process sharing the database (a lease row in `duty_runs`, renewed
  here while it runs); the others (the search indexer) run in every runtime. Media clean-up and search indexing
  are two.

Where it runs: inside each web process, started by its first request (the embedded default, `WORKER=inprocess`,
what `make run` and `qiuxue serve` do), or as its own process (`qiuxue worker`, with `WORKER=external` in the web
processes). `start()` runs it in daemon threads, `run_forever()` in the caller's thread, `run_until_idle()` runs
jobs until none is due (tests, one-off drains). `qiuxue worker status` and /admin/jobs show what it is doing
(app/jobs/status.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import logs
from app.extensions import db
from app.jobs import leases
from app.jobs.duties import HANDLERS, RECURRING, Cancelled, JobContext, PermanentError
from app.jobs.models import Job, JobState
from app.jobs.queue import claim, finish, heartbeat, requeue_stale
from app.jobs.recurring import DutyLoop

log = logging.getLogger("app.jobs")


@dataclass
class _Running:
    token: str
    context: JobContext
    lost: bool = False


class Worker:
    """Claims due jobs into a small thread pool, beats their hearts, re-queues stale ones, and runs the recurring
    duties (all registered ones, or those named in `duties`; none with `periodic=False`) in threads of their own.
    With `jobs=False` it claims no job (a process kept for some duties only: the deprecated `search worker`)."""

    def __init__(self, app: Flask, *, threads: int | None = None, poll_s: float | None = None,
                 heartbeat_s: float | None = None, stale_after_s: float | None = None,
                 retry_base_s: float | None = None, periodic: bool = True, duties: Collection[str] | None = None,
                 duty_retry_s: float | None = None, name: str | None = None, jobs: bool = True):
        config = app.config
        self.app = app
        self.threads = threads or int(config.get("JOBS_THREADS", 2))
        self.poll_s = poll_s if poll_s is not None else float(config.get("JOBS_POLL_S", 1.0))
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else float(config.get("JOBS_HEARTBEAT_S", 3.0))
        self.stale_after_s = (stale_after_s if stale_after_s is not None
                              else float(config.get("JOBS_STALE_AFTER_S", 120.0)))
        self.retry_base_s = retry_base_s if retry_base_s is not None else float(config.get("JOBS_RETRY_BASE_S", 30))
        self.duty_retry_s = duty_retry_s if duty_retry_s is not None else float(config.get("JOBS_DUTY_RETRY_S", 5))
        self.periodic = periodic
        self.jobs = jobs
        self.duty_names = list(RECURRING) if duties is None else [n for n in duties if n in RECURRING]
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="job")
        self._thread: threading.Thread | None = None
        self._loops: list[DutyLoop] = []
        self._last_beat = self._last_stale = self._last_renew = 0.0

    # lifecycle
    def start(self) -> Worker:
        self._thread = threading.Thread(target=self.run_forever, name="jobs-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop claiming and running duties; with `wait`, let running jobs and duty runs finish first."""
        self._stop.set()
        self._wake.set()
        for loop in self._loops:
            loop.wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if wait:
            for loop in self._loops:
                loop.thread.join()
        self._pool.shutdown(wait=wait)

    def wake(self) -> None:
        self._wake.set()

    def run_forever(self) -> None:
        self._start_duties()
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

    def _start_duties(self) -> None:
        if not self.periodic or self._loops:
            return
        for name in self.duty_names:
            loop = DutyLoop(self.app, RECURRING[name], worker=self.name, poll_s=self.poll_s,
                            lease_s=self.stale_after_s, retry_base_s=self.duty_retry_s,
                            record_every_s=self.heartbeat_s, stop=self._stop)
            self._loops.append(loop.start())

    # one pass of the loop
    def tick(self) -> int:
        now = time.monotonic()
        with self.app.app_context():
            session = db.session
            if not self.jobs:
                self._renew_leases(session, now)
                return 0
            if now - self._last_stale >= min(self.stale_after_s / 2, 10.0):
                self._last_stale = now
                for job_id in requeue_stale(session, self.stale_after_s):
                    self._ended(session, job_id)
            self._beat()
            self._renew_leases(session, now)
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

    def _renew_leases(self, session: Session, now: float) -> None:
        """Keep the leases of exclusive duties running here, so no other runtime starts them meanwhile."""
        if now - self._last_renew < self.heartbeat_s:
            return
        self._last_renew = now
        leases.renew(session, [loop.duty.name for loop in self._loops if loop.running and loop.duty.exclusive],
                     self.name, self.stale_after_s)

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
        with self.app.app_context(), logs.bound(job_id=context.job_id, request_id=context.payload.get("request_id")):
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
