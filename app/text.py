"""Rules for plain text that people type: no control characters (NUL cannot even be stored in
PostgreSQL, and the rest only hide things), shared by every service that stores names."""

from __future__ import annotations

import unicodedata


def has_control_chars(value: str | None, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value or "")
