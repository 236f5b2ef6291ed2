"""Signed-in pages answered beneath Flask (issue 20): a list page, a menu section, search results or the
province's union catalogs (各级工会目录) show a signed-in worker nothing of their own but the layout's few pieces
(`data-user`, and the top bar's bell and name: `viewer_nav`); the rest is the same for every viewer
(app/sharedparts.py, app/layout_frame.py). Once Flask has rendered such a page for one signed-in worker, the
page is kept cut around those pieces, and each viewer's pieces are kept too; another request for the same
address, language and static files is then answered here, without Flask's request context, hooks or templates
(the address is matched against the URL map alone): the kept page with this viewer's pieces put back,
compressed as Flask-Compress compresses it, with the headers Flask sent, the session cookie saved as the
session interface saves it. An empty signed-in page through Flask already cost 0.31x the bare route
(bench/README.md, "The floor under a signed-in page"). 我的学习 shows the learner their own courses besides: it is
kept for that learner alone, under their change token (`answerable`'s `person`), and answered here when opened
again with nothing of theirs changed (the app reopened, back from the catalog). A resource's page is the same for
every viewer with the same rights on it but for the enrol box (`answerable`'s `own`): kept for all of them, under
that resource's own generation, with the box the learner's own piece, which its template keeps and notes.

Never staler than Flask's own page: the page is kept in the shared parts' store (any change to the catalog drops it,
as it drops the parts it shows), under the search index's version for search results; a viewer's pieces are kept
with the signed-in users (a login, a logout, a new name or role drops them, as it drops the kept user) under the
bell's count. Answered here only when every hook Flask would run is done here or would do nothing (`DONE_HERE`);
anything else goes to Flask, untouched: another method, no session or user, a flashed message or remember-me cookie
to handle, an unread message about this page (opening it reads it), a NUL in the query, a byte range, a person with
a desk (its count is not kept), another address or User-Agent than the viewer's pieces were made for (the session
protection's identifier), a form token outside the viewer's own pieces, an app whose hooks are not the ones done
here, or anything not yet kept.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from flask import Flask, g, has_request_context, request, session
from flask_compress.flask_compress import _choose_algorithm, _compress_data
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from app import logs
from app.accounts.views import session_user_in
from app.assets import fingerprints
from app.i18n import locale_code, locale_name
from app.lean_paths import PlainAnswer, starts_worker
from app.observability import metrics
from app.sharedparts import MISSING, SharedParts, Stamp

StartResponse = Callable[..., Any]
_Html = TypeVar("_Html", bound=str)
WSGI = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
LEARN = "qiuxue.viewer_pages.learn"  # in the environ: this request's page may be kept (`_Learning`)
ENDPOINTS = "viewer_pages.endpoints"  # in app.extensions
CUT = "qiuxue.viewer_pages.cut"  # in the environ: the page cut around the viewer's pieces (`cut`)
NOT_KEPT = ("content-length", "x-request-id", "set-cookie")  # made per answer (and Date's value)
# The app-wide hooks (module, name) Flask runs for these pages, each done here or doing nothing for them: request ids
# and metrics (done here); JSON bodies, CSRF and the recruitment code (GET by a signed-in person: nothing); NUL in the
# query (passed to Flask when it may hold one); the anonymous page cache; the lesson redirect (another endpoint); the
# embedded worker's start (waited for); the rate limiter (only for endpoints it counts, which are passed to Flask);
# Flask-Login's remember cookie (passed when the session asks for one); security headers, Cache-Control and
# compression (the headers Flask sent, the body compressed alike); opening a page reads its message (passed when the
# person has one unread about it); this module's own hook. Any other hook keeps every page on Flask's path.
DONE_HERE = frozenset({
    ("app.request_input", "refuse_json_outside_api"),
    ("app.logs", "init_app.<locals>.bind_request_id"), ("app.logs", "init_app.<locals>.send_request_id"),
    ("app.logs", "init_app.<locals>.unbind_request_id"),
    ("app.observability.metrics", "init_app.<locals>.start_timer"),
    ("app.observability.metrics", "init_app.<locals>.count_request"),
    ("flask_wtf.csrf", "CSRFProtect.init_app.<locals>.csrf_protect"),
    ("app.security", "init_app.<locals>.refuse_nul_characters"),
    ("app.security", "init_app.<locals>.security_headers"),
    ("app.pagecache", "init_app.<locals>.serve_cached"), ("app.pagecache", "init_app.<locals>.store"),
    ("learning.views", "study_page_for_learners"),
    ("programme.admissions.views", "_remember_via"),
    ("app.jobs", "_start_with_first_request.<locals>.start_worker"),
    ("app.limits", "_skip_hooks.<locals>.passing.<locals>.unless_lean"),
    ("flask_login.login_manager", "LoginManager._update_remember_cookie"),
    ("app.assets", "init_app.<locals>.light"),
    ("app.notifications", "init_app.<locals>.read_on_opening"),
    (__name__, "init_app.<locals>.cut"),
})


class Page(NamedTuple):
    """A page kept cut around the viewer's pieces: `parts[0]` + ` data-user="<id>"` + `parts[1]` + the viewer's top
    bar + `parts[2]` + the endpoint's own pieces (`Own.pieces`) each followed by the next part; the headers Flask
    sent it with, per content encoding chosen (filled as they are seen)."""
    parts: tuple[str, ...]
    headers: dict[str, tuple[tuple[str, str], ...]]

    def made(self, fills: tuple[str, ...]) -> str:
        """The page with `fills` (the data-user attribute, the top bar, the pieces) put back between its parts."""
        return "".join(text for pair in zip(self.parts, (*fills, ""), strict=True) for text in pair)


class Nav(NamedTuple):
    """A viewer's top bar as Flask rendered it, and the client it was rendered for (remote address, X-Forwarded-For,
    User-Agent: what Flask-Login's session protection compares)."""
    html: str
    client: tuple[str, str, str]


