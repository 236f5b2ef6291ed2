"""One row by its primary key, or the domain's NotFound: the lookup every service opens with, written once.

Apart from app/db.py because app.errors imports the extensions, which import app.db (a cycle)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.errors import NotFound

T = TypeVar("T")


def get_or_raise(session: Session, model: type[T], key: Any, message: str, code: str | None = None) -> T:
    """`session.get(model, key)`, or NotFound(message, code) when there is no such row (code None: "not_found")."""
    found = session.get(model, key)
    if found is None:
        raise NotFound(message, code=code)
    return found
