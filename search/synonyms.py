"""Editing the synonym table (admins) and reading it as the mapping queries use, cached per process and
re-read when the table changes (a cheap count + max(updated_at) check, at most once a second)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Hashable
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.policy import require
from app.errors import Invalid
from app.lookup import get_or_raise
from search.models import Synonym
from search.query import normalize_query

SPLIT_RE = re.compile(r"[\s,，、;；]+")
DEFAULTS = (("铲车", "叉车"), ("月嫂", "母婴护理"), ("电焊", "焊工"))  # seeded with the demo data
_cache: dict[str, Any] = {"key": None, "mapping": {}, "checked": 0.0}
_lock = threading.Lock()


def _clean(term: str, targets: str) -> tuple[str, list[str]]:
    term = normalize_query(term)
    parts = [normalize_query(t) for t in SPLIT_RE.split(targets or "")]
    parts = [p for p in dict.fromkeys(parts) if p and p != term]
    errors = {}
    if not term or len(term) > 40 or SPLIT_RE.search(term):
        errors["term"] = _("请填写一个词（最多40字，不含空格和逗号）。")
    if not parts or sum(len(p) for p in parts) > 300:
        errors["targets"] = _("请填写至少一个同义词，用空格或逗号分开。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    return term, parts


def save(session: Session, actor: Any, term: str, targets: str, two_way: bool = False) -> Synonym:
    require(actor, "admin.site", None)
    term, parts = _clean(term, targets)
    row = session.scalar(select(Synonym).where(Synonym.term == term)) or Synonym(term=term)
    row.targets, row.two_way = " ".join(parts), bool(two_way)
    row.updated_by_id = getattr(actor, "id", None)
    session.add(row)
    session.flush()
    return row


def delete(session: Session, actor: Any, synonym_id: int) -> None:
    require(actor, "admin.site", None)
    row = get_or_raise(session, Synonym, synonym_id, _("同义词不存在。"))
    session.delete(row)
    session.flush()


def all_rows(session: Session) -> list[Synonym]:
    return list(session.scalars(select(Synonym).order_by(Synonym.term)))


def seed(session: Session) -> int:
    added = 0
    for term, target in DEFAULTS:
        if session.scalar(select(Synonym.id).where(Synonym.term == term)) is None:
            session.add(Synonym(term=term, targets=target))
            added += 1
    session.flush()
    return added


def build_mapping(rows: list[Synonym]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for row in rows:
        targets = row.targets.split()
        mapping.setdefault(row.term, []).extend(targets)
        if row.two_way:
            for target in targets:
                mapping.setdefault(target, []).append(row.term)
    return {term: list(dict.fromkeys(values)) for term, values in mapping.items()}


def mapping(session: Session) -> dict[str, list[str]]:
    """term -> what it also finds; re-read only when the table changed."""
    now = time.monotonic()
    if now - _cache["checked"] < 1.0:
        return cast(dict[str, list[str]], _cache["mapping"])
    key = tuple(session.execute(select(func.count(Synonym.id), func.max(Synonym.updated_at))).one())
    with _lock:
        _cache["checked"] = now
        if key != _cache["key"]:
            _cache["mapping"], _cache["key"] = build_mapping(all_rows(session)), key
        return cast(dict[str, list[str]], _cache["mapping"])


def version() -> Hashable:
    """What the table held when `mapping` last looked (count and newest edit): changes with the mapping."""
    return cast(Hashable, _cache["key"])


def forget() -> None:
    """Drop the cache (after an edit in this process, and between tests)."""
    _cache.update(key=None, mapping={}, checked=0.0)