class Viewer(NamedTuple):
    """What an endpoint's `own` finds the viewer's part of a page from, beneath Flask (in an app context)."""
    user_id: int
    rest: str  # "<session version>:<session id>", from the signed cookie
    session: Any  # the opened session (its CSRF value)
    args: Mapping[str, Any]  # the URL's variables
    locale: str  # what str(get_locale()) says in Flask's request context
    root: str  # SCRIPT_NAME
    host_url: str  # as request.host_url says it
    generation: Hashable  # what the shared parts are made under now (for `Answerable.scope`'s resource, if any)


class Own(NamedTuple):
    """What of a page is the viewer's own, beneath Flask (`Answerable.own`): `key`, what else the page is made from
    (the viewer's rights on it, say), or None while it is not kept (`own` is asked again once Flask has made the
    page, which keeps it); `pieces`, the viewer's pieces of it as Flask rendered and noted them (`note_piece`), in
    page order, or None when one is not kept (Flask renders the page, keeping them)."""
    key: Hashable | None
    pieces: tuple[str, ...] | None


class _Learning(NamedTuple):
    """What a request passed to Flask needs for its page to be kept: the stores' stamps taken before Flask made it."""
    who: tuple[int, str]
    page_key: tuple[Any, ...]
    nav_key: tuple[Any, ...]  # without the bell's count, known once rendered
    store: SharedParts  # where the page is kept: the shared parts, or one learner's pages
    chosen: str  # the content encoding Flask-Compress chooses for this request ("identity": none)
    pages: Stamp
    users: Stamp
    # the endpoint's `own` asked again once Flask has made the page, when the viewer's part was not kept before
    # (Flask's view keeps it): the page's key ends with its key
    again: Callable[[], Own | None] | None


