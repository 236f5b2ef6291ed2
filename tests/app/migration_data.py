"""Rows of a whole database as plain JSON values, to keep a database of an old revision as a file
(tests/app/data/demo_at_0014.json) and to compare what an upgrade left of it."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, select


def plain(value: Any) -> Any:
    """A column value as JSON holds it: times as ISO text, decimals as text (their digits, not a float's)."""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    return value


def dump(connection: Connection) -> dict[str, Any]:
    """Every row of every table (but Alembic's own), in foreign-key order, each table's rows in key order."""
    metadata = MetaData()
    metadata.reflect(connection)
    tables: dict[str, Any] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = [[plain(v) for v in row] for row in connection.execute(select(table).order_by(*table.primary_key))]
        if rows:
            tables[table.name] = {"columns": [c.name for c in table.columns], "rows": rows}
    return tables


def write(tables: dict[str, Any], revision: str, path: Path) -> None:
    """One row per line, so the file reads (and greps) as a table dump."""
    lines = [f'{{"revision": {json.dumps(revision)}, "tables": {{']
    for t, (name, table) in enumerate(tables.items()):
        lines.append(f'{json.dumps(name)}: {{"columns": {json.dumps(table["columns"])}, "rows": [')
        rows = [json.dumps(row, ensure_ascii=False) for row in table["rows"]]
        lines.append(",\n".join(rows))
        lines.append("]}" + ("," if t < len(tables) - 1 else ""))
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _typed(table: Table, name: str, value: Any) -> Any:
    """A JSON value back as the column's Python type (the drivers want datetimes and decimals, not text)."""
    if not isinstance(value, str):
        return value
    try:
        kind = table.c[name].type.python_type
    except NotImplementedError:
        return value
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(value)
    if kind is datetime.date:
        return datetime.date.fromisoformat(value)
    if kind is decimal.Decimal:
        return decimal.Decimal(value)
    return value


def load(connection: Connection, tables: dict[str, Any]) -> None:
    """Insert the rows into the tables of the revision the database is at, then move PostgreSQL's id
    sequences past them, as a database that made those rows itself would have."""
    metadata = MetaData()
    metadata.reflect(connection)
    for name, data in tables.items():
        table = metadata.tables[name]
        connection.execute(table.insert(), [
            {c: _typed(table, c, v) for c, v in zip(data["columns"], row, strict=True)} for row in data["rows"]])
        if connection.dialect.name == "postgresql" and "id" in table.c:
            connection.execute(select(func.setval(func.pg_get_serial_sequence(name, "id"),
                                                  select(func.max(table.c.id)).scalar_subquery())))
