"""Logs: readable lines by default (`make run`), one JSON object per line with LOG_FORMAT=json (for a log
collector), and a request id on every line written while a request, or a job it enqueued, runs.

The request id is the caller's X-Request-ID when it is sane (nginx's `$request_id`, a load balancer's, a UUID),
else a fresh one; the response carries it back, so a user's report, the proxy's log and ours meet on one id.
A job enqueued during the request keeps the id in its payload (app/jobs/queue.py) and the runtime binds it again
while the job runs, so the transcode's log lines name the upload request that caused them.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, request
from flask.logging import default_handler
from flask.wrappers import Response
from pythonjsonlogger.json import JsonFormatter

from app.lean_paths import every_request

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")  # no spaces, quotes or line breaks reach a log line
FIELDS = ("request_id", "job_id")
_context: ContextVar[dict[str, Any]] = ContextVar("qiuxue_log_context", default={})  # noqa: B039 - never mutated
PACKAGES = ("app", "catalog", "search", "media", "learning", "credits", "programme")


def current(name: str) -> Any:
    """A field of the log context now (None outside a request or job)."""
    return _context.get().get(name)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add fields to the log context for the lines written inside (a job's run)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copy the log context onto each record, so any formatter can name the request and job."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name, ""))
        return True


_FILTER = ContextFilter()  # one instance, so building many apps adds it to Flask's handler once


class _Ids:
    """Fresh request ids: 16 random hex digits per process (new after a fork) and a counter, 32 hex digits like a
    UUID's. The id only joins log lines together (it guards nothing), so it need be unique, not unguessable; a
    `uuid4` per request was 2% of a page."""

    def __init__(self) -> None:
        self.start()
        os.register_at_fork(after_in_child=self.start)

    def start(self) -> None:
        self.prefix, self.counter = os.urandom(8).hex(), itertools.count()

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"  # next() on a count: one step, atomic


_new_id = _Ids()


def request_id_from(value: str | None) -> str:
    if value and SANE_ID.fullmatch(value):
        return value
    return _new_id()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is written (a reopened stream, a test's capture), not to the
    one there was when the handler was made."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _json_handler() -> logging.Handler:
    """One handler on the root logger per process, however many apps are built (tests build hundreds)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "qiuxue_json", False):
            return handler
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter(["asctime", "levelname", "name", "message", *FIELDS],
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    handler.addFilter(_FILTER)
    handler.qiuxue_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return handler


def init_app(app: Flask) -> None:
    """Request ids for every request; JSON lines when configured (text stays Flask's own format otherwise)."""
    fmt = str(app.config["LOG_FORMAT"]).lower()
    if fmt not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    if fmt == "json":
        _json_handler()
        app.logger.removeHandler(default_handler)  # the root's JSON handler writes the site's lines once
        for name in PACKAGES:
            logging.getLogger(name).setLevel(app.config["LOG_LEVEL"])
    else:
        default_handler.addFilter(_FILTER)

    @app.before_request
    @every_request
    def bind_request_id() -> None:
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.log_context_token = _context.set({**_context.get(), "request_id": g.request_id})

    @app.after_request
    @every_request
    def send_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    @every_request
    def unbind_request_id(_error: BaseException | None) -> None:
        token = g.pop("log_context_token", None)
        if token is not None:
            _context.reset(token)