class ViewerPages:
    """WSGI middleware in front of Flask's own app (inside app.proxy's, which fixes the address and scheme first)."""

    def __init__(self, app: Flask, wsgi: WSGI) -> None:
        self.app, self.wsgi = app, wsgi
        self.enabled = True
        self.answered = self.passed = 0  # pages of these endpoints answered here, and passed to Flask
        self.endpoints: dict[str, Answerable] = app.extensions.setdefault(ENDPOINTS, {})  # `answerable`
        self._shape: tuple[Any, ...] = ()
        self._usable = self._worker = False  # the hooks are the ones done here; the embedded worker starts
        # the endpoints' addresses: those without a variable part, and where the others start
        self._paths: frozenset[str] = frozenset()
        self._prefixes: tuple[str, ...] = ()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        matched = self._endpoint(environ)
        if matched is None:
            return self.wsgi(environ, start_response)
        started = time.perf_counter()
        with self.app.app_context():
            answer = self._answer(environ, *matched, started)
        if answer is None:
            return self.wsgi(environ, start_response)
        if isinstance(answer, _Learning):
            self.passed += 1
            environ[LEARN] = answer
            return self.wsgi(environ, self._learner(environ, start_response))
        self.answered += 1
        return answer(environ, start_response)  # type: ignore[no-any-return]

    def _endpoint(self, environ: dict[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
        """The endpoint of a signed-in GET this layer may answer and the URL's variables, or None: Flask answers,
        nothing kept."""
        query, path = environ.get("QUERY_STRING", ""), environ.get("PATH_INFO", "")
        if (environ.get("REQUEST_METHOD") != "GET" or not self.enabled or "HTTP_RANGE" in environ
                or self.app.config["SESSION_COOKIE_NAME"] not in environ.get("HTTP_COOKIE", "")
                or not self._ready() or not (path in self._paths or path.startswith(self._prefixes))
                or "%00" in query or "\x00" in query):
            return None
        try:
            endpoint, args = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not found, another method, a redirect: Flask answers
            return None
        return (endpoint, args) if endpoint in self.endpoints else None

    def _answer(self, environ: dict[str, Any], endpoint: str, args: Mapping[str, Any], started: float) -> Any:
        """The response; or what keeping Flask's page needs (`_Learning`); or None: Flask answers, nothing kept."""
        app = self.app
        req = app.request_class(environ)
        opened = app.session_interface.open_session(app, req)
        who = None if opened is None else session_user_in(opened)
        if opened is None or who is None or "_flashes" in opened or "_remember" in opened:
            return None
        locale, root, static = locale_code(req.cookies), environ.get("SCRIPT_NAME", ""), fingerprints().version_now()
        found = self.endpoints[endpoint]
        mine = None if found.person is None else found.person(who[0])
        if found.person is not None and mine is None:
            return None  # the viewer's own part cannot be kept (PostgreSQL: no change tokens)
        parts: SharedParts = app.extensions["shared_parts" if found.person is None else "person_pages"]
        users: SharedParts = app.extensions["signed_in_users"]
        pages = parts.stamp(None if found.scope is None else args[found.scope])
        own, again = None, None
        if found.own is not None:
            viewer = Viewer(*who, opened, args, locale_name(locale), root, req.host_url, pages.generation)
            own = found.own(viewer)
            if own is None:
                return None  # the viewer's part is never kept (PostgreSQL: no change tokens): Flask, nothing kept
            again = functools.partial(found.own, viewer) if own.key is None else None
        page_key = ("viewer-page", environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), root,
                    environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), locale, static,
                    None if found.version is None else found.version(),
                    None if found.person is None else (who[0], mine), None if own is None else own.key)
        nav_key = ("viewer-nav", *who, locale, static, root)
        chosen = _choose_algorithm(app.extensions["compress"].enabled_algorithms,
                                   environ.get("HTTP_ACCEPT_ENCODING", "")) or "identity"
        learning = _Learning(who, page_key, nav_key, parts, chosen, pages, users.stamp(), again)
        pieces = () if own is None else own.pieces
        page = MISSING if again is not None else parts.peek(page_key, stamp=learning.pages)
        unread = app.extensions["notification_counts"].peek(("unread", who[0]))
        if page is MISSING or unread is MISSING:
            return learning
        headers = page.headers.get(chosen)
        nav = users.peek((*nav_key, sum(unread.values())), stamp=learning.users)
        if (nav is MISSING or headers is None or nav.client != _client(environ) or pieces is None
                or len(pieces) + 3 != len(page.parts)):
            return learning
        if req.path in unread:
            return None  # opening the page reads its message: Flask's hook does
        body = page.made((f' data-user="{who[0]}"', nav.html, *pieces)).encode()
        if any(name == "Content-Encoding" for name, _value in headers):
            body = _compress_data(app, body, chosen)
        sent = [*((name, http_date() if name == "Date" else value) for name, value in headers),  # Flask-Compress'
                (logs.HEADER, logs.request_id_from(environ.get("HTTP_X_REQUEST_ID")))]
        metrics.count(endpoint, "GET", 200, started)
        if found.answered is not None:
            found.answered(args)
        if opened.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]:
            # the cookie sent again, as the session interface writes it on Flask's answer
            response = app.response_class(body, headers=sent)
            opened.accessed = True  # read, as through Flask's request context (the answer varies by cookie)
            app.session_interface.save_session(app, opened, response)
            return response
        return PlainAnswer(body, sent)  # no cookie to send (Flask's Vary: Cookie is among the headers kept)

    def _learner(self, environ: dict[str, Any], start_response: StartResponse) -> StartResponse:
        """start_response, keeping the page Flask cut (`cut`) with the headers it is sent with, when nothing but the
        session cookie was set and the session not changed (called inside Flask's request context)."""

        def learn(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            cut_page, learning = environ.get(CUT), environ.get(LEARN)
            cookies = [value for name, value in headers if name.lower() == "set-cookie"]
            if (cut_page is not None and learning is not None and status.startswith("200 ") and has_request_context()
                    and not session.modified and len(cookies) <= 1
                    and all(c.startswith(self.app.config["SESSION_COOKIE_NAME"] + "=") for c in cookies)):
                self._keep(environ, learning, cut_page, headers)
            return start_response(status, headers, exc_info)

        return learn

    def _keep(self, environ: dict[str, Any], learning: _Learning, cut_page: tuple[Any, ...],
              headers: list[tuple[str, str]]) -> None:
        page_parts, nav, bell = cut_page
        app, page_key = self.app, learning.page_key
        if learning.again is not None:  # the viewer's part as Flask's view kept it, under the stamps taken before
            own = learning.again()
            if own is None or own.key is None:
                return
            page_key = (*page_key[:-1], own.key)
        kept = learning.store.peek(page_key, stamp=learning.pages)
        if kept is MISSING:
            kept = Page(page_parts, {})
            learning.store.keep(page_key, kept, learning.pages)
        # a dict of the kept page: one more encoding, never another value for one
        kept.headers[learning.chosen] = tuple((name, value) for name, value in headers if name.lower() not in NOT_KEPT)
        app.extensions["signed_in_users"].keep((*learning.nav_key, bell), Nav(nav, _client(environ)),
                                               learning.users)

    def _ready(self) -> bool:
        """Whether the app's hooks are the ones done here (checked again whenever a hook list or the endpoints
        change), and the embedded worker has started."""
        app = self.app
        lists = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
                 app.url_value_preprocessors)
        shape = (*(len(funcs) for hooks in lists for funcs in hooks.values()), *self.endpoints)
        if shape != self._shape:
            self._shape, self._usable = shape, self._check()
            rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint in self.endpoints]
            self._paths = frozenset(rule for rule in rules if "<" not in rule)  # a lesson's /learning/... is not
            self._prefixes = tuple(rule.partition("<")[0] for rule in rules if "<" in rule)
            self._worker = starts_worker(app)
        return (self._usable and (not self._worker or "worker" in app.extensions)
                and app.config["TRUSTED_HOSTS"] is None and app.config["SERVER_NAME"] is None)

    def _check(self) -> bool:
        app = self.app
        blueprints = {endpoint.partition(".")[0] for endpoint in self.endpoints}
        registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
        counted = app.extensions.get("qiuxue_counted")
        return (all((hook.__module__, hook.__qualname__) in DONE_HERE
                    for funcs in registries for hook in funcs.get(None, ()))
                and not any(funcs.get(name) for name in blueprints for funcs in (*registries,
                                                                                app.url_value_preprocessors))
                and not app.url_value_preprocessors.get(None)
                # the limiter's hooks pass over these endpoints only when limits are not applied to every view
                and counted is not None and not any(endpoint in counted for endpoint in self.endpoints)
                and not app.url_map.host_matching and not app.subdomain_matching)


