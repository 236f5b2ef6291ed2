"""The registry of background work. Domain packages register it from their `init_app`; the runtime
(app/jobs/runtime.py) runs whatever is registered, so adding a duty never touches the runtime.

Two shapes:
- a **job kind** (`register`): one-off work queued as a `jobs` row by a service (`enqueue`), e.g. transcoding one
  upload. Its handler gets a `JobContext` and must be idempotent (a job may run again after a crash).
- a **recurring duty** (`recurring`): a small function the runtime calls every `every_s` seconds, e.g. removing
  expired uploads or draining the outbox into the search index. It gets a `DutyContext`; a true return value
  means "more may be waiting", and it is called again at once. An exception is logged and the duty retried with
  backoff; it never stops the runtime or the other duties.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import LazyString
from sqlalchemy.orm import Session

from app.jobs.models import Job


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
    label: str | LazyString = ""  # what the status page calls it (a lazy_gettext string); the kind when empty


HANDLERS: dict[str, Handler] = {}


def register(kind: str, run: Callable[[JobContext], None], *,
             on_end: Callable[[Session, Job], None] | None = None, label: str | LazyString = "") -> None:
    HANDLERS[kind] = Handler(run, on_end, label)


@dataclass
class DutyContext:
    """What a recurring duty gets: the app (inside its context), the session, and who runs it."""

    app: Flask
    session: Session
    name: str
    worker: str
    failures: int  # failed runs in a row before this one


@dataclass(frozen=True)
class Backlog:
    """Work a duty has not done yet, for the status page: how much, and since when the oldest waits."""

    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class Duty:
    name: str
    run: Callable[[DutyContext], Any]
    # seconds between runs, or the config key holding them (read when a runtime starts)
    every_s: float | str
    # True: one runner at a time across every process sharing the database (a lease row), on one shared
    # schedule. False: every runtime runs it, for work that is per process or serialised elsewhere.
    exclusive: bool = True
    # set by whoever has work for the duty (e.g. after a commit) to run it before `every_s` is up
    wake: threading.Event | None = None
    on_start: Callable[[Flask], None] | None = None  # once per runtime, in the duty's thread (warm caches)
    backlog: Callable[[Session], Backlog] | None = None
    # whether the in-process runtime of a web process runs it (`qiuxue worker` runs every duty)
    in_process: Callable[[Mapping[str, Any]], bool] | None = None
    label: str | LazyString = ""  # what the status page calls it (a lazy_gettext string); the name when empty
    max_backoff_s: float = 600.0  # the longest wait after failures in a row (the backoff doubles up to it)

    def interval(self, config: Mapping[str, Any]) -> float:
        return float(config[self.every_s] if isinstance(self.every_s, str) else self.every_s)

    def runs_in_process(self, config: Mapping[str, Any]) -> bool:
        return self.in_process is None or self.in_process(config)


RECURRING: dict[str, Duty] = {}


def recurring(duty: Duty) -> None:
    """Register (or, when an app is built again, replace) a recurring duty."""
    RECURRING[duty.name] = duty
