"""Keeping the index in step with the catalog: drain the outbox's "resource" events after commit.

Every catalog change writes an outbox row in its own transaction (app.outbox), so:
- a crash between commit and indexing loses nothing: the row waits for the next drain;
- a rolled-back change wrote no row, and the drain re-reads committed state only, so it is never indexed;
- events are acknowledged only after the index commit, so a crash while indexing repeats the (idempotent)
  work rather than skipping it.

The drain reads the database and writes the index while holding the index's write lock, so two processes
draining at once cannot overwrite a newer state with an older one.

The embedded default runs `IndexerThread` inside the web process (woken right after a commit that wrote a
resource event, else polling); `qiuxue search worker` runs the same loop as its own process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import outbox
from app.db import utcnow
from app.extensions import db
from app.outbox import OutboxEvent
from search import analysis, source
from search.backend import IndexBusy, SearchBackend

TOPIC = "resource"
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
def _note_events(session: Session, _context) -> None:
    if any(isinstance(obj, OutboxEvent) and obj.topic == TOPIC for obj in session.new):
        session.info["search_wake"] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop("search_wake", False):
        _wake.set()


class IndexerThread(threading.Thread):
    """Drains the outbox inside the web process: at once after a commit here, every `poll` seconds else
    (changes committed by other processes). When idle it also prepares the view of an index generation another
    process committed, as after its own commits."""

    def __init__(self, app: Flask, backend: SearchBackend, poll: float):
        super().__init__(name="search-indexer", daemon=True)
        self.app, self.backend, self.poll = app, backend, poll
        self.stopping = threading.Event()

    def run(self) -> None:
        analysis.jieba_tokenizer()  # load the dictionary here, not in the first search request
        while not self.stopping.is_set():
            if not self.step():
                self.backend.refresh()  # another process committed? prepare its view here, not in a query
                _wake.wait(self.poll)
                _wake.clear()

    def step(self) -> int:
        with self.app.app_context():
            try:
                return drain(db.session, self.backend)
            except IndexBusy:
                return 0  # another process is writing (a rebuild): the events wait
            except Exception:  # noqa: BLE001 - keep the thread alive; the events stay pending
                _log.exception("search indexer failed; will retry")
                self.stopping.wait(5)
                return 0
            finally:
                db.session.remove()

    def stop(self) -> None:
        self.stopping.set()
        _wake.set()