def _client(environ: dict[str, Any]) -> tuple[str, str, str]:
    """What Flask-Login's session protection makes its identifier from, as the request says it."""
    return (environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""),
            environ.get("HTTP_USER_AGENT", ""))


class Answerable(NamedTuple):
    """What else than the catalog an endpoint's page is made from, and what answering it does (`answerable`)."""
    version: Callable[[], Hashable] | None
    person: Callable[[int], Hashable | None] | None
    own: Callable[[Viewer], Own | None] | None
    scope: str | None
    answered: Callable[[Mapping[str, Any]], None] | None


def answerable(app: Flask, endpoint: str, version: Callable[[], Hashable] | None = None,
               person: Callable[[int], Hashable | None] | None = None,
               own: Callable[[Viewer], Own | None] | None = None, scope: str | None = None,
               answered: Callable[[Mapping[str, Any]], None] | None = None) -> None:
    """Let the pages of `endpoint` be answered beneath Flask once kept: pages that show a signed-in viewer nothing of
    their own outside `viewer_nav`, or with `person`, only their own part made from what `person(user id)` names
    (None: not kept), each viewer's page then kept for them alone with the learners' pages (app/person_tokens.py),
    or with `own`, pieces of their own kept apart (`Own`), the rest kept for every viewer `Own.key` names alike.
    `version`: what else the page is made from that a catalog change does not move (search results: the index).
    `scope`: the URL variable naming the one resource the page shows (a change to another's rows keeps the page).
    `answered(URL variables)`: what Flask's view does besides rendering (a view counted). Each is called in an
    app context."""
    app.extensions.setdefault(ENDPOINTS, {})[endpoint] = Answerable(version, person, own, scope, answered)


