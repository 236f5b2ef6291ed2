"""Which resources a write to the catalog's tables touches, so that a change to one resource's rows makes again
only what shows that resource (its page) and what is no one resource's (lists, menus, search results), and not
every resource page kept by every process (app/sharedparts.py: `SharedParts.get_or_make(..., scope=...)`).

At a province's scale most resource pages are opened seldom, and with every institution editing its courses, one
edit anywhere made every process make every page again (a first visit 1.6-1.9 ms in-process against 0.55 kept;
bench/README.md, "an edit to one resource keeps every other resource's page").

A statement is scoped only when each row it writes is known to belong to given resources; anything else changes
everything, as before: a new resource, a category, tag or organisation, a statement whose rows cannot be told
(raw SQL, a subquery, an IN list, a WHERE on another table, INSERT ... SELECT, a resource set from an expression or
a value bound under another name). Known are: a `resources` row named by its id; a row of another table of SCOPED
with its `resource_id` among the statement's values or equal to it in the WHERE clause; and a row named by its id
in the WHERE clause, whose resource is read first on the same connection (so a row moved to another resource names
both). That read happens only for an edit of such a row by id (a lesson renamed, a teacher removed), never for a
page or a heartbeat.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import BinaryExpression, BindParameter, Column, Delete, Insert, Update
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

# each table and the column naming the resource its row belongs to (the shared parts' scope)
SCOPED = {"resources": "id", "resource_categories": "resource_id", "resource_industries": "resource_id",
          "resource_audiences": "resource_id", "resource_tags": "resource_id", "resource_teachers": "resource_id",
          "resource_coauthors": "resource_id", "units": "resource_id", "lessons": "resource_id"}
MAX_SCOPE = 200  # resources in one transaction past which it changes everything (a bulk import, say)
MAX_COUNTED = 20_000  # resources whose changes a store counts, at most (`Versions._count`)


def written(sql: str, context: Any, cursor: Any) -> set[int] | None:
    """The resources whose rows this statement (`sql` as sent to the driver) writes, or None when that cannot be
    told (everything changes)."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    table = getattr(getattr(statement, "table", None), "name", None)
    if compiled is None or not isinstance(statement, Insert | Update | Delete) or not isinstance(table, str):
        return None
    column = SCOPED.get(table)
    rows: list[dict[str, Any]] = list(context.compiled_parameters or ())
    if column is None or not rows:
        return None
    if isinstance(statement, Insert):  # a new resource's id is not known before it is written; INSERT ... SELECT
        return None if table == "resources" or statement.select is not None else _values(rows, column)
    by_column = _equalities(statement, compiled.bind_names)
    if by_column is None:
        return None
    found: set[int] | None
    if column in by_column:
        found = _values(rows, by_column[column])
    elif "id" in by_column:  # a row by its id: its resource read before the statement changes it
        found = _resources_of(cursor, context.dialect.paramstyle, table, column, _values(rows, by_column["id"]))
    else:
        return None
    if found is not None and isinstance(statement, Update):
        moved = _moved_to(sql, column, rows)  # the row's new resource too, when the statement sets one
        found = None if moved is None else found | moved
    return found if found is not None and len(found) <= MAX_SCOPE else None


def _moved_to(sql: str, column: str, rows: list[dict[str, Any]]) -> set[int] | None:
    """The resources an UPDATE moves its rows to: none when it does not set `column`; the values bound for it when
    it sets it to a value of its own name (`resource_id=?` with `resource_id` bound, as the ORM writes it); None
    for anything else (an expression, a subquery, a value bound under another name)."""
    assignments = sql.partition(" SET ")[2].partition(" WHERE ")[0]
    if not re.search(rf"(?:^|, ){column}=", assignments):
        return set()
    if not re.search(rf"(?:^|, ){column}=(?:\?|%\({column}\)s)(?:,|$)", assignments):
        return None
    return _values(rows, column)


def _equalities(statement: Update | Delete, bind_names: dict[BindParameter[Any], str]) -> dict[str, str] | None:
    """The WHERE clause as `column = :value` conditions on the statement's own table joined by AND: column name ->
    the value's bind name; None for anything else (OR, IN, a subquery, another table's column), whose rows cannot
    be told."""
    where = statement.whereclause
    if where is None:
        return None
    clauses = where.clauses if isinstance(where, BooleanClauseList) and where.operator is operators.and_ else [where]
    found: dict[str, str] = {}
    for clause in clauses:
        if not (isinstance(clause, BinaryExpression) and clause.operator is operators.eq
                and isinstance(clause.left, Column) and clause.left.table is statement.table
                and isinstance(clause.right, BindParameter) and clause.right in bind_names):
            return None
        found[clause.left.name] = bind_names[clause.right]
    return found


def _values(rows: list[dict[str, Any]], name: str) -> set[int] | None:
    found = {row.get(name) for row in rows}
    return None if not found or not all(isinstance(value, int) for value in found) else found  # type: ignore[return-value]


