"""The progress heartbeat's own WSGI path, beneath Flask: a signed-in player's POST /api/v1/progress (one per learner
every 15 s, the site's hottest request) answered without Flask's request context, URL matching and hook runners,
about half of a heartbeat's request-thread CPU.

It runs the same checks, with the app's own parts, in the lean path's order (app.lean_paths): the session cookie
opened by the app's session interface; CSRF by Flask-WTF's rules, each token's signature verified once per process
(app.csrf_tokens); the learner's rate limit (app.limits); then `learning.api.record`, the view's own call of
the heartbeat service (account active, session not logged out, enrolment, the clock's compare-and-set, forged or too
many seconds). The answer gets what the lean path's hooks add: request id (also in the log context), metrics,
security headers, the session cookie as the session interface saves it.

Anything unusual is passed to Flask untouched (its body given back) before this path has counted or written anything:
another method or path, no session or user in it, a token Flask-WTF would refuse, a body that is not small JSON or
that the parser refuses, a worker not yet started, an app whose lean-path hooks are not the ones done here. An error
met afterwards (a refusal, the rate limit, a locked database) is handed to Flask too, which raises it before the
view (learning.api.answer_from_heartbeat_path), so it is answered as the view's would be, and counted once.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from app import logs
from app.accounts.views import session_user_in
from app.extensions import csrf
from app.i18n import locale_code, speaking
from app.lean_paths import EVERY_REQUEST, PlainAnswer, starts_worker
from app.limits import by_learner, learner_key
from app.observability import metrics
from app.security import response_headers
from app.text import is_digits
from learning import api, heartbeats

ENDPOINT, PATH = "learning_api.progress", "/api/v1/progress"
MAX_BODY = 64 * 1024  # a heartbeat is a few hundred bytes; a larger body goes to Flask, which has its own limit
# The app-wide hooks the lean path runs for a heartbeat (module, name), each done here. Another hook marked
# every_request sends every heartbeat through Flask until it is done here as well.
DONE_HERE = frozenset({
    ("app.logs", "init_app.<locals>.bind_request_id"), ("app.logs", "init_app.<locals>.send_request_id"),
    ("app.logs", "init_app.<locals>.unbind_request_id"),
    ("app.observability.metrics", "init_app.<locals>.start_timer"),
    ("app.observability.metrics", "init_app.<locals>.count_request"),
    ("flask_wtf.csrf", "CSRFProtect.init_app.<locals>.csrf_protect"),
    ("app.security", "init_app.<locals>.security_headers"),
    ("app.jobs", "_start_with_first_request.<locals>.start_worker"),  # this path waits for the worker's start
})
StartResponse = Callable[..., Any]


class HeartbeatPath:
    """WSGI middleware in front of Flask's own app (inside app.proxy's, which fixes the address and scheme first)."""

    def __init__(self, app: Flask, wsgi: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app, self.wsgi = app, wsgi
        self.answered = self.passed = self.handed = 0  # heartbeats answered here, passed to Flask, errors handed
        self._shape: tuple[Any, ...] = ()
        self._usable = self._worker = False  # the lean path's hooks are done here; the embedded worker starts

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi(environ, start_response)
        started = time.perf_counter()
        length = environ.get("CONTENT_LENGTH") or ""
        if not self._ready() or not is_digits(length) or int(length) > MAX_BODY or "HTTP_TRANSFER_ENCODING" in environ:
            return self._pass(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, should it answer after all
        if len(body) == int(length):
            with self.app.app_context():
                answer = self._answer(self.app.request_class(environ), body, started)
            if answer is not None and not isinstance(answer, Exception):
                self.answered += 1
                return answer(environ, start_response)  # type: ignore[no-any-return]
            if answer is not None:
                self.handed += 1
                environ[api.ANSWER_ERROR] = answer
                return self.wsgi(environ, start_response)
        return self._pass(environ, start_response)

    def _pass(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.passed += 1
        return self.wsgi(environ, start_response)

    def _answer(self, req: Any, body: bytes, started: float) -> Any:
        """The response, an error for Flask to answer, or None: Flask answers it from the start."""
        app = self.app
        session = app.session_interface.open_session(app, req)
        if session is None:
            return None
        session.accessed = True  # read, as through Flask's request context (the answer then varies by cookie)
        who = session_user_in(session)
        if who is None or not req.is_json or not csrf.passes_again(req, session):
            return None
        try:
            beat = heartbeats.parse(app.json.loads(body))  # the view's get_json: the app's JSON provider
        except Exception:  # noqa: BLE001 - refused or unparsable: Flask answers it, from the start
            return None
        limit = app.extensions["qiuxue_counted"][ENDPOINT]
        request_id = logs.request_id_from(req.headers.get(logs.HEADER))
        locale = locale_code(req.cookies)
        try:
            with logs.bound(request_id=request_id), speaking(locale):
                if limit.applies(req.method):
                    limit.hit(learner_key(who[0]))
                text = api.record(who[0], who[1], beat, locale)
        except Exception as err:  # noqa: BLE001 - answered by Flask's error handlers, as the view's
            return err
        metrics.count(ENDPOINT, "POST", 200, started)
        headers = [("Cache-Control", "no-store"), (logs.HEADER, request_id), *response_headers(app.config)]
        if session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            # a cookie to send: the session interface writes it on a Response, as Flask's would
            response = app.response_class(text, mimetype="application/json")
            response.headers.extend(headers)
            app.session_interface.save_session(app, session, response)
            return response
        # as Flask's answer, the session interface's Vary included (the cookie was read, not changed), without a
        # werkzeug Response and its header list: a tenth of a heartbeat's request-thread time
        return PlainAnswer(text.encode(), [("Content-Type", "application/json"), *headers, ("Vary", "Cookie")])

    def _ready(self) -> bool:
        """Whether the lean path's hooks are the ones done here (checked again whenever a hook list grows), and the
        worker has started."""
        app = self.app
        lists = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
                 app.url_value_preprocessors)
        shape = tuple(len(hooks.get(name, ())) for hooks in lists for name in (None, "learning_api"))
        if shape != self._shape:
            self._shape, self._usable = shape, self._check()
            self._worker = starts_worker(app)
        return self._usable and (not self._worker or "worker" in app.extensions) and \
            app.config["TRUSTED_HOSTS"] is None

    def _check(self) -> bool:
        app = self.app
        hooks = (hook for funcs in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
                 for hook in funcs.get(None, ()) if getattr(hook, EVERY_REQUEST, False))
        view = app.view_functions.get(ENDPOINT)
        return (all((hook.__module__, hook.__qualname__) in DONE_HERE for hook in hooks)
                and app.before_request_funcs.get("learning_api") == [api.answer_from_heartbeat_path]
                and not any(funcs.get("learning_api") for funcs in (app.after_request_funcs,
                                                                     app.teardown_request_funcs))
                and not app.url_value_preprocessors.get(None) and not app.url_value_preprocessors.get("learning_api")
                and ENDPOINT in app.extensions.get("lean_endpoints", ())
                and ENDPOINT in app.extensions.get("qiuxue_counted", {})
                and app.extensions["qiuxue_counted"][ENDPOINT].limit.key is by_learner  # whom `_answer` counts
                and getattr(view, "__wrapped__", None) is api.progress
                and not app.url_map.host_matching
                and not app.subdomain_matching)


def init_app(app: Flask) -> None:
    app.wsgi_app = HeartbeatPath(app, app.wsgi_app)  # type: ignore[method-assign]
