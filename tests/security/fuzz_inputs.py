"""Hostile values and request shapes for tests/security/test_fuzz.py, and what the site's own pages tell about
each route: the fields of its forms (names, default values, file inputs) and the names its view reads.

Values are text as a browser sends it (forms, query strings, path segments) or JSON of any shape."""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from hypothesis import strategies as st

INT64 = 2**63
# numbers at and beyond every boundary a column or a parser has
NUMBERS = ["0", "-1", "1", "2147483648", str(INT64 - 1), str(INT64), str(-INT64 - 1), "99999999999999999999",
           "1" * 5000, "1e400", "-1e400", "1e-400", "nan", "NaN", "inf", "-Infinity", "1.5", "-0", "0x10", "１２",
           " 7 ", "1_000", "007"]
TEXTS = ["", " ", "true", "null", "[]", "{}", "x" * 20_000, "电工" * 3_000, "\u202e", "\uffff", "\ufeff",
         "\u200b", "\x01\x1f\x7f", "\x00", "a\r\nb", "😀" * 50, "<script>alert(1)</script>", "' OR 1=1 --",
         "../../etc/passwd", "%00", "%s%n", "{{7*7}}", "2026-02-30", "9999-12-31", "0001-01-01", "1900-01-01",
         "2026-13-01", "-2026-01-01", "13800138000", "javascript:alert(1)", "http://", "//evil.example/"]
hostile_text = st.one_of(
    st.sampled_from(NUMBERS + TEXTS),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=40),  # any code point, surrogates aside (a browser cannot send them)
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, -1, 1, INT64, -INT64 - 1, 10**40]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text,
    st.sampled_from(["\ud800", "a\udfffb"]),  # lone surrogates: only JSON escapes can carry them
)


def json_values(keys: list[str]) -> st.SearchStrategy:
    names = st.sampled_from(keys) if keys else st.text(max_size=8)
    return st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(names | st.text(max_size=8), inner, max_size=4), max_leaves=8)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass
class Form:
    """A form's fields as the page offers them: name -> default value, and the names of its file inputs."""

    fields: dict[str, str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, Form]] = []  # (method, action, form)
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("method", "get").lower(), a.get("action", ""), Form()))
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                self.forms[-1][2].fields.setdefault(self._select, a.get("value", ""))
            return
        form, name = self.forms[-1][2], a["name"]
        if tag == "input" and a.get("type") == "file":
            form.files.add(name)
        elif tag in ("input", "textarea", "button"):
            form.fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_of(html: str, page_path: str) -> list[tuple[str, str, Form]]:
    """(method, action path, fields) of every form on a page; a form without action posts to the page."""
    reader = _FormReader()
    reader.feed(html)
    return [(method, urlsplit(action).path or urlsplit(page_path).path, form)
            for method, action, form in reader.forms]


_READ_NAMES = re.compile(r"""(?:\.get(?:list)?\(|\[)\s*["']([a-z_][a-z0-9_]{0,40})["']""")


def names_read_by(view) -> set[str]:
    """Field names a view function reads from args, form or JSON (by looking at its source)."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return set()
    return set(_READ_NAMES.findall(source))


def fill_path(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>", lambda m: quote(str(values[m.group(1)]), safe=""), rule)


def describe(method: str, path: str, query: dict, body) -> str:
    """A short line naming the request, for the failure report."""
    shown = json.dumps(body, ensure_ascii=True, default=repr)[:300] if body is not None else ""
    return f"{method} {path} ?{json.dumps(query, ensure_ascii=True)[:200]} {shown}"