def _resources_of(cursor: Any, paramstyle: str, table: str, column: str, ids: set[int] | None) -> set[int] | None:
    """The resources of rows `ids` of `table`, read on the statement's own connection (in its transaction) with the
    driver's cursor, unseen by SQLAlchemy's events; None when that read fails."""
    if ids is None or len(ids) > MAX_SCOPE:
        return None
    mark = "?" if paramstyle == "qmark" else "%s"
    # the names are SCOPED's own; the values bound
    sql = f"SELECT {column} FROM {table} WHERE id IN ({', '.join([mark] * len(ids))})"  # noqa: S608
    reading = cursor.connection.cursor()
    try:
        reading.execute(sql, tuple(ids))
        return {row[0] for row in reading.fetchall() if isinstance(row[0], int)}
    except Exception:  # noqa: BLE001 - a transaction already failed, say: then everything changes
        return None
    finally:
        reading.close()


class Versions:
    """A store's count of changes to everything and to each resource: its own, heard (app/parts_listener.py), and
    those other processes of this host appended to the generation file, read from where it last read. A record
    there is "." (everything: what every process appended before scopes, and still does for any other change) or
    "[<writer> <id>,<id>]" (those resources); a record of its own is skipped, being counted already."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._writer = (0, "")  # (pid, its name in the file's records): see `writer`
        self.everything = 0
        self._each: dict[int, int] = {}
        self._read = (0, 0)  # the file's (inode, bytes read)
        self._lock = threading.Lock()

    def of(self, resource_id: int, state: tuple[int, int, int]) -> tuple[int, int]:
        """What an entry showing this resource is made under, the file's `state` (inode, size, _) read."""
        if self.file is not None and state[:2] != self._read:
            self._catch_up(state[0], state[1])
        return self.everything, self._each.get(resource_id, 0)

    def changed(self, scope: frozenset[int] | None) -> None:
        with self._lock:
            if scope is None:
                self.everything += 1
            else:
                self._count(scope)

    def _count(self, scope: Iterable[int]) -> None:
        """One more change to each of these resources (under the lock); past MAX_COUNTED resources counted, their
        counts start again with one change to everything (a process running for weeks keeps no more)."""
        for resource_id in scope:
            self._each[resource_id] = self._each.get(resource_id, 0) + 1
        if len(self._each) > MAX_COUNTED:
            self._each.clear()
            self.everything += 1

    def writer(self) -> str:
        """Who writes this store's records: one name per store and process (a forked child's are not its parent's,
        and two apps in one process each count the other's)."""
        if self._writer[0] != os.getpid():
            self._writer = (os.getpid(), f"{os.getpid()}-{secrets.token_hex(4)}")
        return self._writer[1]

    def record(self, scope: frozenset[int] | None) -> bytes:
        """This process's change as the generation file holds it."""
        return b"." if scope is None else f"[{self.writer()} {','.join(map(str, sorted(scope)))}]".encode()

    def _catch_up(self, inode: int, size: int) -> None:
        with self._lock:
            read_inode, offset = self._read
            if (inode, size) == self._read or (inode == read_inode and size < offset):  # a request's older look
                return
            if inode != read_inode:  # started again (or first read): what it held is unknown
                self.everything += 1
                self._read = (inode, size)
                return
            try:
                with open(self.file, "rb") as fh:  # type: ignore[arg-type]
                    fh.seek(offset)
                    tail = fh.read(size - offset)
            except OSError:
                self.everything += 1
                self._read = (inode, size)
                return
            done = 0
            for match in RECORD.finditer(tail):
                if match.start() != done:  # not a record: unknown, so everything
                    break
                done = match.end()
                if match.group(0) == b".":
                    self.everything += 1
                elif match.group(1).decode() != self.writer():
                    self._count(map(int, filter(None, match.group(2).split(b","))))
            if done < len(tail) and (b"]" in tail[done:] or not tail[done:].startswith(b"[")):
                self.everything += 1  # something it cannot read, not a record still being written
                done = len(tail)
            self._read = (inode, offset + done)


RECORD = re.compile(rb"\.|\[([0-9a-f-]+) ((?:[0-9]+(?:,[0-9]+)*)?)\]")


def changed_kind(scope: frozenset[int] | None) -> str:
    """A change as a store hears it (`SharedParts.heard`, a notification's kind): "changed", or "changed:<ids>"."""
    return "changed" if scope is None else "changed:" + ",".join(map(str, sorted(scope)))


def scope_of(kind: str) -> frozenset[int] | None:
    """The resources of a `changed_kind`; None for everything, and for anything it cannot read."""
    _changed, sep, ids = kind.partition(":")
    if not sep:
        return None
    try:
        return frozenset(int(i) for i in ids.split(",") if i)
    except ValueError:
        return None
