"""The parts of a page that are the same for every viewer (a list page's cards, a resource page's facts and
lessons), rendered once and reused for signed-in workers too, whose own part (enrolled, progress, their name,
the forms' CSRF token) is rendered on every request around them.

Never stale after a change (a count apart, below): every commit that wrote to a table these parts show (WATCHED)
moves the generation on, and an entry made under an older generation is not used. The generation is this process's
counter plus a small file in DATA_DIR that every process on the host appends a record to (a `stat` per lookup), so
a change made by `qiuxue worker`, a command or another web process shows at once too. A change made on another host
shows within SHARED_PARTS_SECONDS (each entry's lifetime), or, on PostgreSQL, as soon as it is heard
(app/parts_listener.py: each commit notifies every process of every host; while a process hears, the shared parts
live until a change, an hour at most). On SQLite there is no other host, so an entry lives until a change, an hour
at most (SINGLE_HOST_SECONDS). An entry holds only what the page shows to everyone: never a user's data, never a
CSRF token. An entry showing one resource (its page) is made under that resource's own generation, which a change
to other resources' rows alone does not move (app/part_scopes.py says which changes).

A count the parts show (a resource's learners, 学习人数, and the order by enrolments) is the exception: an
enrolment adds one to it without moving the generation, and a part made before may show it up to
SHARED_COUNTS_SECONDS old (60 s). At the province's peak, about one enrolment a second, no part would otherwise
live long enough to be used twice (bench/README.md, "counts that do not make every part again"). The last count
change is this process's clock and the generation file's modification time, which a count change sets.

The same mechanism keeps each signed-in user (its columns and roles, keyed by the signed cookie's user, session
version and session id; app/kept_rows.py) so a page does not query them again: any write to ACCOUNT_TABLES (a
login, a logout, a new name or role) drops every kept user, kept as the shared parts (USER_SECONDS at most where
another host's logout may go unheard). The
layout's pieces (app/layout_frame.py) and whole pages a signed-in worker may be answered beneath Flask
(app/viewer_pages.py) are kept in the shared store, that worker's own pieces of them with the users.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from flask import Flask, current_app
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from app import generation_files, part_scopes
from app.extensions import db
from app.generation_files import file_state
from app.kept_rows import weight
from app.part_scopes import Versions, changed_kind, scope_of
from app.parts_listener import Listener, notify

MAX_ENTRIES = 5000  # page parts, resource rows and layout pieces (a few KB each)
PERSONAL_ENTRIES = 2000  # people's own pieces (`personal`), kept apart so they never push the shared ones out
# Bytes kept per store, as `weight` counts them (issue 20: ≤ 200 MB per web process, whatever is asked): the
# shared parts 12 MB (what the former 8 held in fact before `weight` counted dataclasses: at 8, the 100 newest
# resource pages and the search results pushed each other out, 0.13× against 0.19×), people's own pieces 2 MB,
# signed-in users 2 MB; the desk's and notifications' counts are held by MAX_ENTRIES (5,000 numbers, ~1.5 MB each).
MAX_BYTES = 12 * 2**20
SMALL_BYTES = 2 * 2**20
USER_SECONDS = 5.0
SINGLE_HOST_SECONDS = 3600.0  # an entry's lifetime on SQLite, where every writer moves the generation file
# Tables whose rows the shared parts show: resources and their collections, the menu, providers, pathways, the
# resource's co-authors and workplace mentors.
WATCHED = ("resources", "resource_categories", "resource_industries", "resource_audiences", "resource_tags",
           "resource_teachers", "resource_coauthors", "categories", "tags", "units", "lessons", "organisations",
           "credit_pathways", "credit_pathway_items", "catalog_sections", "catalog_items", "union_catalogs",
           "workplace_mentors")
# writes to a watched table that change nothing shown: the batched page-view counter (catalog/counters.py)
IGNORED = ("UPDATE resources SET view_count=",)
# a write that changes only a count shown (learning.enrolment.enrol), as SQLAlchemy spells it on either database
COUNTERS = re.compile(r"UPDATE resources SET enrolment_count=\(resources\.enrolment_count \+ \S+\), "
                      r"updated_at=resources\.updated_at WHERE resources\.id = \S+$")
# a file's modification time can trail the clock by a tick: a part made this soon after a count change may hold
# the count before it, so it counts as made before
CLOCK_TICK_S = 0.05
# What a signed-in request's user is made of (app/accounts/views.py keeps it between requests): the account,
# its session rows (logged out, "log out everywhere") and its roles.
ACCOUNT_TABLES = ("users", "user_sessions", "memberships")
ONE_RESOURCE = "resource"  # the generation of an entry showing one resource (`SharedParts.generation_for`)

T = TypeVar("T")
MISSING: Any = object()  # `SharedParts.peek` found nothing usable (a kept value may itself be None)


class Stamp(NamedTuple):
    """What an entry is kept under (`SharedParts.stamp`): expiry on the monotonic clock, made at by time.time()."""
    generation: Hashable
    expires: float
    made_at: float


class SharedParts:
    def __init__(self, generation_file: Path | None, ttl: float, tables: tuple[str, ...] = WATCHED,
                 max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, counts_seconds: float | None = None,
                 heard_ttl: float | None = None, scoped: bool = False):
        self.file, self.ttl, self.max_entries, self.max_bytes = generation_file, ttl, max_entries, max_bytes
        # with `scoped`, a write to one resource's rows alone keeps what shows another (app/part_scopes.py)
        self.versions = Versions(generation_file) if scoped else None
        # an entry's lifetime while every host's changes are heard (app/parts_listener.py), when it is given one
        self.heard_ttl = heard_ttl or ttl
        self.listener: Listener | None = None  # set by `watch_writes` on PostgreSQL
        self.counts_seconds = counts_seconds  # how old a count a kept entry may show (None: no count is kept)
        self._bytes = 0  # the kept values' weight
        # the statements that write to `tables`, as SQLAlchemy spells them
        self.prefixes = tuple(f"{verb} {name}" for name in tables for verb in ("INSERT INTO", "UPDATE", "DELETE FROM"))
        self._local = 0  # this process's own changes: exact, whatever the file system's clock granularity
        self._counted = 0.0  # when this process last changed a count (time.time())
        # key -> (generation, expiry on the monotonic clock, value, weight, made at by time.time())
        self._parts: OrderedDict[Hashable, tuple[Any, float, Any, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def generation(self) -> tuple[int, int, int]:
        """What entries are made under: this process's changes and the generation file's (inode, size); a count
        change sets the file's modification time only (`oldest_made`)."""
        if self.file is None:  # entries keyed by everything they show: nothing to invalidate (`personal`)
            return self._local, 0, 0
        inode, size, _modified = file_state(self.file)
        return self._local, inode, size

    def oldest_made(self, now: float) -> float:
        """Entries made at or before this time (time.time(), `now` being it) are not used: those made before the
        last count change once they are `counts_seconds` old."""
        if self.counts_seconds is None:
            return 0.0
        counted = self._counted
        if self.file is not None:
            counted = max(counted, file_state(self.file)[2] / 1e9)
        return min(counted + CLOCK_TICK_S, now - self.counts_seconds)

    def counted(self) -> None:
        """A count shown changed (called at the commit and again after it): entries made before it are used
        until `counts_seconds` old."""
        self.heard("counted")
        if self.file is not None:
            with contextlib.suppress(OSError):  # a read-only data folder: other processes see it within the ttl
                self.file.touch()

    def changed(self, scope: frozenset[int] | None = None) -> None:
        """A watched table changed (called after the commit): every entry made before is dropped, or with a `scope`
        (the resources whose rows alone changed) those showing no one resource or one of these."""
        self._moved_on(scope)
        if self.file is None:
            return
        record = b"." if self.versions is None else self.versions.record(scope)
        with contextlib.suppress(OSError):  # a read-only data folder: other processes see the change within the ttl
            generation_files.append(self.file, record)

    def heard(self, kind: str) -> None:
        """A change heard from another host ("changed", "changed:<ids>": part_scopes.changed_kind) or a count
        change ("counted", this process's too): the file left alone."""
        if kind == "counted":
            self._counted = time.time()
        else:
            self._moved_on(scope_of(kind))

    def _moved_on(self, scope: frozenset[int] | None) -> None:
        """The generation moved on (the scope's resources' alone, if any); entries made before are dropped, those of
        a scoped change once replaced or pushed out."""
        with self._lock:
            self._local += 1
            if self.versions is not None:
                self.versions.changed(scope)
            if scope is None or self.versions is None:
                self._parts.clear()
                self._bytes = 0

    def _lifetime(self) -> float:
        """An entry's lifetime: `heard_ttl` while every host's changes are heard, else `ttl`. Read after the
        generation: going deaf (which asking may find) moves it, so an entry given the hour then is never used."""
        return self.heard_ttl if self.listener is not None and self.listener.hearing() else self.ttl

    def generation_for(self, scope: int | None) -> Hashable:
        """What an entry is made under: `generation`, or for an entry showing one resource (and nothing of another)
        in a scoped store, a generation that changes to other resources' rows alone do not move."""
        if scope is None or self.versions is None:
            return self.generation()
        state = file_state(self.file) if self.file is not None else (0, 0, 0)
        return (ONE_RESOURCE, scope, *self.versions.of(scope, state))

    def get_or_make(self, key: Hashable, make: Callable[[], T], scope: int | None = None) -> T:
        """The entry for `key` made under the current generation and not expired, or `make()` kept for next time
        (the generation is read before making, so a change committed meanwhile is not hidden). `scope`: the one
        resource the entry shows, if it shows one (`generation_for`). Nothing is kept with a ttl of 0."""
        stamp = self.stamp(scope)
        if (hit := self.peek(key, stamp=stamp)) is MISSING:
            hit = make()
            self.keep(key, hit, stamp)
        return cast(T, hit)

    def get_many(self, keys: list[Hashable], make: Callable[[list[Hashable]], dict[Hashable, T]]) -> dict[
            Hashable, T]:
        """The entries for `keys`, the missing ones made together by one `make(missing)` call (one query for all
        of them rather than one per key) and kept; a key `make` leaves out is left out of the answer."""
        found = self._found(keys, stamp := self.stamp())
        missing = [key for key in keys if key not in found]
        if missing:
            made = make(missing)
            for key, value in made.items():
                self.keep(key, value, stamp)
            found.update(made)
        return found

    def stamp(self, scope: int | None = None) -> Stamp:
        """What an entry made from now on is kept under (`keep`): the generation first, then `_lifetime`'s."""
        made_at, generation = time.time(), self.generation_for(scope)
        return Stamp(generation, time.monotonic() + self._lifetime(), made_at)

    def peek(self, key: Hashable, stamp: Stamp | None = None) -> Any:
        """The entry for `key` made under the current generation (or `stamp`'s) and not expired, or MISSING."""
        return self._found([key], stamp or self.stamp()).get(key, MISSING)

    def keep(self, key: Hashable, value: Any, stamp: Stamp) -> None:
        """Keep `value`, made after `stamp` was taken, under `key`."""
        if self.ttl > 0:
            with self._lock:
                self._keep(key, (stamp.generation, stamp.expires, value, weight(value), stamp.made_at))

    def _found(self, keys: list[Hashable], stamp: Stamp) -> dict[Hashable, Any]:
        oldest, now, found = self.oldest_made(stamp.made_at), time.monotonic(), {}
        with self._lock:
            for key in keys:
                hit = self._parts.get(key)
                if hit is not None and hit[0] == stamp.generation and hit[1] > now and hit[4] > oldest:
                    self._parts.move_to_end(key)
                    found[key] = hit[2]
        return found

    def _keep(self, key: Hashable, entry: tuple[Any, float, Any, int, float]) -> None:
        """Keep `entry` (under the lock), dropping the least recently used past max_entries or max_bytes."""
        old = self._parts.pop(key, None)
        if old is not None:
            self._bytes -= old[3]
        self._parts[key] = entry
        self._bytes += entry[3]
        while len(self._parts) > 1 and (len(self._parts) > self.max_entries or self._bytes > self.max_bytes):
            self._bytes -= self._parts.popitem(last=False)[1][3]


