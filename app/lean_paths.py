"""Lean paths: endpoints (the progress heartbeat, one per learner every 15 s) that run only the app-wide request
hooks every request needs, not the ones made for pages.

An app-wide hook marked `every_request` (request ids, metrics, CSRF, security headers, the embedded worker's start)
runs on every path; the others (the page cache, asset compression, Flask-Login's remember cookie, the lesson
redirect, the NUL check of query strings and forms, ...) are passed over on a lean path, where they find nothing to
do, at about a tenth of a heartbeat's request-thread CPU between them. A lean endpoint's own blueprint hooks all run,
and the session cookie is opened and saved as on any path. A hook that guards every request must be marked: an
unmarked one is skipped here, which tests/learning/test_heartbeat_lean_path.py checks for the app as built."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, TypeVar

from flask import Flask, Response, request
from flask.globals import request_ctx
from flask.signals import request_tearing_down

EVERY_REQUEST = "qiuxue_every_request"
_Hook = TypeVar("_Hook", bound=Callable[..., Any])


def every_request(hook: _Hook) -> _Hook:
    """Mark an app-wide hook as needed on every path, lean ones included."""
    setattr(hook, EVERY_REQUEST, True)
    return hook


def _needed(hooks: list[Callable[..., Any]]) -> list[Callable[..., Any]]:
    return [hook for hook in hooks if getattr(hook, EVERY_REQUEST, False)]


def lean(app: Flask, *endpoints: str) -> None:
    """Serve `endpoints` with the app-wide hooks marked `every_request` only (and their blueprints' own)."""
    kept: set[str] = app.extensions.setdefault("lean_endpoints", set())
    if not kept:
        _install(app, kept)
    kept.update(endpoints)


def _install(app: Flask, kept: set[str]) -> None:
    """Flask's three hook runners, each choosing the app-wide hooks by endpoint (the hook lists are read on each
    request, so hooks added after this still count)."""
    preprocess, process, teardown = app.preprocess_request, app.process_response, app.do_teardown_request

    def preprocess_request() -> Any:
        if request.endpoint not in kept:
            return preprocess()
        for name in (None, *reversed(request.blueprints)):
            funcs = app.url_value_preprocessors.get(name, ())
            for url_func in funcs:
                url_func(request.endpoint, request.view_args)
            hooks = app.before_request_funcs.get(name, [])
            for hook in _needed(hooks) if name is None else hooks:
                answer = app.ensure_sync(hook)()
                if answer is not None:
                    return answer
        return None

    def process_response(response: Response) -> Response:
        if request.endpoint not in kept:
            return process(response)
        ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
        for func in ctx._after_request_functions:
            response = app.ensure_sync(func)(response)
        for name in chain(request.blueprints, (None,)):
            hooks = app.after_request_funcs.get(name, [])
            for hook in reversed(_needed(hooks) if name is None else hooks):
                response = app.ensure_sync(hook)(response)
        if not app.session_interface.is_null_session(ctx._session):
            app.session_interface.save_session(app, ctx._session, response)
        return response

    def do_teardown_request(exc: BaseException | None = None) -> None:  # Flask's RequestContext.pop passes exc
        if request.endpoint not in kept:
            teardown(exc)
            return
        for name in chain(request.blueprints, (None,)):
            hooks = app.teardown_request_funcs.get(name, [])
            for hook in reversed(_needed(hooks) if name is None else hooks):
                app.ensure_sync(hook)(exc)
        request_tearing_down.send(app, _async_wrapper=app.ensure_sync, exc=exc)

    app.preprocess_request = preprocess_request  # type: ignore[method-assign]
    app.process_response = process_response  # type: ignore[method-assign]
    app.do_teardown_request = do_teardown_request  # type: ignore[method-assign]


def starts_worker(app: Flask) -> bool:
    """Whether the app starts its embedded worker with its first request (app.jobs): a path answering beneath Flask
    (learning.heartbeat_path, app.viewer_pages) waits until "worker" is in app.extensions, as that hook would."""
    return any(getattr(hook, "__qualname__", "").endswith(".start_worker")
               for hook in app.before_request_funcs.get(None, ()))


class PlainAnswer:
    """A 200 as plain WSGI, for a path answered beneath Flask (learning.heartbeat_path, app.viewer_pages): its body,
    and its headers with the body's length added; a werkzeug Response and its header list cost a tenth of a
    heartbeat's request thread and two fifths of a kept page's CPU once its body was made."""

    def __init__(self, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.body, self.headers = body, headers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [*self.headers, ("Content-Length", str(len(self.body)))])
        return [self.body]
