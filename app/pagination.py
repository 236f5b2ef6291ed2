"""Pages of a list, read from the query string the same way on every page and API: lenient where a person types
the URL (a bad `page` shows page 1), strict where a program asks (a bad `limit` is 400 bad_query)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _

from app.errors import Invalid
from app.text import is_digits

T = TypeVar("T")
MAX_PAGE = 10_000  # deeper than anyone reads; keeps OFFSET bounded


@dataclass
class Page(Generic[T]):
    """One page of `total` items, numbered from 1."""

    items: Sequence[T]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def page_args(args: Mapping[str, Any], default_per_page: int = 20, max_per_page: int = 100) -> tuple[int, int]:
    """(page, per_page) from `page` and `per_page`, clamped to [1, MAX_PAGE] and [1, max_per_page]; text that
    is no number gives the default."""
    def number(name: str, default: int, upper: int) -> int:
        try:
            return max(1, min(upper, int(args.get(name) or default)))
        except (TypeError, ValueError):
            return default

    return number("page", 1, MAX_PAGE), number("per_page", default_per_page, max_per_page)


def offset(page: int, per_page: int) -> int:
    """Rows before `page` (pages below 1 count as the first)."""
    return (max(page, 1) - 1) * per_page


def int_arg(args: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A whole number in [low, high] for an API's query string, or 400 bad_query naming the parameter."""
    raw = str(args.get(name, str(default)))
    if not is_digits(raw) or not low <= int(raw) <= high:
        raise Invalid(_("参数 %(name)s 必须是 %(low)d 到 %(high)d 之间的整数。", name=name, low=low, high=high),
                      code="bad_query", fields={name: _("请填写整数。")})
    return int(raw)
