"""Catalog fixtures: the menu is seeded wherever an app exists, and `make` creates resources through
the services (so tests see what real use creates), optionally published."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db as _db
from catalog import categories


@pytest.fixture(autouse=True)
def _seeded_menu(request):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            categories.seed_menu(_db.session)
            _db.session.commit()


@contextmanager
def count_queries(engine) -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
