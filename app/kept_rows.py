"""What app/sharedparts.py keeps between requests: rows as plain values (a signed-in user, a resource's row), attached
again to a request's session as if just loaded, without a query; and what a kept value weighs."""

from __future__ import annotations

import sys
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

M = TypeVar("M")
OBJECT_BYTES = 4096  # what a kept object other than text is counted as (a user with its roles, a row)


def columns_of(obj: Any) -> dict[str, Any]:
    """A loaded row's column values: plain data, safe to keep between requests and threads."""
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def attach(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """The row of `columns_of` as if just loaded by `session`, without a query (the object already in the
    session when there is one); its relationships load as usual on first use unless set with
    `set_committed_value`."""
    present = session.identity_map.get(identity_key(model, values[inspect(model).primary_key[0].key]))
    if isinstance(present, model):
        return present
    obj: M = inspect(model).class_manager.new_instance()  # no constructor: the values go in as a load puts them,
    obj.__dict__.update(values)                          # without an attribute event each
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def weight(value: Any, depth: int = 3) -> int:
    """About the memory `value` holds: text, bytes, numbers and times exactly, tuples, lists, sets, dicts and
    dataclasses with what they hold (three levels down), anything else as OBJECT_BYTES. A resource page's kept
    parts (a dataclass holding its HTML) were counted as one object, 4 KB, while they held ~9 KB: the store then
    kept ~11 MB for its 8; a viewer's three yes-or-no answers were counted 12 KB."""
    if value is None or isinstance(value, str | bytes | int | float | datetime | date):
        return sys.getsizeof(value)
    if depth and is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(weight(getattr(value, f.name), depth - 1) for f in fields(value))
    if depth and isinstance(value, tuple | list | set | frozenset):
        return sys.getsizeof(value) + sum(weight(item, depth - 1) for item in value)
    if depth and isinstance(value, dict):
        return sys.getsizeof(value) + sum(weight(item, depth - 1) for item in value.values())
    return OBJECT_BYTES
