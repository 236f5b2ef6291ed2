"""Storage keys: every key is built by us, so anything else is refused before it reaches a folder or a bucket."""

from __future__ import annotations

import re

KEY_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]*(/[a-z0-9_][a-z0-9_.-]*)*$")


class BadKey(ValueError):
    """A key we did not build: upper case, `..`, absolute, or other characters."""


def check_key(key: str) -> str:
    if not KEY_RE.match(key) or ".." in key:
        raise BadKey(key)
    return key
