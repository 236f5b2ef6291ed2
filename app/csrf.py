"""Flask-WTF's CSRF protection with each signed token's signature checked once per process.

The player sends the same X-CSRFToken with every progress heartbeat; checking it (building a signer, base64, HMAC)
and looking for it among form fields of a JSON body first (which parses the body as a form) was the largest part
of a heartbeat's request hooks. The rule is unchanged: every POST, PUT, PATCH and DELETE must carry a token
signed with our keys whose value is the one in this request's own session (compared on every request), not
older than WTF_CSRF_TIME_LIMIT, and over HTTPS the same-origin Referer check is made as before. Only the
signature check of a token string already verified with the same keys is taken from memory."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from typing import Any

from flask import current_app, g, request, session
from flask_wtf import CSRFProtect
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError

logger = logging.getLogger("flask_wtf.csrf")  # where Flask-WTF logs a refusal
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
VERIFIED_TOKENS = 4096  # signed tokens whose signature was checked, kept per process (under a megabyte)


class VerifiedCSRF(CSRFProtect):
    """CSRFProtect, its token check remembering verified signatures (see the module's docstring)."""

    def __init__(self, app: Any = None) -> None:
        self._signing: tuple[Any, URLSafeTimedSerializer] | None = None  # (key, its signer)
        self._verified: dict[str, tuple[str, int, Any]] = {}  # signed token -> (value, signed at (epoch s), key)
        self._lock = threading.Lock()
        super().__init__(app)

    def _get_csrf_token(self) -> str | None:
        """As Flask-WTF's, but a body that is not a form is not parsed as one: it has no form fields."""
        if request.mimetype in FORM_TYPES:
            return super()._get_csrf_token()
        for header_name in current_app.config["WTF_CSRF_HEADERS"]:
            token = request.headers.get(header_name)
            if token:
                return token
        return None

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's `protect`, with `_check` in place of its `validate_csrf`."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        config = current_app.config
        if request.method not in config["WTF_CSRF_METHODS"]:
            return
        try:
            self._check(self._get_csrf_token())
        except ValidationError as err:
            logger.info(err.args[0])
            self._error_response(err.args[0])
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True

    def _check(self, token: str | None) -> None:
        """Flask-WTF's `validate_csrf` for this app's keys: the token's value must be this session's."""
        config = current_app.config
        field = config["WTF_CSRF_FIELD_NAME"]
        if not token:
            raise ValidationError("The CSRF token is missing.")
        if field not in session:
            raise ValidationError("The CSRF session token is missing.")
        value = self._value(token, config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key),
                            config.get("WTF_CSRF_TIME_LIMIT", 3600))
        if not hmac.compare_digest(session[field], value):
            raise ValidationError("The CSRF tokens do not match.")

    def _value(self, token: str, key: Any, time_limit: int | None) -> str:
        """The value a signed token carries, its signature checked once per process and key; its age every time.
        Each kept token names the key it was verified with, so a token of a retired key is checked again (and
        refused) even if a request verified it while the key changed."""
        if key is None:
            raise RuntimeError("A secret key is required to use CSRF.")  # as Flask-WTF says it
        signing = self._signing
        if signing is None or signing[0] != key:
            signing = self._signing = (key, URLSafeTimedSerializer(key, salt="wtf-csrf-token"))  # one assignment
        known = self._verified.get(token)
        if known is not None and known[2] == key:
            age = int(time.time()) - known[1]  # as itsdangerous counts it: whole seconds, never negative
            if time_limit is not None and (age > time_limit or age < 0):
                raise ValidationError("The CSRF token has expired.")
            return known[0]
        try:
            value, signed_at = signing[1].loads(token, max_age=time_limit, return_timestamp=True)
        except SignatureExpired as err:
            raise ValidationError("The CSRF token has expired.") from err
        except BadData as err:
            raise ValidationError("The CSRF token is invalid.") from err
        if not isinstance(value, str):
            raise ValidationError("The CSRF token is invalid.")
        with self._lock:
            if len(self._verified) >= VERIFIED_TOKENS:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = (value, int(signed_at.timestamp()), key)
        return value
