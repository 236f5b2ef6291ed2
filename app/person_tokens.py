"""Per-learner change tokens on SQLite (the default single-host deployment), so a page made only from one learner's
own rows (我的学习) is kept until those rows change instead of read on every request.

A token is a uint32 counter in a small memory-mapped file, DATA_DIR/cache/person.tokens (SLOTS counters, the
learner's id modulo SLOTS: two learners sharing a slot only renew each other's pages). Every process of the host
maps the same file, as they share the SQLite file, so reading a token costs no system call and a change made by
`qiuxue worker`, the CLI or another web process shows at once.

Which learners a transaction wrote is noted by SQLite itself: each connection of the app's engine is a
`TrackedConnection`, with TEMP triggers (in that connection only, no schema change, no migration) on TABLES that
call back into Python with the row's user_id, whatever wrote it (the ORM, Core statements, app.db.DirectStatement's
driver cursor in the heartbeat and its group writer, an account merge moving rows, a demo load). The tokens move
on AFTER the commit, so a page that reads the moved token reads the committed rows; a rolled-back write moves
nothing. A trigger costs ~1.5 µs per written row (measured: a heartbeat writes three).

Not seen: a write by another program on the same file (sqlite3 on the command line, a restore). Pages kept per a
token are therefore kept PERSON_PAGE_SECONDS at most (60 s by default), and that write shows within it.
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.sharedparts import SharedParts

log = logging.getLogger(__name__)

SLOTS = 131072  # uint32 counters: a 512 KB file
FILE_NAME = "person.tokens"
FUNCTION = "qiuxue_person_wrote"  # what the TEMP triggers call with the written rows' user ids
# The tables whose rows are one learner's own (each has user_id): enrolments and where they resume, lesson
# progress and completion, the study plan (its week goal) and the verified seconds per day (the streak).
TABLES = ("enrolments", "lesson_progress", "study_plans", "study_days")
# the ids each kind of write passes: an UPDATE may move a row from one learner to another (an account merge)
WRITES = (("INSERT", "NEW.user_id"), ("UPDATE", "NEW.user_id, OLD.user_id"), ("DELETE", "OLD.user_id"))
PAGE_ENTRIES = 2000  # kept pages (a few KB each), as app.sharedparts keeps people's own pieces
PAGE_BYTES = 2 * 2**20

T = TypeVar("T")


class PersonTokens:
    """The host's token file, mapped: `token(user_id)` reads a counter, `bump(user_ids)` moves counters on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < SLOTS * 4:
            os.ftruncate(self._fd, SLOTS * 4)  # zeros, sparse: every process may do it, the size only grows
        weakref.finalize(self, os.close, self._fd)  # with the app (a test process makes thousands)
        self._map = mmap.mmap(self._fd, SLOTS * 4)
        self._counters = memoryview(self._map).cast("I")
        self._lock = threading.Lock()
        self.off = False  # a connection could not be made to note its writes: no page is kept from then on

    def token(self, user_id: int) -> int:
        return self._counters[user_id % SLOTS]

    def bump(self, user_ids: Iterable[int]) -> None:
        """Move the learners' counters on. A read and a write each: under this process's lock and the file's (flock),
        as two processes bumping one slot at once could otherwise write an older value back, and a page kept under
        that value would be taken as current."""
        slots = {user_id % SLOTS for user_id in user_ids if user_id is not None}
        if not slots:
            return
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                for slot in slots:
                    self._counters[slot] = (self._counters[slot] + 1) & 0xFFFFFFFF
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


class TrackedConnection(sqlite3.Connection):
    """A SQLite connection that notes the learners its writes to TABLES touched (through its TEMP triggers, made by
    `arm`) and moves their tokens on once its transaction commits."""

    tokens: PersonTokens | None = None  # set by `arm`, with the triggers

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        written: set[int] = set()
        self.written = written

        def wrote(*user_ids: int) -> None:  # no reference to the connection: no cycle to collect
            written.update(user_ids)

        self.create_function(FUNCTION, -1, wrote)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._settle(committed=True)

    def rollback(self) -> None:
        # marks made outside a transaction (a driver in autocommit mode) were committed with their statement
        committed = not self.in_transaction
        try:
            super().rollback()
        finally:
            self._settle(committed)

    def _settle(self, committed: bool) -> None:
        if self.written:
            if committed and self.tokens is not None:
                self.tokens.bump(self.written)
            self.written.clear()


def arm(connection: TrackedConnection, tokens: PersonTokens) -> bool:
    """Create the connection's TEMP triggers, once TABLES exist (a database being made gets them at a later
    checkout; the web process never migrates); True when the connection now tracks its writes."""
    present = {name for (name,) in connection.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    if not present.issuperset(TABLES):
        return False
    for table in TABLES:
        for kind, ids in WRITES:
            connection.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS qiuxue_person_{table}_{kind.lower()} "
                               f"AFTER {kind} ON main.{table} BEGIN SELECT {FUNCTION}({ids}); END")
    connection.tokens = tokens
    return True


def engine_options(config: dict[str, Any]) -> None:
    """On SQLite, the engine's connections are TrackedConnections (before the engine is made: db.init_app)."""
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {})["factory"] = TrackedConnection


def tokens() -> PersonTokens | None:
    """This app's tokens, or None (PostgreSQL; a data folder that cannot be written): then pages read the rows."""
    found: PersonTokens | None = current_app.extensions.get("person_tokens")
    return None if found is None or found.off else found


def kept(key: Hashable, make: Callable[[], T]) -> T:
    """A page part made from one learner's rows, kept under `key` (which must hold the learner's token, read
    before anything is made) per language, for PERSON_PAGE_SECONDS at most; every time under `make dev`."""
    if current_app.debug:
        return make()
    store: SharedParts = current_app.extensions["person_pages"]
    return store.get_or_make((key, str(get_locale())), make)


def peek(key: Hashable, locale: str) -> Any:
    """What `kept` keeps under `key` in the language `locale`, or sharedparts.MISSING: outside a request too (a page
    answered beneath Flask, app/viewer_pages.py). In an app context."""
    store: SharedParts = current_app.extensions["person_pages"]
    return store.peek((key, locale))


def init_app(app: Flask, engine: Engine) -> None:
    """The token file and the engine's tracking, on SQLite only: with PostgreSQL the site may run on several hosts
    with no shared disk, where a token kept on one host misses the writes made on another."""
    if engine.dialect.name != "sqlite":
        return
    try:
        cache_dir = Path(app.config["DATA_DIR"]) / "cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        found = PersonTokens(cache_dir / FILE_NAME)
    except OSError as error:
        log.warning("learners' change tokens are off (%s): 我的学习 reads its rows on every request", error)
        return
    app.extensions["person_tokens"] = found
    app.extensions["person_pages"] = SharedParts(None, float(app.config["PERSON_PAGE_SECONDS"]),
                                                 max_entries=PAGE_ENTRIES, max_bytes=PAGE_BYTES)

    @event.listens_for(engine, "checkout")
    def tracked(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if isinstance(dbapi_connection, TrackedConnection) and dbapi_connection.tokens is None:
            try:
                arm(dbapi_connection, found)
            except sqlite3.Error as error:  # a connection whose writes go unseen: no page is kept from now on
                log.warning("learners' change tokens are off: %s", error)
                found.off = True
