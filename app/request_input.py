"""What the site accepts from a request before any view sees it, in one place for every view.

- An id in a path (`<int:...>`) beyond what an id column holds (a 32-bit integer: `Integer` is 32 bits on
  PostgreSQL) matches no route (404, like an unknown id): the databases raised a server error looking it up.
- A number read with `request.args.get(name, type=int)` (or `request.form`) beyond ±(2**53 - 1) is refused
  with 400 `number_out_of_range`: the largest integer a JavaScript client keeps exactly, and small enough that
  an offset computed from a page number (page * page size) stays inside 64 bits. A float that is NaN or
  infinite counts as absent, like any other unreadable value.
- A JSON body nested deeper than the parser's stack is refused with 400 `json_too_deep` instead of a
  RecursionError, and text that no database can store (NUL, lone surrogates from `\\ud800` escapes) with
  400 `invalid_characters`, as forms already are (app/security.py); a JSON body posted to a page (not /api/)
  is refused with 415.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar, overload

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import IntegerConverter, Map

from app.errors import Invalid

ID_MAX = 2**31 - 1  # the largest value of an Integer column on PostgreSQL (SQLite's hold 64 bits)
NUMBER_MAX = 2**53 - 1
# the escapes that can put NUL or a lone surrogate into a parsed string; raw control bytes are refused by the parser
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def bounded_int(value: Any) -> int:
    """`int(value)` for request input: ValueError for text that is no number, Invalid for one no column holds."""
    number = int(value)
    if not -NUMBER_MAX <= number <= NUMBER_MAX:
        raise Invalid(_("数字超出了允许的范围。"), code="number_out_of_range")
    return number


def id_or_none(value: Any) -> int | None:
    """An id typed into a form or query (`"12"`), or None for anything no id column holds: not ASCII digits
    (`str.isdigit` also accepts '²' and '①', which int() refuses), or beyond ID_MAX."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= ID_MAX else None


def finite_float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


T = TypeVar("T")

_SAFE_TYPES: dict[Any, Callable[[Any], Any]] = {int: bounded_int, float: finite_float}


class InputDict(ImmutableMultiDict[str, str]):
    """Query strings and form fields: `type=int` and `type=float` read numbers a database can hold."""

    # werkzeug's own signatures (TypeConversionDict.get, MultiDict.getlist), with the same two ignores werkzeug has:
    # dict.get takes no `type`, and `type` is keyword-only in practice
    @overload  # type: ignore[override]
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T) -> str | T: ...
    @overload
    def get(self, key: str, type: Callable[[str], T]) -> T | None: ...  # noqa: A002
    @overload
    def get(self, key: str, default: T, type: Callable[[str], T]) -> T: ...  # noqa: A002

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # type: ignore[misc]  # noqa: A002
        return super().get(key, default, _SAFE_TYPES.get(type, type))

    @overload
    def getlist(self, key: str) -> list[str]: ...
    @overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...  # noqa: A002

    def getlist(self, key: str, type: Any = None) -> list[Any]:  # noqa: A002
        return super().getlist(key, _SAFE_TYPES.get(type, type))


class InputRequest(Request):
    parameter_storage_class = InputDict


class BoundedIntConverter(IntegerConverter):
    """Flask's `<int:...>` limited to what an id column holds, so a huge id is "not found", not a server error."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, -ID_MAX - 1 if min is None else min,
                         ID_MAX if max is None else max, signed)


def _unstorable_text(value: Any) -> bool:
    """True when a string anywhere in the parsed JSON holds NUL or a lone surrogate (walked without recursion:
    the document may be nearly as deep as the parser allows)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class InputJSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # Chinese stays readable in JSON

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise Invalid(_("JSON 内容嵌套层数过多。"), code="json_too_deep") from None
        if isinstance(s, bytes | bytearray):  # a request body: decoded only when it holds an escape at all
            s = s.decode("utf-8", "replace") if b"\\u" in s else ""
        if "\\u" in s and _SUSPECT_ESCAPE.search(s) and _unstorable_text(value):
            raise Invalid(_("输入内容含有无效字符，请删除后重试。"), code="invalid_characters")
        return value


def refuse_json_outside_api() -> None:
    """Only /api/ reads JSON. Flask-WTF would read a JSON body posted to a page as the form's data, and a body
    that is no object (a list, a number) broke every form with a server error: refused as what it is."""
    if request.is_json and request.method != "GET" and not request.path.startswith("/api/"):
        raise UnsupportedMediaType()


def init_app(app: Flask) -> None:
    """Called before any blueprint is registered: rules look their converters up when they are added."""
    app.request_class = InputRequest
    app.json = InputJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_json_outside_api)
