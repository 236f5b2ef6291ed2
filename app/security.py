"""Security headers on every response, the session cookie's signer, and the one check for where `next=` may send
people."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.csrf_tokens import FORM_TYPES
from app.errors import Invalid
from app.lean_paths import every_request

# No inline script and nothing from another host: every script, style, font and image is ours.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "strict-origin-when-cross-origin"), ("X-Frame-Options", "DENY"),
           # geolocation for this site only: the service points' map list asks where the phone is (network.js)
           ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"))
HSTS = ("Strict-Transport-Security", "max-age=31536000")


VERIFIED_COOKIES = 4096  # session cookies whose signature was checked, kept per process (a few MB at most)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the signer built once per set of keys rather than on every request
    (building one also serialises a test value), and each cookie's signature checked once: a player sends the
    same cookie with every heartbeat, and checking it (base64, zlib, HMAC, tagged JSON) was a tenth of a
    heartbeat's CPU. The cookie string itself is the key, so only that exact signed string, already verified
    with the same keys, is taken from memory; its age is checked against the session lifetime on every request,
    as the signer does, and each request gets its own copy of the data."""

    _signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] = ((), None)

    def __init__(self) -> None:
        self._verified: dict[str, tuple[dict[str, Any], float]] = {}  # cookie -> (data, signed at, epoch s)
        self._verified_lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer[0] != keys:
            with self._verified_lock:
                self._verified.clear()  # verified with other keys
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = self._verified.get(cookie)
        if known is not None and 0 <= time.time() - known[1] <= max_age:
            return self.session_class(_copied(known[0]))
        try:
            data, signed_at = signer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:  # and SignatureExpired
            return self.session_class()
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_COOKIES:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[cookie] = (_copied(data), signed_at.timestamp())
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, which writes no cookie unless the session changed or is refreshed on every request; that case
        (every heartbeat) is answered here without first reading seven cookie settings."""
        if not session.modified and not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def _copied(value: Any) -> Any:
    """A copy of session data deep enough that a request's changes never reach the kept one: what the tagged JSON
    of a session cookie holds is dicts, lists and tuples of immutable values (strings, numbers, bytes, datetimes,
    UUIDs, Markup), so only those are copied; copy.deepcopy also looks up every value's type and keeps a memo."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative `//host`, no backslashes."""
    fallback = fallback or url_for("main.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def response_headers(config: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The security headers every response carries (unless the view set its own)."""
    return (*HEADERS, HSTS) if config["HTTPS"] else HEADERS


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in v for v in values)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    headers = response_headers(app.config)

    @app.before_request
    def refuse_nul_characters() -> None:
        """NUL has no place in text and PostgreSQL cannot store it: refuse it up front, clearly."""
        # the query is parsed only when its text could hold a NUL: parsing it (percent-decoding a Chinese search,
        # say) on every page cost more than the rest of this hook
        query = request.query_string
        if ((b"%00" in query or b"\x00" in query) and _has_nul(request.args.values())) or (
                request.method == "POST" and request.mimetype in FORM_TYPES and _has_nul(request.form.values())):
            raise Invalid(_("输入内容含有无效字符，请删除后重试。"), code="invalid_characters")

    @app.after_request
    @every_request
    def security_headers(response: Response) -> Response:
        """Each header unless the view set its own; one look at the response's headers, not one per header."""
        present = {key.lower() for key, _value in response.headers.items()}
        response.headers.extend([(key, value) for key, value in headers if key.lower() not in present])
        return response
