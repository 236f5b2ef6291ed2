"""One recurring duty's loop inside a runtime: its own thread, so a slow duty (or a ten-minute transcode in the
job pool) never delays another, and the search indexer still runs right after a commit wakes it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.jobs import leases
from app.jobs.duties import Duty, DutyContext

log = logging.getLogger("app.jobs")
IDLE_RECORD_S = 60.0   # a duty that runs in every process says it is alive this often, even with nothing to do


class DutyLoop:
    """Calls the duty when it is due (or woken), records the outcome, backs off after failures."""

    def __init__(self, app: Flask, duty: Duty, *, worker: str, poll_s: float, lease_s: float, retry_base_s: float,
                 record_every_s: float, stop: threading.Event):
        self.app, self.duty, self.worker = app, duty, worker
        self.every_s = duty.interval(app.config)
        self.poll_s, self.lease_s, self.retry_base_s = poll_s, lease_s, retry_base_s
        self.record_every_s = record_every_s
        self.stopping = stop
        self.failures = 0
        self.running = False  # holds the lease now: the runtime renews it
        self._last_record = 0.0
        self._ensured = False
        self.thread = threading.Thread(target=self.run, name=f"duty-{duty.name}", daemon=True)

    def start(self) -> DutyLoop:
        self.thread.start()
        return self

    def wake(self) -> None:
        if self.duty.wake is not None:
            self.duty.wake.set()

    def run(self) -> None:
        if self.duty.on_start is not None:
            try:
                self.duty.on_start(self.app)
            except Exception:  # noqa: BLE001 - a cache not warmed is slower, not broken
                log.exception("start-up of duty %s failed", self.duty.name)
        while not self.stopping.is_set():
            delay = self.step()
            if delay > 0 and not self.stopping.is_set():
                self._sleep(delay)

    def _sleep(self, delay: float) -> None:
        wake = self.duty.wake
        if wake is None:
            self.stopping.wait(delay)
        else:  # a commit with work for it sets the event (and so does stopping)
            wake.wait(delay)
            wake.clear()

    def step(self) -> float:
        """Run the duty once if it is due and this runtime may; returns the seconds to wait before the next."""
        with self.app.app_context():
            try:
                return self._step(db.session)
            except Exception:  # noqa: BLE001 - the database failed around the duty: keep the loop, try later
                log.exception("recurring duty %s: bookkeeping failed; retrying", self.duty.name)
                return max(self.poll_s, min(self.every_s, self.retry_base_s))
            finally:
                db.session.remove()

    def _step(self, session: Session) -> float:
        name = self.duty.name
        if not self._ensured:
            leases.ensure(session, name)
            self._ensured = True
        if self.duty.exclusive and not leases.take(session, name, self.worker, self.lease_s):
            due = leases.next_run_at(session, name)
            wait = (due - utcnow()).total_seconds() if due is not None else self.every_s
            return max(self.poll_s, min(wait, self.every_s))  # another runtime has it, or not due yet
        started, error, recovered = utcnow(), "", self.failures > 0
        self.running = True
        try:
            more = self.duty.run(DutyContext(self.app, session, name, self.worker, self.failures))
        except Exception as err:  # noqa: BLE001 - a failing duty is logged and retried, never kills the runtime
            session.rollback()
            self.failures += 1
            delay = float(min(self.retry_base_s * 2 ** (self.failures - 1), self.duty.max_backoff_s))
            log.exception("recurring duty %s failed (%s in a row); next try in %.1f s", name, self.failures, delay)
            error, more = f"{type(err).__name__}: {err}", False
        else:
            self.failures = 0
            delay = 0.0 if more else self.every_s
        finally:
            self.running = False
        session.rollback()  # a duty commits its own work; nothing half-done is kept
        self._record(session, started, error, delay, worked=bool(more), recovered=recovered and not error)
        return delay

    def _record(self, session: Session, started: datetime, error: str, delay: float, *, worked: bool,
                recovered: bool) -> None:
        """Exclusive duties give their lease back on every run; the others (which may run every half second in
        every process) write their row after a failure or a recovery, else at most every few seconds."""
        now = time.monotonic()
        if self.duty.exclusive:
            if not leases.record(session, self.duty.name, self.worker, started=started, error=error,
                                 failures=self.failures, next_in_s=delay):
                log.warning("recurring duty %s outlived its lease; another runtime may have run it", self.duty.name)
        else:
            since = now - self._last_record
            if not (error or recovered or worked and since >= self.record_every_s or since >= IDLE_RECORD_S):
                return
            leases.record(session, self.duty.name, self.worker, started=started, error=error,
                          failures=self.failures)
        self._last_record = now
