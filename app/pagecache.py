"""A short-lived cache of whole public pages for anonymous visitors (micro-caching).

Public list pages are the same for every anonymous visitor, and most traffic is anonymous browsing
on phones. Keeping each rendered page for a few seconds turns a burst of identical requests into one
render; a change shows within PAGE_CACHE_SECONDS. Logged-in users, pages carrying a flashed message,
and anything but GET/HEAD with status 200 are never cached. Each process keeps its own small LRU.
Domain packages name the endpoints that may be cached with `cacheable(app, endpoint, ...)`.

A kept page is found again before Flask sees the request (`answer_early`, a WSGI layer inside the trusted
proxy) when the request carries exactly what the page was kept for: the same address and query, the same
Cookie header (the language; never a session or remember-me cookie: such requests go through Flask, which
decides who is signed in) and the same Accept-Encoding. Only the request id and the metrics are made per
answer; Flask's request set-up and its twenty-odd hooks were most of a cached page's cost (bench/README.md,
2026-12-03, "pages over HTTP").
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from app import assets, logs
from app.observability import metrics

MAX_ENTRIES = 2000
MAX_BYTES = 4 * 2**20  # pages kept, as sent (issue 20: ≤ 200 MB per web process whatever is asked)
EARLY_KEY_CHARS = 1024  # what `answer_early` keeps per request it can answer: ≤ ~2 KB × MAX_ENTRIES with headers
Key = tuple[str, str, str]  # scheme, host and path with query; language; content encoding
# what a request says before Flask reads it: script root, path, query string, Cookie and Accept-Encoding headers,
# the host and scheme (as sent and as forwarded)
Early = tuple[str, ...]
KEPT = "qiuxue.page_cache.kept"  # in the WSGI environ: this anonymous request's page was kept (its key, endpoint)
WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class PageCache:
    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.ttl, self.max_entries, self.max_bytes = ttl, max_entries, max_bytes
        self._bytes = 0  # the kept bodies' length
        self.endpoints: set[str] = set()
        self._pages: OrderedDict[Key, tuple[float, bytes, list[tuple[str, str]]]] = OrderedDict()
        # the page's key, endpoint and headers as sent (after every hook), for `answer_early`
        self._early: dict[Early, tuple[Key, str, tuple[tuple[str, str], ...]]] = {}
        self._headers: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
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
            self._early.clear()
            self._headers.clear()
            self._bytes = 0

    def index_early(self, early: Early, key: Key, endpoint: str, headers: list[tuple[str, str]]) -> None:
        """Find the page kept under `key` from the raw request `early`, to be sent with `headers` (emptied when
        full, it fills again with the next requests). Bounded in bytes too: a request whose address and headers
        are longer than EARLY_KEY_CHARS (an odd Cookie header, say) is left to Flask."""
        if sum(map(len, early)) > EARLY_KEY_CHARS:
            return
        with self._lock:
            if len(self._early) >= self.max_entries:
                self._early.clear()
                self._headers.clear()
            kept = tuple(headers)  # one copy of each set of headers: pages of an endpoint are sent with the same
            self._early[early] = key, endpoint, self._headers.setdefault(kept, kept)

    def get_early(self, early: Early) -> tuple[bytes, tuple[tuple[str, str], ...], str] | None:
        found = self._early.get(early)
        if found is None:
            return None
        hit = self.get(found[0])
        return None if hit is None else (hit[0], found[2], found[1])


def _eligible(cache: PageCache) -> bool:
    return (cache.ttl > 0 and request.method in ("GET", "HEAD") and request.endpoint in cache.endpoints
            and not current_user.is_authenticated and not session.get("_flashes"))


def _key() -> Key:
    """One copy per page, host, language and encoding (the body is kept as sent: compressed by app/assets.py). The
    host (and scheme) too: a page built with absolute links (the news feed) from a forged Host was kept and sent to
    everyone."""
    return request.host_url + request.full_path, str(get_locale()), assets.encoding()


def _early_key(environ: dict[str, Any]) -> Early:
    """Everything of the request a kept answer may depend on, the host and scheme as sent (or forwarded) too."""
    return (environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
            environ.get("HTTP_COOKIE", ""), environ.get("HTTP_ACCEPT_ENCODING", ""), environ.get("HTTP_HOST", ""),
            environ.get("HTTP_X_FORWARDED_HOST", ""), environ.get("HTTP_X_FORWARDED_PROTO", ""),
            environ.get("wsgi.url_scheme", ""))


def _signed_cookies(app: Flask) -> tuple[str, str]:
    return app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def answer_early(cache: PageCache, wsgi: WSGI) -> WSGI:
    """A WSGI layer answering a GET from the cache when an anonymous request like it (`Early`) was answered
    with the kept page: with the headers that answer was sent with (every hook's), but its own request id
    (app/logs.py), and counted in the metrics as Flask would count it. It learns those headers as the answer
    leaves Flask, for a page `store` kept (KEPT), not when a cookie was set."""

    def early(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or cache.ttl <= 0:
            return wsgi(environ, start_response)
        found = cache.get_early(_early_key(environ))
        if found is not None:
            started = time.perf_counter()
            body, headers, endpoint = found
            start_response("200 OK", [*headers, ("Content-Length", str(len(body))), ("X-Page-Cache", "hit"),
                                      (logs.HEADER, logs.request_id_from(environ.get("HTTP_X_REQUEST_ID")))])
            metrics.count(endpoint, "GET", 200, started)
            return [body]

        def learn(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = environ.get(KEPT)
            if kept is not None and status.startswith("200 ") and all(k.lower() != "set-cookie" for k, _v in headers):
                cache.index_early(_early_key(environ), kept[0], kept[1], [
                    (k, v) for k, v in headers if k.lower() not in ("content-length", "date", "x-request-id")])
            return start_response(status, headers, exc_info)

        return wsgi(environ, learn)

    return early


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
            key = _key()
            cache.put(key, response.get_data(), [(k, v) for k, v in response.headers.items()
                                                 if k.lower() not in ("content-length", "date", "x-request-id")])
            if request.method == "GET" and not any(name in request.cookies for name in signed):
                request.environ[KEPT] = key, request.endpoint or ""
        return response

    signed = _signed_cookies(app)
    app.wsgi_app = answer_early(cache, app.wsgi_app)  # type: ignore[method-assign,assignment]


def clear() -> None:
    current_app.extensions["page_cache"].clear()
