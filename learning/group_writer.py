"""Group commit for SQLite: one writer thread per process folds waiting heartbeats in one transaction.

SQLite takes one writer at a time. When each request thread wrote and committed its own heartbeat, threads
took turns on a lock, and under Python's GIL the holder was often descheduled mid-write while the others
waited (p50 58 ms at 8 threads), and every heartbeat paid for its own commit. Here request threads hand
their work to this thread and wait; it runs everything waiting in the queue inside one transaction, commits
once, then answers each. A heartbeat is answered only after the commit that holds it. If the database is
locked by another process the whole group is rolled back and run again; if that keeps failing, every
heartbeat of the group gets the error (and the player's queue resends it). A job that fails unexpectedly (a
bug, a value the driver cannot store) costs only itself: the group is rolled back and run again without it,
so one poisoned heartbeat never loses the others of its window. A refused heartbeat (a DomainError: bad
times, not enrolled) is answered with its error; its checks run before it writes anything the group would
keep (at most its empty progress row and clock, created on first use, and the count of its refusal).
A job comes in two halves, `read` and `write`: the group runs every read first, outside any transaction
(SQLite takes its write lock at a transaction's first write), then every write and the commit, so the write
lock is held for the writes alone. Several server processes (`qiuxue serve --workers N`) each have their own
writer, and they take turns for the writes and the commit (`HostTurn`: a lock file in DATA_DIR/cache, which the
kernel hands to the next waiting writer as soon as one commits), not at SQLite's lock: there a writer that found
the database locked slept 1, 2, 5 ms and more before trying again, the heartbeats of its group waiting meanwhile
(two processes' p99 18-33 ms against 9-12 with turns, bench/README.md). The reads come before the turn: under it
they kept the other process's writer waiting for 40% of each turn (the turn was held 97% of the time), and a
group refused whole by its reads (not enrolled, signed out) is answered without waiting for a turn. A row changed
by another writer (the other process's, a web request, the worker) between a read and its write is still caught by
the write's compare-and-set, which reads it again inside the transaction.
The thread keeps one connection open while it runs (SQLite's pragmas are set when it opens, app.db), and each
group gets a light Session on it: a Session from the pool per group (check-out, reset, check-in and the ORM's
commit) cost as much writer CPU as a heartbeat's statements. The connection is closed, and opened again for
the next attempt, after any error but a single job's own, and when the thread ends.
PostgreSQL takes concurrent writers: there each request writes its own (DirectWriter); init_app picks one.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import sharedparts
from app.errors import DomainError
from app.extensions import db
from app.i18n import speaking
from learning.heartbeats import Refused

MAX_GROUP = 64
ATTEMPTS = 3
IDLE_EXIT_S = 10.0  # the thread ends when idle and starts again with the next heartbeat
ANSWER_TIMEOUT_S = 30.0
TURN_FILE = "heartbeat-writers.lock"  # in DATA_DIR/cache: whose turn it is to write (`HostTurn`)


def _held() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Job:
    read: Callable[[Session], Any]
    write: Callable[[Session, Any], Any]
    locale: str
    done: threading.Lock = field(default_factory=_held)  # released when answered: cheaper than an Event
    result: Any = None
    error: BaseException | None = None


class _JobFailed(Exception):
    def __init__(self, job: _Job, error: BaseException) -> None:
        super().__init__(str(error))
        self.job, self.error = job, error


class GroupWriter:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._conn: Connection | None = None  # the writer's own, open while its thread runs
        self._turn = HostTurn(Path(app.config["DATA_DIR"]) / "cache" / TURN_FILE)

    def run(self, read: Callable[[Session], Any], write: Callable[[Session, Any], Any], locale: str) -> Any:
        """Run `write(session, read(session))` in the writer's group; return its result once committed, or raise."""
        job = _Job(read, write, locale)
        self._jobs.put(job)
        self._ensure_thread()
        if not job.done.acquire(timeout=ANSWER_TIMEOUT_S):
            raise OperationalError("group commit", {}, TimeoutError("no answer from the writer thread"))
        if job.error is not None:
            raise job.error
        return job.result

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="heartbeat-writer", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            self.close()

    def _serve(self) -> None:
        while True:
            try:
                group = [self._jobs.get(timeout=IDLE_EXIT_S)]
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            group.sort(key=lambda job: job.locale)  # one language set per group of jobs, not per job
            with self.app.app_context():
                self._commit(group)
            for job in group:
                job.done.release()

    def _commit(self, group: list[_Job]) -> None:
        jobs, attempt = list(group), 0
        while jobs:
            for job in jobs:
                job.result = job.error = None
            conn = self._connection()
            conn.begin()
            # joins the transaction begun above: it neither commits nor rolls it back, the writer does
            session = Session(bind=conn, join_transaction_mode="rollback_only")
            try:
                self._in_locales(jobs, lambda job: job.read(session))  # noqa: B023 - called before the loop moves on
                writing = [job for job in jobs if job.error is None]
                with self._turn if writing else contextlib.nullcontext():
                    self._in_locales(writing, lambda job: job.write(session, job.result))  # noqa: B023 - as above
                    session.flush()
                    conn.commit()
                if sharedparts.awaits_checkin(conn):  # a watched table written: its caches move on again
                    self.close()  # when the connection is handed back, as they expect
                return
            except _JobFailed as failed:  # that job alone: run the others again without it
                if self._rollback(conn):
                    jobs.remove(failed.job)
                    failed.job.result, failed.job.error = None, failed.error
                    continue
                attempt += 1  # the connection broke under it (the driver's own error): the whole group again
                if attempt == ATTEMPTS:
                    self._fail(jobs, failed.error)
                    return
            except OperationalError as err:  # locked by another process past the busy timeout: run it again
                self._rollback(conn, reopen=True)
                attempt += 1
                if attempt == ATTEMPTS:
                    self._fail(jobs, err)
                    return
            except Exception as err:  # noqa: BLE001 - the commit itself failed: no waiting request may hang
                self._rollback(conn, reopen=True)
                self._fail(jobs, err)
                return
            finally:
                session.close()

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self.close()
            self._conn = db.engine.connect()
        return self._conn

    def _rollback(self, conn: Connection, reopen: bool = False) -> bool:
        """Undo the group's transaction; with `reopen`, or if the connection proves broken, the next attempt gets
        a new one. False when it was broken."""
        broken = False
        try:
            conn.rollback()
        except Exception:  # noqa: BLE001 - dropped below, opened again for the next attempt
            broken = True
        broken = broken or conn.invalidated
        if reopen or broken:
            self.close()
        return not broken

    def close(self) -> None:
        """Hand the writer's connection back to the pool (the thread does when it ends)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken: the pool has dropped it
                conn.close()

    @staticmethod
    def _in_locales(jobs: list[_Job], step: Callable[[_Job], Any]) -> None:
        """One half of each job, in its request's language: its result, or a refusal (DomainError) for its
        request alone. A lock (OperationalError) concerns the whole group; any other error, the job."""
        for locale, same in itertools.groupby(jobs, key=lambda job: job.locale):
            with speaking(locale):
                for job in same:
                    try:
                        job.result = step(job)
                    except DomainError as err:
                        job.error = err
                    except OperationalError:
                        raise
                    except Exception as err:  # noqa: BLE001 - answered to its request, as the error it is
                        raise _JobFailed(job, err) from err

    @staticmethod
    def _fail(group: list[_Job], err: BaseException) -> None:
        for job in group:
            job.result, job.error = None, err


class HostTurn:
    """The host's group writers' turns at the database, one at a time (an exclusive flock on `path`, taken and let go
    around each group's transaction): the kernel wakes the next waiting writer when one lets go. Without the file
    (a read-only data folder) every writer goes ahead and SQLite's lock alone decides, as before."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: tuple[int, int] | None = None  # (pid, descriptor): a forked process opens its own

    def __enter__(self) -> None:
        fd = self._descriptor()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fd = self._descriptor()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int | None:
        if self._fd is None or self._fd[0] != os.getpid():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.getpid(), os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:
                self._fd = os.getpid(), -1  # not tried again in this process
        return self._fd[1] if self._fd[1] >= 0 else None


class DirectWriter:
    """PostgreSQL, which takes concurrent writers: each request writes and commits its own heartbeat; a lock or
    serialization failure is tried again, then raised (503). Same `run` as GroupWriter's."""

    def run(self, read: Callable[[Session], Any], write: Callable[[Session, Any], Any], locale: str) -> Any:
        """Run `write(session, read(session))` in this request and commit; `locale` is the request's own already."""
        for _attempt in range(ATTEMPTS - 1):
            try:
                return self._commit(read, write)
            except OperationalError:
                pass  # rolled back when its connection went back to the pool
        return self._commit(read, write)

    @staticmethod
    def _commit(read: Callable[[Session], Any], write: Callable[[Session, Any], Any]) -> Any:
        """On a connection of its own, with a light Session joining its transaction, as the group writer's: the
        request's scoped Session (its commit, expiry and close) cost a fifth of a heartbeat's CPU on PostgreSQL."""
        with db.engine.connect() as conn:  # rolled back on the way out unless committed
            conn.begin()
            session = Session(bind=conn, join_transaction_mode="rollback_only")
            try:
                try:
                    result = write(session, read(session))
                except Refused:  # its refusal is counted in this transaction (the group writer commits it too)
                    session.flush()
                    conn.commit()
                    raise
                session.flush()
                conn.commit()
                return result
            finally:
                session.close()


def init_app(app: Flask) -> None:
    """The heartbeat API's writer, chosen once by database: SQLite takes one writer at a time (group commit);
    PostgreSQL takes many. One per app, so each test's app has its own."""
    one_writer = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite"
    app.extensions["heartbeat_writer"] = GroupWriter(app) if one_writer else DirectWriter()