def shared(key: Hashable, make: Callable[[], T], scope: int | None = None) -> T:
    """This request's shared part named `key` (the language is added to it), made once per change; `scope`: the
    one resource it shows, if so (a change to another resource's rows alone keeps it)."""
    parts: SharedParts = current_app.extensions["shared_parts"]
    return parts.get_or_make((key, str(get_locale())), make, scope)


def shared_generation(scope: int | None = None) -> Hashable:
    """What the shared parts are made under now: it changes with every change to a watched table (the catalog), so
    a page keeping its own copy of shared parts (我的学习's course titles and lessons) puts it in its key; with a
    `scope`, what a part showing that one resource is made under."""
    parts: SharedParts = current_app.extensions["shared_parts"]
    return parts.generation_for(scope)


def shared_many(name: str, ids: list[int], make: Callable[[list[int]], dict[int, T]]) -> dict[int, T]:
    """This request's shared parts `(name, id)` for each of `ids`, the missing ones made by one `make(missing ids)`
    (for a page that shows several things, each shared: one query for the misses, none for the hits)."""
    parts: SharedParts = current_app.extensions["shared_parts"]
    language = str(get_locale())  # keys as `shared` makes them: ((name, id), language)
    found = parts.get_many([((name, i), language) for i in ids], lambda keys: {
        ((name, i), language): value for i, value in make([cast(tuple[Any, ...], key)[0][1] for key in keys]).items()})
    return {cast(tuple[Any, ...], key)[0][1]: value for key, value in found.items()}


