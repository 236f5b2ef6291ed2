"""Security headers on every response, and the one check for where `next=` may send people."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request, url_for
from flask_babel import gettext as _

from app.errors import Invalid

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# No inline script and nothing from another host: every script, style, font and image is ours.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative `//host`, no backslashes."""
    fallback = fallback or url_for("main.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def _has_nul(values) -> bool:
    return any("\x00" in v for v in values)


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """NUL has no place in text and PostgreSQL cannot store it: refuse it up front, clearly."""
        if _has_nul(request.args.values()) or (request.method == "POST" and request.mimetype in FORM_TYPES
                                               and _has_nul(request.form.values())):
            raise Invalid(_("输入内容含有无效字符，请删除后重试。"), code="invalid_characters")

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
