"""Changes committed on any host, heard at once by every web process: PostgreSQL's LISTEN/NOTIFY.

What a page keeps between requests (app/sharedparts.py: the parts every viewer shares, the signed-in users, the
desk's and the bell's counts) is dropped when a table it shows is written. Processes on one host tell each other
through a file in DATA_DIR; hosts share no disk, so without this a change made on another host showed only when
the entry expired (SHARED_PARTS_SECONDS), and kept parts could live no longer than that.

Each commit that wrote a watched table also sends a notification, in its own transaction (PostgreSQL delivers it
only if the transaction commits). Each web process holds one connection of its own that listens: started on first
use (after a server forked its workers), it notifies itself every CHECK_S and counts as hearing only while that
probe comes back, so a lost connection, a restarting database or a pooler in transaction mode (where LISTEN does
not work) is noticed. While it hears, the parts every viewer shares live until a change, an hour at most; when it
stops hearing, every kept entry is dropped (a change may go unheard) and lifetimes fall back to
SHARED_PARTS_SECONDS; when it hears again, everything is dropped once more (what changed meanwhile was not heard).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    import psycopg

CHANNEL = "qiuxue_kept_parts"
NOTIFY = "SELECT pg_notify(%s, %s)"
CHECK_S = 5.0  # a probe this often; not hearing for LAPSE_S counts as deaf even if the connection hangs
LAPSE_S = 3 * CHECK_S
RETRY_S = (0.5, 1.0, 2.0, 5.0)  # waits between connection attempts, the last one repeated
INERROR = 3  # libpq's PQTRANS_INERROR: in a transaction that failed (psycopg's pq.TransactionStatus.INERROR)
_BOOT = secrets.token_hex(6)  # with the pid, this process among every process of every host
log = logging.getLogger(__name__)


class Store(Protocol):
    def heard(self, kind: str) -> None:
        """Another process committed a change ("changed", or "changed:<ids>" for those resources' rows alone:
        app/part_scopes.py) or a count change ("counted") to what it keeps."""


def sender(engine: Engine) -> str:
    """Who sends: an app (its engine) in a process, among every process of every host."""
    return f"{os.getpid()}.{_BOOT}.{id(engine):x}"


def message(engine: Engine, name: str, kind: str) -> str:
    """A notification's payload, as `Listener._listen` reads it: who sends, to which store, what happened."""
    return f"{sender(engine)} {name} {kind}"


def notify(conn: Connection, name: str, kind: str) -> None:
    """Tell every listening app that store `name` saw `kind`, in `conn`'s transaction (sent at its commit).
    Straight on the driver's connection, so no SQLAlchemy event sees this statement; a driver's error is raised as
    SQLAlchemy's (the app's handlers answer those). A transaction already failed commits nothing: nothing to tell."""
    driver = conn.connection.dbapi_connection
    if driver is None or getattr(getattr(driver, "info", None), "transaction_status", None) == INERROR:
        return
    statement, params = NOTIFY, (CHANNEL, message(conn.engine, name, kind))
    cursor = driver.cursor()
    try:
        cursor.execute(statement, params)
    except conn.dialect.loaded_dbapi.Error as err:
        raise OperationalError(statement, params, err) from err
    finally:
        cursor.close()


class Kept(Store, Protocol):
    def changed(self) -> None:
        """Drop what it keeps, in this process and in every process of this host."""


def drop_everywhere(engine: Engine, stores: dict[str, Kept]) -> list[str]:
    """`stores` (by name) drop what they keep, in every process of this host and, on PostgreSQL, of every host: for
    rows changed by hand, which no commit of the site told them of (`qiuxue drop-kept`). Returns their names."""
    for store in stores.values():
        store.changed()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for name in stores:
                conn.exec_driver_sql(NOTIFY, (CHANNEL, message(engine, name, "changed")))
    return sorted(stores)


