"""Rate limits held where every host and process sees them: Flask-Limiter on Redis (REDIS_URL), or in the process's
memory when no Redis is configured (one host, one process: `make run`).

One table says every limit of the site and whom it counts (an address, a learner, a user); each limit's value is a
configuration key. Throttles that are counted in database rows stay there, on purpose: they are already shared by
every host, durable across restarts, and their rows are the record (the lockout after failed logins, wrong codes
and wrong current passwords on the password form, `login_failures`; codes sent per number and per address,
`verification_codes`; questions and objections per person, their own rows). See the README's "Rate limits" section.

Over a limit the request is answered 429 by app/errors.py like any HTTP error: the page 操作太频繁 in the browser,
`{"error": {"code": "too_many_requests"}}` from the API, with Retry-After. When Redis does not answer, the limits
fall back to each process's memory (logged) rather than refusing every request.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter, SlidingWindowCounterRateLimiter

from app.accounts.views import client_source, session_user
from app.errors import TooManyRequests
from app.web import current_user_or_none

log = logging.getLogger(__name__)


def by_address() -> str:
    """The client's address (its IPv6 /64), as the login lockout counts it."""
    return "addr:" + client_source()


def by_learner() -> str:
    """The signed-in learner, read from the session cookie without touching the database (the heartbeat's hot
    path); an anonymous request counts against its address (it is refused 401 anyway)."""
    who = session_user()
    return learner_key(who[0]) if who is not None else by_address()


def learner_key(user_id: int) -> str:
    """Whom `by_learner` counts for a signed-in learner."""
    return f"user:{user_id}"


def by_user() -> str:
    user = current_user_or_none()
    return f"user:{user.id}" if user is not None else by_address()


@dataclass(frozen=True)
class RateLimit:
    endpoint: str          # the view it guards
    setting: str           # the configuration key holding the limit ("30 per minute")
    key: Callable[[], str]  # whom it counts
    methods: tuple[str, ...] = ("POST",)
    lean: bool = False     # counted by `Counted` rather than Flask-Limiter's decorator (a hot path)


