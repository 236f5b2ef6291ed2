"""Rate limits held where every host and process sees them: Flask-Limiter on Redis (REDIS_URL), or in the process's
memory when no Redis is configured (one host, one process: `make run`).

One table says every limit of the site and whom it counts (an address, a learner, a user); each limit's value is a
configuration key. Throttles that are counted in database rows stay there, on purpose: they are already shared by
every host, durable across restarts, and their rows are the record (the lockout after failed logins and wrong
codes, `login_failures`; codes sent per number and per address, `verification_codes`; questions and objections
per person, their own rows). See the README's "Rate limits" section.

Over a limit the request is answered 429 by app/errors.py like any HTTP error: the page 操作太频繁 in the browser,
`{"error": {"code": "too_many_requests"}}` from the API, with Retry-After. When Redis does not answer, the limits
fall back to each process's memory (logged) rather than refusing every request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter

from app.accounts.views import client_source, session_user
from app.web import current_user_or_none


def by_address() -> str:
    """The client's address (its IPv6 /64), as the login lockout counts it."""
    return "addr:" + client_source()


def by_learner() -> str:
    """The signed-in learner, read from the session cookie without touching the database (the heartbeat's hot
    path); an anonymous request counts against its address (it is refused 401 anyway)."""
    who = session_user()
    return f"user:{who[0]}" if who is not None else by_address()


def by_user() -> str:
    user = current_user_or_none()
    return f"user:{user.id}" if user is not None else by_address()


@dataclass(frozen=True)
class RateLimit:
    endpoint: str          # the view it guards
    setting: str           # the configuration key holding the limit ("30 per minute")
    key: Callable[[], str]  # whom it counts
    methods: tuple[str, ...] = ("POST",)


LIMITS = (
    RateLimit("auth.login", "RATE_LIMIT_LOGIN", by_address),
    RateLimit("learning_api.progress", "RATE_LIMIT_HEARTBEAT", by_learner),
    RateLimit("media_tus.create", "RATE_LIMIT_UPLOAD", by_user),
)


def storage_uri(config: Mapping[str, Any]) -> str:
    return str(config["REDIS_URL"] or "memory://")


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
    for limit in LIMITS:
        view = app.view_functions.get(limit.endpoint)
        if view is None:
            continue  # its package is not part of this app
        limited = limiter.limit(_value(limit.setting), key_func=limit.key, methods=list(limit.methods))(view)
        app.view_functions[limit.endpoint] = limited  # type: ignore[assignment]  # limiter types views as async too


def _value(setting: str) -> Callable[[], str]:
    """The limit read from the configuration on each request (a test, or an operator's reload, may change it)."""
    return lambda: str(current_app.config[setting])