class Listener:
    """One per app: the stores it tells (by the name their writes are watched under) and the listening thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # whose own commits its stores dropped already
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.stores: dict[str, Store] = {}
        self.backend_pid: int | None = None  # the listening connection's server process (for tests and logs)
        self._pid = 0  # the process whose thread listens
        self._hearing = False
        self._probed_at = 0.0  # when this process last heard its own probe (time.monotonic())
        self._heard_here = False  # a probe came back on the current connection
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, name: str, store: Store) -> None:
        self.stores[name] = store

    def hearing(self) -> bool:
        """Whether every host's changes are heard now (the thread is started in this process on first call). A
        probe not heard for LAPSE_S makes it deaf at once, and drops every entry, even while the thread still waits
        on a connection that hangs."""
        if self._pid != os.getpid():
            self._start()
        if self._hearing and time.monotonic() - self._probed_at > LAPSE_S:
            self._deaf()
        return self._hearing

    def stop(self) -> bool:
        """End the thread and wait for it: for tests, which make an app per test and then dispose of its engine. A
        pool connection the thread still held for a probe would be returned after that, to a pool nothing closes, and
        left open. The thread is woken by a notification on its channel (it otherwise waits up to CHECK_S). True
        when it has ended."""
        self._stop.set()
        thread = self._thread
        if thread is None or not thread.is_alive():
            return True
        with suppress(Exception), self.engine.connect() as conn:  # the database away: it stops within LAPSE_S
            conn.exec_driver_sql(NOTIFY, (CHANNEL, message(self.engine, "stop", "")))
            conn.commit()
        thread.join(LAPSE_S)
        return not thread.is_alive()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            forked, self._pid, self._hearing = self._pid != 0, os.getpid(), False
            self._thread = threading.Thread(target=self._run, name="kept-parts-listener", daemon=True)
            self._thread.start()
        if forked:  # a copy of the parent's entries, some kept for an hour: nothing hears for them here yet
            self._tell_all()

    def _run(self) -> None:
        import psycopg  # the `postgres` extra: installed wherever the database is PostgreSQL

        attempt = 0
        while not self._stop.is_set():
            problem, self._heard_here = "its own probe did not come back (a pooler in transaction mode?)", False
            try:
                # a connection that stops answering fails within seconds rather than TCP's quarter of an hour
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5, keepalives=1, keepalives_idle=10,
                                     keepalives_interval=5, keepalives_count=3, tcp_user_timeout=10000) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.backend_pid = conn.info.backend_pid
                    self._listen(conn)
            except Exception as err:  # noqa: BLE001 - the database away, or anything else: listen again below
                problem = repr(err)
            if self._heard_here:
                attempt = 0  # heard on this connection: a new failure, said once
            if attempt == 0 and not self._stop.is_set():
                log.warning("not hearing other hosts' changes: %s; they show within SHARED_PARTS_SECONDS until "
                            "heard again", problem)
            self._deaf()
            self._stop.wait(RETRY_S[min(attempt, len(RETRY_S) - 1)])
            attempt += 1

    def _listen(self, conn: psycopg.Connection) -> None:
        """Probe, then tell the stores what others committed, until a probe does not come back (or the connection
        breaks: raised) or the app stops."""
        while not self._stop.is_set():
            me = sender(self.engine)
            probe = message(self.engine, "probe", secrets.token_hex(4))
            # sent as the app's commits are, on one of its pool's connections: heard only if theirs would be (on
            # the listening connection itself it would come back even through a pooler in transaction mode)
            with self.engine.connect() as sending:
                sending.exec_driver_sql(NOTIFY, (CHANNEL, probe))
                sending.commit()
            came_back = False
            for note in conn.notifies(timeout=CHECK_S):
                if self._stop.is_set():
                    return
                if note.payload == probe and note.pid != self.backend_pid:
                    came_back, self._probed_at, self._heard_here = True, time.monotonic(), True
                    if not self._hearing:  # deaf until now: what changed meanwhile was not heard
                        self._tell_all()
                        self._hearing = True
                    continue
                who, _sep, rest = note.payload.partition(" ")
                name, _sep, kind = rest.partition(" ")
                store = self.stores.get(name)
                if who != me and store is not None:  # the app's own commits were dropped as they were made
                    store.heard(kind)
            if not came_back:
                return

    def _deaf(self) -> None:
        with self._lock:
            was, self._hearing = self._hearing, False
        if was:
            self._tell_all()

    def _tell_all(self) -> None:
        for store in self.stores.values():
            store.heard("changed")