def note_piece(html: _Html) -> _Html:
    """A viewer's own piece of the page being rendered (`Own.pieces`), noted for `cut` in page order."""
    if has_request_context():
        g.setdefault("viewer_pieces", []).append(str(html))
    return html


def init_app(app: Flask) -> None:
    """After every hook that must run before `cut` (compression above all: after-request hooks run last first), and
    after the rate limits (app.limits), whose endpoints it reads."""
    layer = ViewerPages(app, app.wsgi_app)
    app.extensions["viewer_pages"] = layer
    token_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    @app.template_global()
    def viewer_nav(html: Markup, waiting: int | None, unread: int) -> Markup:
        """base.html's top-bar pieces of a signed-in viewer (their desk with its count, the bell with its count,
        their name), noted for `cut` with the counts they show."""
        g.viewer_nav = html, waiting, unread
        return html

    @app.after_request
    def cut(response: Any) -> Any:
        """The page Flask made, cut around the viewer's pieces, for `ViewerPages` to keep once sent: not when the
        page holds a desk's count (not kept) or a CSRF token (the session's own) outside the noted pieces, whose
        keys hold it."""
        learning: _Learning | None = request.environ.get(LEARN)
        noted = g.get("viewer_nav")
        if (learning is None or noted is None or noted[1] is not None
                or request.endpoint not in layer.endpoints or response.status_code != 200
                or response.direct_passthrough or response.mimetype != "text/html"
                or "Content-Encoding" in response.headers):
            return response
        text, nav, user = response.get_data(as_text=True), str(noted[0]), f' data-user="{learning.who[0]}"'
        if text.count(f"<body{user}>") != 1:
            return response
        page_parts, start = [], 0
        for fill in (user, nav, *g.get("viewer_pieces", ())):
            place = text.find(fill, start)
            if place < 0 or text.count(fill) != 1:
                return response
            page_parts.append(text[start:place])
            start = place + len(fill)
        page_parts.append(text[start:])
        token = g.get(token_name)
        if token is not None and any(token in part for part in (*page_parts, nav)):
            return response
        request.environ[CUT] = (tuple(page_parts), nav, noted[2])
        return response

    app.wsgi_app = layer  # type: ignore[method-assign]
