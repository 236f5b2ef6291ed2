"""Security headers on every response, the session cookie's signer, and the one check for where `next=` may send
people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from itsdangerous import URLSafeTimedSerializer

from app.errors import Invalid

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# No inline script and nothing from another host: every script, style, font and image is ours.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "strict-origin-when-cross-origin"), ("X-Frame-Options", "DENY"),
           ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
HSTS = ("Strict-Transport-Security", "max-age=31536000")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, with the signer built once per set of keys rather than on every request
    (building one also serialises a test value)."""

    _signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] = ((), None)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative `//host`, no backslashes."""
    fallback = fallback or url_for("main.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _has_nul(values: Iterable[str]) -> bool:
    return any("\x00" in v for v in values)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    headers = (*HEADERS, HSTS) if app.config["HTTPS"] else HEADERS

    @app.before_request
    def refuse_nul_characters() -> None:
        """NUL has no place in text and PostgreSQL cannot store it: refuse it up front, clearly."""
        if _has_nul(request.args.values()) or (request.method == "POST" and request.mimetype in FORM_TYPES
                                               and _has_nul(request.form.values())):
            raise Invalid(_("输入内容含有无效字符，请删除后重试。"), code="invalid_characters")

    @app.after_request
    def security_headers(response: Response) -> Response:
        """Each header unless the view set its own; one look at the response's headers, not one per header."""
        present = {key.lower() for key, _value in response.headers.items()}
        response.headers.extend([(key, value) for key, value in headers if key.lower() not in present])
        return response
