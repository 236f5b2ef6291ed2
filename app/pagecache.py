"""A short-lived cache of whole public pages for anonymous visitors (micro-caching).

Public list pages are the same for every anonymous visitor, and most traffic is anonymous browsing
on phones. Keeping each rendered page for a few seconds turns a burst of identical requests into one
render; a change shows within PAGE_CACHE_SECONDS. Logged-in users, pages carrying a flashed message,
and anything but GET/HEAD with status 200 are never cached. Each process keeps its own small LRU.
Domain packages name the endpoints that may be cached with `cacheable(app, endpoint, ...)`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from app import assets

MAX_ENTRIES = 2000
MAX_BYTES = 4 * 2**20  # pages kept, as sent (issue 20: ≤ 200 MB per web process whatever is asked)
Key = tuple[str, str, str]  # path with query, language, content encoding


class PageCache:
    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.ttl, self.max_entries, self.max_bytes = ttl, max_entries, max_bytes
        self._bytes = 0  # the kept bodies' length
        self.endpoints: set[str] = set()
        self._pages: OrderedDict[Key, tuple[float, bytes, list[tuple[str, str]]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> tuple[bytes, list[tuple[str, str]]] | None:
        with self._lock:
            hit = self._pages.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            self._pages.move_to_end(key)
            return hit[1], hit[2]

    def put(self, key: Key, body: bytes, headers: list[tuple[str, str]]) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._pages[key] = (time.monotonic() + self.ttl, body, headers)
            self._bytes += len(body)
            while len(self._pages) > 1 and (len(self._pages) > self.max_entries or self._bytes > self.max_bytes):
                self._bytes -= len(self._pages.popitem(last=False)[1][1])

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


def _eligible(cache: PageCache) -> bool:
    return (cache.ttl > 0 and request.method in ("GET", "HEAD") and request.endpoint in cache.endpoints
            and not current_user.is_authenticated and not session.get("_flashes"))


def _key() -> Key:
    """One copy per page, language and encoding (the body is kept as sent: compressed by app/assets.py)."""
    return request.full_path, str(get_locale()), assets.encoding()


def cacheable(app: Flask, *endpoints: str) -> None:
    app.extensions["page_cache"].endpoints.update(endpoints)


def init_app(app: Flask) -> None:
    cache = PageCache(float(app.config["PAGE_CACHE_SECONDS"]))
    app.extensions["page_cache"] = cache

    @app.before_request
    def serve_cached() -> Response | None:
        if _eligible(cache):
            hit = cache.get(_key())
            if hit is not None:
                body, headers = hit
                return Response(body, status=200, headers=headers + [("X-Page-Cache", "hit")])
        return None

    @app.after_request
    def store(response: Response) -> Response:
        if (response.status_code == 200 and not response.direct_passthrough and _eligible(cache)
                and "X-Page-Cache" not in response.headers and "Set-Cookie" not in response.headers):
            cache.put(_key(), response.get_data(), [(k, v) for k, v in response.headers.items()
                                                     if k.lower() not in ("content-length", "date")])
        return response


def clear() -> None:
    current_app.extensions["page_cache"].clear()
