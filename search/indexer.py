"""Keeping the index in step with the catalog: drain the outbox's "resource" events after commit.

Every catalog change writes an outbox row in its own transaction (app.outbox), so:
- a crash between commit and indexing loses nothing: the row waits for the next drain;
- a rolled-back change wrote no row, and the drain re-reads committed state only, so it is never indexed;
- events are acknowledged only after the index commit, so a crash while indexing repeats the (idempotent)
  work rather than skipping it.

The drain reads the database and writes the index while holding the index's write lock, so two processes
draining at once cannot overwrite a newer state with an older one.

Draining is the recurring duty "search.index" of the background runtime (app/jobs): it runs in every runtime
(each web process's, and `qiuxue worker`), woken right after a commit here that wrote a resource event, else every
SEARCH_POLL_SECONDS; when idle it prepares the view of an index generation another process committed, so this
process's searcher stays warm. `qiuxue search worker` drains in a process of its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, UOWTransaction

from app import jobs, outbox
from app.db import utcnow
from app.outbox import OutboxEvent
from search import analysis, source
from search.backend import IndexBusy, SearchBackend

TOPIC = "resource"
DUTY = "search.index"
BATCH = 200
_log = logging.getLogger(__name__)
_wake = threading.Event()


def drain(session: Session, backend: SearchBackend, batch: int = BATCH) -> int:
    """Apply one batch of pending events; returns how many events it handled (0 when none)."""
    if not outbox.pending(session, TOPIC, limit=1):  # idle polls: no index writer (it builds files)
        session.rollback()
        return 0
    with backend.batch() as writing:  # hold the lock from reading the database to the index commit
        events = outbox.pending(session, TOPIC, limit=batch)
        if not events:
            session.rollback()
            return 0
        writing.apply(*source.changes(session, [int(e.key) for e in events if e.key.isdigit()]))
    outbox.acknowledge(session, events)
    session.commit()
    if len(events) < batch or not outbox.pending(session, TOPIC, limit=1):
        session.rollback()  # ends the check's read
        backend.refresh()  # the burst is over: prepare the view the next queries use
    return len(events)


def drain_all(session: Session, backend: SearchBackend) -> int:
    total = 0
    while (count := drain(session, backend)):
        total += count
    return total


@dataclass
class Lag:
    """How far the index is behind the database: events not yet applied, and how long the oldest waited."""

    pending: int
    oldest_seconds: float | None


def lag(session: Session) -> Lag:
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at))
                                    .where(OutboxEvent.topic == TOPIC)).one()
    if oldest is None:
        return Lag(0, None)
    return Lag(count, max(0.0, (utcnow() - oldest).total_seconds()))


def pending_count(session: Session) -> int:
    return lag(session).pending


@event.listens_for(Session, "after_flush")
def _note_events(session: Session, _context: UOWTransaction) -> None:
    if any(isinstance(obj, OutboxEvent) and obj.topic == TOPIC for obj in session.new):
        session.info["search_wake"] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop("search_wake", False):
        _wake.set()


def run_duty(ctx: jobs.DutyContext) -> int:
    """One pass of the duty: drain a batch; with nothing to drain, prepare the view of a generation another process
    committed (here, not in a query). Returns how many events it handled, so the runtime calls again at once."""
    backend: SearchBackend = ctx.app.extensions["search"]
    try:
        count = drain(ctx.session, backend)
    except IndexBusy:
        count = 0  # another process is writing (a rebuild): the events wait
    if not count:
        backend.refresh()
    return count


def backlog(session: Session) -> jobs.Backlog:
    count, oldest = outbox.backlog(session, TOPIC)
    return jobs.Backlog(count, oldest)


def _warm(app: Flask) -> None:
    analysis.jieba_tokenizer()  # load the dictionary in the duty's thread, not in the first search request


def register() -> None:
    # Not exclusive: every process keeps its own searcher warm, and concurrent drains are serialised by the
    # index's write lock (held from reading the database to the index commit), so running in each is safe.
    jobs.recurring(jobs.Duty(DUTY, run_duty, every_s="SEARCH_POLL_SECONDS", exclusive=False, wake=_wake,
                             on_start=_warm, backlog=backlog, label=_l("搜索索引"), max_backoff_s=30.0,
                             in_process=lambda config: config["SEARCH_INDEXER"] != "off"))
