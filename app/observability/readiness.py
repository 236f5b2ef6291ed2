"""Is this host ready for traffic? /readyz asks every registered check: the database here, the media storage and
this host's search replica in their packages (media/readiness.py, search/readiness.py register theirs from their
`init_app`, as app sits below them). A load balancer sends no request to a host that is not ready: one still
building its search replica, or cut off from the database or the bucket.

The answer is kept for READY_CACHE_S (at most 5 s), so a load balancer probing every second costs one round of
checks per few seconds, and a change shows within that time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select

from app.extensions import db

log = logging.getLogger(__name__)
MAX_CACHE_S = 5.0

# name -> check: None when ready, else a short reason (English, for operators; never shown to users)
Check = Callable[[Flask], "str | None"]
CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    CHECKS[name] = check


def database(_app: Flask) -> str | None:
    """The database answers a query. (A read-only database still serves reading pages: /healthz tells that.)"""
    try:
        db.session.execute(select(1))
        return None
    except Exception as error:  # noqa: BLE001 - any failure means not ready; the reason goes to the log
        log.warning("readiness: the database does not answer: %s", error)
        return "unreachable"
    finally:
        db.session.rollback()


register("database", database)


@dataclass
class Answer:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or the reason
    at: float = 0.0

    def body(self) -> dict[str, object]:
        failing = sorted(name for name, state in self.checks.items() if state != "ok")
        return {"status": "ready" if self.ready else "not_ready", "checks": self.checks, "failing": failing}


def run_checks(app: Flask) -> Answer:
    """Every check, each guarded: one that raises is a reason, not a 500."""
    checks = {}
    for name, check in CHECKS.items():
        try:
            reason = check(app)
        except Exception as error:  # noqa: BLE001 - a broken check means not ready; say which and log why
            log.exception("readiness check %s failed", name)
            reason = f"check failed: {type(error).__name__}"
        checks[name] = "ok" if reason is None else reason
    return Answer(all(state == "ok" for state in checks.values()), checks, time.monotonic())


class Cached:
    """The last answer, reused for READY_CACHE_S; one request at a time runs the checks."""

    def __init__(self) -> None:
        self._answer: Answer | None = None
        self._lock = threading.Lock()

    def get(self, app: Flask) -> Answer:
        keep = min(float(app.config["READY_CACHE_S"]), MAX_CACHE_S)
        with self._lock:
            answer = self._answer
            if answer is None or time.monotonic() - answer.at >= keep:
                answer = self._answer = run_checks(app)
            return answer


def answer(app: Flask) -> Answer:
    cached: Cached = app.extensions.setdefault("readiness", Cached())
    return cached.get(app)