def personal(key: Hashable, make: Callable[[], T]) -> T:
    """A piece of one person's page made from exactly the values in `key` (the person's rows themselves, not a
    version of them, so a change is another key and never stale), kept so a page opened again unchanged is not
    rendered again; per language; every time under `make dev`, where templates change."""
    if current_app.debug:
        return make()
    parts: SharedParts = current_app.extensions["personal_parts"]
    return parts.get_or_make((key, str(get_locale())), make)


AGAIN = "_again"  # the suffix of a connection's mark: move the generation on when the connection is handed back


def watch_writes(engine: Engine, parts: SharedParts, name: str) -> None:
    """Mark a connection that wrote to a watched table; after its commit, move the generation on (or, when it
    changed only a count, `SharedParts.counted`). On PostgreSQL the commit tells every host too, and `parts` hears
    theirs through the app's listener (app/parts_listener.py). In an app context."""
    dirty, again, scoped = f"{name}_dirty", f"{name}{AGAIN}", f"{name}_scoped"
    counts, counts_again = f"{name}_counts", f"{name}_counts{AGAIN}"
    tells = engine.dialect.name == "postgresql"
    current_app.extensions.setdefault("kept_stores", {})[name] = parts  # for parts_listener.drop_everywhere
    listener: Listener | None = current_app.extensions.get("parts_listener")
    if listener is not None:
        listener.add(name, parts)
        parts.listener = listener

    @event.listens_for(engine, "before_cursor_execute")
    def wrote(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        if not statement.startswith(parts.prefixes) or statement.startswith(IGNORED):
            return
        if COUNTERS.match(statement):
            conn.info[counts] = True
            return
        resources = None if parts.versions is None or dirty in conn.info else part_scopes.written(statement, context,
                                                                                                  cursor)
        if resources is None:
            conn.info[dirty] = True
        else:
            conn.info.setdefault(scoped, set()).update(resources)

    @event.listens_for(engine, "commit")
    def committing(conn: Connection) -> None:
        # this runs just before the database commits: move on now, and again once the connection is handed
        # back (after the commit), so a page made in between from the old rows is not kept as current
        counted, everything, resources = (conn.info.pop(key, None) for key in (counts, dirty, scoped))
        if everything or resources is not None:
            scope = None if everything or len(resources) > part_scopes.MAX_SCOPE else frozenset(resources)
            # what the next check-in moves on: everything wins, scopes add up (a connection may commit twice)
            before = conn.info.get(again)
            conn.info[again] = True if scope is None or before is True else scope | (before or frozenset())
            parts.changed(scope)
            if tells:
                notify(conn, name, changed_kind(scope))
        elif counted:
            conn.info[counts_again] = True
            parts.counted()
            if tells:
                notify(conn, name, "counted")

    @event.listens_for(engine.pool, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        if record is None:
            return
        scope = record.info.pop(again, None)
        if scope is not None:
            parts.changed(scope if isinstance(scope, frozenset) else None)
        if record.info.pop(counts_again, False):
            parts.counted()

    @event.listens_for(engine, "rollback")
    def rolled_back(conn: Connection) -> None:
        conn.info.pop(dirty, None)
        conn.info.pop(counts, None)
        conn.info.pop(scoped, None)


def awaits_checkin(conn: Connection) -> bool:
    """Whether `conn` committed a write to a watched table whose caches move on again only once the connection is
    handed back to the pool: one kept open across transactions (learning.group_writer's) must be handed back."""
    return any(key.endswith(AGAIN) for key in conn.info)


def init_app(app: Flask) -> None:
    cache_dir = Path(app.config["DATA_DIR"]) / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    ttl = float(app.config["SHARED_PARTS_SECONDS"])
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and app.config["SHARED_PARTS_LISTEN"] and ttl > 0:
        app.extensions["parts_listener"] = Listener(engine)  # before watch_writes below, the desk's and the bell's
    # kept until a change: on SQLite every writer is on this host; on PostgreSQL while every host's are heard
    one_host = engine.dialect.name == "sqlite" and ttl > 0
    parts = SharedParts(cache_dir / "shared-parts.generation", max(ttl, SINGLE_HOST_SECONDS) if one_host else ttl,
                        counts_seconds=float(app.config["SHARED_COUNTS_SECONDS"]),
                        heard_ttl=max(ttl, SINGLE_HOST_SECONDS), scoped=True)
    # users alike; at most USER_SECONDS where "log out everywhere" on another host may go unheard
    users = SharedParts(cache_dir / "accounts.generation", max(ttl, SINGLE_HOST_SECONDS) if one_host else min(
        ttl, USER_SECONDS), ACCOUNT_TABLES, max_bytes=SMALL_BYTES, heard_ttl=max(ttl, SINGLE_HOST_SECONDS))
    app.extensions["shared_parts"], app.extensions["signed_in_users"] = parts, users
    app.extensions["personal_parts"] = SharedParts(None, max(ttl, 0), max_entries=PERSONAL_ENTRIES,
                                                   max_bytes=SMALL_BYTES)

    with app.app_context():
        watch_writes(engine, parts, "sharedparts")
        watch_writes(engine, users, "accounts")
