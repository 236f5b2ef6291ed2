"""Browsing published resources: filters (menu category, kind, industry, audience, has credits, provider),
three sort orders and pagination, in a fixed number of queries whatever the page holds (no N+1)."""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation
from app.pagination import Page, offset
from catalog.categories import Menu
from catalog.models import (
    Audience,
    Industry,
    Resource,
    ResourceAudience,
    ResourceCategory,
    ResourceIndustry,
    ResourceKind,
    ResourceStatus,
)

SORTS = ("newest", "enrolled", "credits")
MAX_PER_PAGE = 100


@dataclass
class Filters:
    category: str = ""       # menu category code; includes everything below it
    kind: str = ""
    industry: str = ""
    audience: str = ""
    has_credits: bool = False
    provider: str = ""       # organisation code
    sort: str = "newest"

    def args(self, **override: Any) -> dict[str, Any]:
        """Query-string arguments reproducing these filters (for links), without empty ones."""
        values = {"kind": self.kind, "industry": self.industry, "audience": self.audience,
                  "credits": "1" if self.has_credits else "", "provider": self.provider,
                  "sort": self.sort if self.sort != "newest" else ""}
        values.update(override)
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.kind or self.industry or self.audience or self.has_credits or self.provider)


def _member(enum_type: type[enum.StrEnum], value: Any) -> str:
    try:
        return enum_type(str(value)).value
    except ValueError:
        return ""


def parse_filters(args: Mapping[str, Any], category: str = "") -> Filters:
    """Filters from a query string; unknown values are ignored rather than refused (links get shared)."""
    sort = str(args.get("sort") or "newest")
    return Filters(
        category=category or str(args.get("category") or ""),
        kind=_member(ResourceKind, args.get("kind") or ""),
        industry=_member(Industry, args.get("industry") or ""),
        audience=_member(Audience, args.get("audience") or ""),
        has_credits=str(args.get("credits") or "") in ("1", "true", "yes", "on"),
        provider=str(args.get("provider") or "")[:32],
        sort=sort if sort in SORTS else "newest",
    )


_Query = TypeVar("_Query", bound="Select[Any]")


def _filtered(filters: Filters, menu: Menu | None, query: _Query) -> _Query:
    query = query.where(Resource.status == ResourceStatus.published)
    if filters.kind:
        query = query.where(Resource.kind == filters.kind)
    if filters.has_credits:
        query = query.where(Resource.credits > 0)
    # Correlated EXISTS, not "id IN (subquery)": SQLite then walks the sort order's index and probes each
    # row (microseconds for a page), instead of collecting every match and sorting it (tens of ms at 100k).
    if filters.industry:
        query = query.where(exists().where(ResourceIndustry.resource_id == Resource.id,
                                           ResourceIndustry.industry == filters.industry))
    if filters.audience:
        query = query.where(exists().where(ResourceAudience.resource_id == Resource.id,
                                           ResourceAudience.audience == filters.audience))
    if filters.provider:
        query = query.where(Resource.provider_id == select(Organisation.id).where(
            Organisation.code == filters.provider).scalar_subquery())
    if filters.category and menu is not None:
        ids = menu.descendant_ids(filters.category) or [-1]
        query = query.where(exists().where(ResourceCategory.resource_id == Resource.id,
                                           ResourceCategory.category_id.in_(ids)))
    return query


_ORDER = {
    "newest": (Resource.published_at.desc(), Resource.id.desc()),
    "enrolled": (Resource.enrolment_count.desc(), Resource.published_at.desc(), Resource.id.desc()),
    "credits": (Resource.credits.desc(), Resource.published_at.desc(), Resource.id.desc()),
}


def browse(session: Session, filters: Filters, page: int = 1, per_page: int = 20,
           menu: Menu | None = None, count_ttl_s: float = 0.0) -> Page[Resource]:
    """One page of published resources with their providers: three queries (count, page, providers).

    With `count_ttl_s` the total is cached that long per filter (QIUXUE_CATALOG_COUNT_CACHE_SECONDS):
    counting 100,000 rows costs more than the whole rest of the page, and a total a few seconds old
    misleads no one."""
    key = (str(session.get_bind().engine.url), filters.category, filters.kind, filters.industry, filters.audience,
           filters.has_credits, filters.provider)
    total = _counts.get(key, count_ttl_s) if count_ttl_s > 0 else None
    if total is None:
        total = session.scalar(_filtered(filters, menu, select(func.count(Resource.id)))) or 0
        _counts.put(key, total)
    query = (_filtered(filters, menu, select(Resource)).order_by(*_ORDER[filters.sort])
             .limit(per_page).offset(offset(page, per_page)).options(selectinload(Resource.provider)))
    return Page(items=list(session.scalars(query)), page=page, per_page=per_page, total=total)


def published_titled(session: Session, text: str, limit: int = 20) -> list[Resource]:
    """Published resources whose title contains `text`, newest first: what a union editor picks from."""
    return list(session.scalars(
        select(Resource).where(Resource.status == ResourceStatus.published, Resource.title.contains(text))
        .order_by(Resource.published_at.desc()).limit(limit)))


def published_totals(session: Session) -> tuple[dict[ResourceKind, int], int]:
    """What the open directory holds: published resources by kind, and how many organisations provide them."""
    published = Resource.status == ResourceStatus.published
    rows = session.execute(select(Resource.kind, func.count()).where(published).group_by(Resource.kind))
    by_kind = dict(rows.all())
    providers = session.scalar(select(func.count(func.distinct(Resource.provider_id))).where(published)) or 0
    return by_kind, providers


class _TTLCache:
    """A small per-process cache whose entries expire; cleared whole when full (the key space is small)."""

    def __init__(self, ttl_s: float, size: int = 2048):
        self.ttl_s, self.size = ttl_s, size
        self._data: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, ttl_s: float | None = None) -> Any:
        hit = self._data.get(key)
        if hit is None or time.monotonic() - hit[0] > (self.ttl_s if ttl_s is None else ttl_s):
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._data) >= self.size:
            self._data.clear()
        self._data[key] = (time.monotonic(), value)

    def clear(self) -> None:
        self._data.clear()


COUNT_TTL_S = 30.0
_counts = _TTLCache(COUNT_TTL_S)
_provider_cache: dict[str, Any] = {"at": 0.0, "rows": [], "key": None}


def providers(session: Session, ttl_s: float = 60.0) -> list[tuple[str, str]]:
    """(code, name) of organisations with published resources, for the provider filter. Cached briefly:
    it changes rarely and grouping every published resource on each list page would be wasted work."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    if _provider_cache["key"] == key and now - _provider_cache["at"] < ttl_s:
        cached: list[tuple[str, str]] = _provider_cache["rows"]
        return cached
    rows = [(code, name) for code, name in session.execute(
        select(Organisation.code, Organisation.name).where(Organisation.id.in_(
            select(Resource.provider_id).where(Resource.status == ResourceStatus.published).distinct()))
        .order_by(Organisation.path))]
    _provider_cache.update(at=now, rows=rows, key=key)
    return rows


def newest(session: Session, limit: int = 6) -> list[Resource]:
    return list(session.scalars(select(Resource).where(Resource.status == ResourceStatus.published)
                                .order_by(Resource.published_at.desc(), Resource.id.desc()).limit(limit)
                                .options(selectinload(Resource.provider))))
