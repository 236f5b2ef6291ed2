"""Keeping this host's search replica in step with the catalog: follow the shared change log after commit.

Every catalog change writes an outbox row ("resource", its id) in its own transaction (app.outbox). Those rows
are the change log every host's replica follows from its own position (search/changelog.py, search/replicas.py);
no replica deletes them, so a second host misses nothing. So:
- a crash between commit and indexing loses nothing: the row waits for the next pass of every replica;
- a rolled-back change wrote no row, and a pass re-reads committed state only, so it is never indexed;
- the position moves only after the index commit, so a crash while indexing repeats the (idempotent) work
  rather than skipping it.

A replica with no position (a new host, an index emptied by a schema change, the layout before the log) or whose
row the pruning gave up is built from the database first; until then `replicas.replica_ready` says no.
A pass reads the database and writes the index while holding the index's write lock, so two processes of one host
sharing the folder cannot overwrite a newer state with an older one.

Following is the recurring duty "search.index" of the background runtime (app/jobs): it runs in every runtime
(each web process's, and `qiuxue worker`), woken right after a commit here that wrote a resource event, else every
SEARCH_POLL_SECONDS; when idle it prepares the view of an index generation another process committed, so this
process's searcher stays warm. "search.prune" (one runtime at a time) trims the log behind the slowest replica.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from app import jobs
from app.outbox import OutboxEvent
from search import analysis, changelog, replicas, source
from search.backend import IndexBusy, SearchBackend
from search.documents import ResourceDoc
from search.replicas import Lag

TOPIC = replicas.TOPIC
DUTY = "search.index"
PRUNE_DUTY = "search.prune"
BATCH = 200
GAP_SECONDS = 60.0  # SEARCH_GAP_SECONDS: how long a hole in the log may still be filled by a late commit
REPORT_EVERY_S = 60.0  # an idle replica says it is alive this often (pruning forgets silent ones)
_log = logging.getLogger(__name__)
_wake = threading.Event()
_reported: dict[str, float] = {}  # replica name -> when this process last reported it


def build(session: Session, backend: SearchBackend, progress: Callable[[int], None] | None = None,
          workers: int | None = None) -> int:
    """Build the replica from the database beside the live index (which keeps answering), then follow the log
    from where it stood before the build read the database. Returns the documents built. The replica joins the
    log first, so pruning keeps the rows that change while it builds."""
    position = replicas.snapshot(session)
    replicas.register(session, backend.replica, position)

    def catch_up(ids: list[int]) -> tuple[list[ResourceDoc], list[int]]:
        session.rollback()  # a fresh read, not the build's
        return source.changes(session, ids)

    with Session(session.get_bind()) as reading:  # its own: reading expunges as it goes, the caller's objects too
        count = backend.rebuild(source.published(reading), progress=progress, catch_up=catch_up, workers=workers,
                                position=position)
    session.rollback()
    replicas.report(session, backend.replica, backend.position() or position)
    _reported[backend.replica] = time.monotonic()
    _log.info("search replica %s built from the database: %s documents", backend.replica, count)
    return count


def drain(session: Session, backend: SearchBackend, batch: int = BATCH, gap_seconds: float = GAP_SECONDS) -> int:
    """Apply one batch of the log rows this replica has not applied; returns how many it handled (0 when none).
    A replica that must be built first is built: that handles every row of the log (at least one, for callers
    that loop while work is done)."""
    position = backend.position()
    if position is None:
        covered = replicas.lag(session, None).pending
        build(session, backend)
        return max(1, covered)
    if not replicas.unread(session, position, limit=1):  # idle polls: no index writer (it builds files)
        session.rollback()
        settled = changelog.advance(position, [], time.time(), gap_seconds)
        if settled != position:  # holes given up: stop asking for them
            backend.keep_position(settled)
        _keep_reporting(session, backend, settled)
        return 0
    with backend.batch() as writing:  # hold the lock from reading the database to the index commit
        position = backend.position() or position  # another process of this host may have gone further
        changes = replicas.unread(session, position, limit=batch)
        if not changes:
            session.rollback()
            return 0
        writing.apply(*source.changes(session, [int(c.key) for c in changes if c.key.isdigit()]))
        position = changelog.advance(position, [c.id for c in changes], time.time(), gap_seconds)
        writing.set_position(position)
    session.rollback()
    _report(session, backend, position)
    if len(changes) < batch or not replicas.unread(session, position, limit=1):
        session.rollback()  # ends the check's read
        backend.refresh()  # the burst is over: prepare the view the next queries use
    return len(changes)


def _keep_reporting(session: Session, backend: SearchBackend, position: changelog.Position) -> None:
    if time.monotonic() - _reported.get(backend.replica, 0.0) >= REPORT_EVERY_S:
        _report(session, backend, position)


def _report(session: Session, backend: SearchBackend, position: changelog.Position) -> None:
    """Say where the replica is; one whose row the pruning removed may have missed rows: it rebuilds."""
    _reported[backend.replica] = time.monotonic()
    if not replicas.report(session, backend.replica, position):
        _log.warning("search replica %s was given up by the log's pruning: rebuilding it", backend.replica)
        build(session, backend)


def drain_all(session: Session, backend: SearchBackend, gap_seconds: float = GAP_SECONDS) -> int:
    total = 0
    while (count := drain(session, backend, gap_seconds=gap_seconds)):
        total += count
    return total


def lag(session: Session, backend: SearchBackend) -> Lag:
    """How far this replica is behind the log (every row when it has not been built yet)."""
    return replicas.lag(session, backend.position())


def pending_count(session: Session, backend: SearchBackend) -> int:
    return lag(session, backend).pending


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
        count = drain(ctx.session, backend, gap_seconds=ctx.app.config["SEARCH_GAP_SECONDS"])
    except IndexBusy:
        count = 0  # another process is writing (a rebuild): the events wait
    if not count:
        backend.refresh()
    return count


def backlog(session: Session) -> jobs.Backlog:
    """The slowest replica's backlog: the one behind the most (each process's own is `lag`)."""
    count, oldest = replicas.slowest(session)
    return jobs.Backlog(count, oldest)


def run_prune(ctx: jobs.DutyContext) -> None:
    deleted = replicas.prune(ctx.session, ctx.app.config["SEARCH_LOG_RETENTION_S"])
    if deleted:
        _log.info("search change log: %s rows every replica has applied deleted", deleted)


def _warm(app: Flask) -> None:
    analysis.jieba_tokenizer()  # load the dictionary in the duty's thread, not in the first search request


def register() -> None:
    # Not exclusive: every process keeps its own searcher warm, and concurrent drains are serialised by the
    # index's write lock (held from reading the database to the index commit), so running in each is safe.
    jobs.recurring(jobs.Duty(DUTY, run_duty, every_s="SEARCH_POLL_SECONDS", exclusive=False, wake=_wake,
                             on_start=_warm, backlog=backlog, label=_l("搜索索引"), max_backoff_s=30.0,
                             in_process=lambda config: config["SEARCH_INDEXER"] != "off"))
    jobs.recurring(jobs.Duty(PRUNE_DUTY, run_prune, every_s=600.0, label=_l("修剪搜索变更日志")))