LIMITS = (
    RateLimit("auth.login", "RATE_LIMIT_LOGIN", by_address),
    RateLimit("learning_api.progress", "RATE_LIMIT_HEARTBEAT", by_learner, lean=True),
    RateLimit("media_tus.create", "RATE_LIMIT_UPLOAD", by_user),
    RateLimit("main.markdown_preview", "RATE_LIMIT_PREVIEW", by_user),
)


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage, its expired counters swept once a second. The library's starts a thread (a
    `threading.Timer`) 10 ms after any hit to sweep them, so under load about 100 threads a second per process,
    each walking every counter: a third of a heartbeat's server CPU. An expired counter is already ignored when
    read; the sweep only frees its memory, which can wait a second."""

    STORAGE_SCHEME = ["qiuxue-memory"]  # registered with limits by this class statement
    SWEEP_S = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage's private (name-mangled) method
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_S, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


def storage_uri(config: Mapping[str, Any]) -> str:
    return str(config["REDIS_URL"] or "qiuxue-memory://")


def init_app(app: Flask) -> None:
    """Bind a limiter of this app's own (two apps in one process, as in the tests, are two hosts) and wrap the
    views of LIMITS. Call after every blueprint is registered."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "qiuxue")  # a Redis shared with other sites keeps ours apart
    app.config.setdefault("RATELIMIT_STRATEGY", "sliding-window-counter")  # two counters a key: cheap on Redis
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on a 429
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # Redis down: log it, let the request through
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # ... counted in memory meanwhile
    limiter = Limiter(by_address, app=app)
    app.extensions["qiuxue_limiter"] = limiter
    lean = frozenset(limit.endpoint for limit in LIMITS if limit.lean)
    limiter.request_filter(lambda: request.endpoint in lean)  # Flask-Limiter leaves those to `Counted`
    everywhere = any(app.config.get(key) for key in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META"))
    _skip_hooks(app, limiter, lean, None if everywhere else frozenset(lim.endpoint for lim in LIMITS if not lim.lean))
    for limit in LIMITS:
        view = app.view_functions.get(limit.endpoint)
        if view is None:
            continue  # its package is not part of this app
        if limit.lean:
            counted = Counted(limiter, limit, app.config["RATELIMIT_KEY_PREFIX"])
            app.extensions.setdefault("qiuxue_counted", {})[limit.endpoint] = counted  # for learning.heartbeat_path
            app.view_functions[limit.endpoint] = counted.wrap(view)
            continue
        limited = limiter.limit(_value(limit.setting), key_func=limit.key, methods=list(limit.methods))(view)
        app.view_functions[limit.endpoint] = limited  # type: ignore[assignment]  # limiter types views as async too


def _skip_hooks(app: Flask, limiter: Limiter, lean: frozenset[str], counted: frozenset[str] | None) -> None:
    """Flask-Limiter's before-, after- and teardown-request hooks pass over the endpoints `Counted` limits: there
    they would only find the request filtered out, after evaluating its limits (a twentieth of a heartbeat). Unless
    limits apply to every view (`counted` None: default, application or meta limits configured), they pass over
    every view without a limit of its own too, where they would find nothing to count (~0.1 ms of each page)."""
    def ours(hook: Any) -> bool:
        return getattr(hook, "__self__", None) is limiter or getattr(hook, "args", (None,))[:1] == (limiter,)

    def passing(hook: Callable[..., Any]) -> Callable[..., Any]:
        def unless_lean(*args: Any) -> Any:  # before: (); after: (response,); teardown: (error,)
            if request.endpoint in lean or counted is not None and request.endpoint not in counted:
                return args[0] if args else None
            return hook(*args)
        return unless_lean

    registries: tuple[dict[Any, list[Any]], ...] = (app.before_request_funcs, app.after_request_funcs,
                                                    app.teardown_request_funcs)
    for hooks in registries:
        hooks[None] = [passing(hook) if ours(hook) else hook for hook in hooks.get(None, [])]


RETRY_STORAGE_S = 30.0


@functools.lru_cache(maxsize=32)
def _item(value: str) -> RateLimitItem:
    return parse(value)


class Counted:
    """One limit counted with the `limits` library directly, on the limiter's storage and strategy: the same count,
    refusal (429 `too_many_requests` with Retry-After) and Redis fallback as Flask-Limiter's decorator, without its
    per-request bookkeeping (its before- and after-request hooks, the rate-limit headers), which cost a heartbeat
    about a tenth of its server CPU. When the storage fails, the count goes on in this process's memory (logged)."""

    def __init__(self, limiter: Limiter, limit: RateLimit, prefix: str) -> None:
        self.limiter, self.limit = limiter, limit
        self.prefix = f"{prefix}/{limit.endpoint}"
        self._fallback: RateLimiter | None = None
        self._retry_at = 0.0  # when to try the storage again after it failed

    def wrap(self, view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self.applies(request.method):
                self.check()
            return view(*args, **kwargs)
        return counted

    def check(self) -> None:
        self.hit(self.limit.key())

    def applies(self, method: str) -> bool:
        """Whether a request with this method is counted."""
        return method in self.limit.methods and self.limiter.enabled

    def hit(self, key: str) -> None:
        """Count one request against `key` ("user:<id>"); over the limit, raise TooManyRequests."""
        item = _item(str(current_app.config[self.limit.setting]))
        strategy = self._fallback if self._fallback and time.monotonic() < self._retry_at else self.limiter.limiter
        try:
            allowed = strategy.hit(item, self.prefix, key)
        except Exception:  # noqa: BLE001 - Redis unreachable: count in this process's memory for a while
            log.warning("rate limit storage unreachable - counting %s in memory", self.limit.endpoint)
            self._fallback = strategy = self._fallback or SlidingWindowCounterRateLimiter(SweptMemoryStorage())
            self._retry_at = time.monotonic() + RETRY_STORAGE_S
            allowed = strategy.hit(item, self.prefix, key)
        if not allowed:
            reset_at = strategy.get_window_stats(item, self.prefix, key).reset_time
            raise TooManyRequests(_("操作太频繁，请稍后再试。"), retry_after=max(1, int(reset_at - time.time()) + 1))


def _value(setting: str) -> Callable[[], str]:
    """The limit read from the configuration on each request (a test, or an operator's reload, may change it)."""
    return lambda: str(current_app.config[setting])
