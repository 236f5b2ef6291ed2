"""The declarative base every model inherits, with a constraint naming convention so that
Alembic migrations name constraints the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import collections
import hashlib
import logging
import os
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, MetaData, cast, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Ordered:
    """A row its parent shows in order (menu entries, units, lessons, teachers, catalog sections and items, quiz
    questions): `position` among its siblings, 0 first; the table indexes it with the parent's key."""

    position: Mapped[int] = mapped_column(default=0)


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every stored time is UTC by convention."""
    return datetime.now(UTC).replace(tzinfo=None)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry) -> None:
    """WAL lets readers and one writer work at once; SQLite leaves foreign keys off unless asked. Any SQLite
    connection, a subclass too (app.person_tokens.TrackedConnection: a test of the type's module missed it)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:  # a read-only database keeps the mode it has
            log.warning("SQLite journal mode left as it is: %s", error)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()  # the busy timeout is the driver's `timeout` (5 s by default; the app's: sqlite_engine_options)


def sqlite_engine_options(config: dict[str, Any]) -> None:
    """On SQLite, how long the app's connections wait for another's write lock (SQLITE_BUSY_TIMEOUT_S, given to
    sqlite3.connect, which sets SQLite's busy timeout); before the engine is made (db.init_app)."""
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        options = config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {})["timeout"] = float(config["SQLITE_BUSY_TIMEOUT_S"])


def readable_sqlite_url(url: str) -> str:
    """The SQLite URL to open: read-only when the database's folder cannot be written (a disk remounted
    read-only, a restore with the wrong owner), so that the site can still be read.

    SQLite in WAL mode must create its -shm file beside the database even to read; in a read-only folder that
    fails ("unable to open database file") and every page answered 500. `mode=ro` reads without writing;
    `immutable=1` also skips the -shm file, safe only when no writer has the database open (a writer keeps the
    -wal file present, SQLite removes it at the last close). /healthz reports the folder as read-only."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix or url.endswith(":memory:"):
        return url
    path = url[len(prefix):]
    folder = os.path.dirname(path) or "."
    if not os.path.exists(path) or os.access(folder, os.W_OK):
        return url
    log.warning("the folder of %s cannot be written: the database is opened read-only", path)
    immutable = "" if os.path.exists(path + "-wal") else "&immutable=1"
    return f"{prefix}file:{path}?mode=ro{immutable}&uri=true"


def insert_ignore(session: Session, model: type, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; True when this call inserted the row.

    Racing requests leave one row without a savepoint (which pysqlite handles badly). RETURNING says whether
    the row went in: psycopg reports rowcount -1 for this statement."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    statement = (insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
                 .returning(table.c[unique[0]]))
    return session.execute(statement).first() is not None


def hold_row(session: Session, model: Any, row_id: int) -> None:
    """Hold the row until this transaction ends, so that what is counted after this and written before the commit
    comes before the next holder's count (a quota, the last place). A no-change UPDATE rather than FOR UPDATE: it
    takes SQLite's write lock as well as PostgreSQL's row lock."""
    session.execute(update(model).where(model.id == row_id).values(id=model.id))


def hold_key(session: Session, space: int, key: str) -> None:
    """Hold `key` until this transaction ends, for what has no row to hold (hold_row): a value two transactions
    may both be about to claim, such as a certificate number. On PostgreSQL a transaction-level advisory lock in its
    two-number form, `space` a fixed 32-bit number per kind of key (apart from the one-number locks elsewhere), the
    key a stable 32-bit hash of `key`: two keys sharing a hash only wait for each other. SQLite has one writer at a
    time: the caller's first write (hold_row) is the lock there, so this does nothing."""
    if session.get_bind().dialect.name == "postgresql":
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(cast(space, Integer), cast(digest, Integer))))


class DirectStatement:
    """A Core statement compiled once per dialect and run on the driver's own cursor, values converted by the
    column types' own bind and result processors.

    For the few statements of the hottest write path (a progress heartbeat), where SQLAlchemy's per-execution
    work (parameter processing, execution context, result set-up) took five times as long as SQLite itself.
    Every value must be a bindparam passed by name: no literal values, no expanding IN lists."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, Any] = {}  # dialect name -> (SQL, positional?, [(bind name, processor)])
        self._results: dict[str, Any] = {}  # dialect name -> (row type, [processor]), from the first result

    def _execute(self, connection: Connection, params: dict[str, Any]) -> Any:
        dialect = connection.dialect
        if dialect.name not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)
            names = compiled.positiontup if compiled.positional else list(compiled.binds)
            self._compiled[dialect.name] = (compiled.string, compiled.positional, [
                (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names])
        sql, positional, binds = self._compiled[dialect.name]
        values = [(name, convert(params[name]) if convert else params[name]) for name, convert in binds]
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, [value for _name, value in values] if positional else dict(values))
        except dialect.loaded_dbapi.Error as err:  # as SQLAlchemy raises it (a lock: OperationalError), for callers
            raise DBAPIError.instance(sql, values, err, dialect.loaded_dbapi.Error) from err
        return cursor

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """The selected rows, as named tuples of converted values."""
        cursor = self._execute(connection, params)
        found = cursor.fetchall()
        dialect = connection.dialect
        if dialect.name not in self._results:  # result processors need the driver's column types
            columns = list(self.statement.selected_columns)
            self._results[dialect.name] = (
                collections.namedtuple("Row", [column.key for column in columns]),
                [column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                 for column, described in zip(columns, cursor.description, strict=True)])
        cursor.close()
        row, results = self._results[dialect.name]
        return [row(*(convert(value) if convert else value for convert, value in zip(results, raw, strict=True)))
                for raw in found]

    def rowcount(self, connection: Connection, params: dict[str, Any]) -> int:
        """How many rows an UPDATE or DELETE changed."""
        cursor = self._execute(connection, params)
        count: int = cursor.rowcount
        cursor.close()
        return count
