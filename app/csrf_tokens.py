"""CSRF protection (Flask-WTF's) with each signed token's signature checked once per process: the signature check
(itsdangerous derives the key and computes an HMAC) was about a sixth of a progress heartbeat's request thread, and a
page's token is sent again with every heartbeat and form of that session.

The rules are Flask-WTF's own, checked on every request in its order and with its messages: the token must be
present, the session must hold its value, the token must be signed with the current key (WTF_CSRF_SECRET_KEY or
SECRET_KEY) and salt, not older than WTF_CSRF_TIME_LIMIT, and carry this session's value; over HTTPS the referrer
must be this host. Only a good signature is remembered (keyed by the key and the token, with the time it was
signed), so a changed key, an expired or altered token, or another session's token is refused as before."""

from __future__ import annotations

import hmac
import threading
import time
from typing import Any, TypeVar, cast

from flask import current_app, g, request, session
from flask_wtf.csrf import (
    CSRFProtect,
    _get_config,
    csrf_meta_tag,
    generate_csrf,
    logger,
    same_origin,
    validate_csrf,
)
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

from app.lean_paths import every_request

SIGNED_TOKENS = 4096  # remembered signatures; past it the oldest is forgotten (and checked again if it returns)
# A page's token is one signed for the session's value at most this long ago (a sixtieth of WTF_CSRF_TIME_LIMIT when
# that is shorter; any age when tokens never expire, the default): so a token expires this much sooner at most.
REUSE_SECONDS = 60
SALT = "wtf-csrf-token"  # Flask-WTF's
_View = TypeVar("_View")  # a view function or a blueprint
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")  # bodies Werkzeug parses as a form


class CheckedOnceCSRF(CSRFProtect):  # type: ignore[misc]  # Flask-WTF ships no types
    """Flask-WTF's CSRFProtect, its `protect` (the before-request hook's check) verifying each token's signature
    once. The hook itself also runs on lean paths (app.lean_paths), as every POST needs it."""

    def __init__(self) -> None:
        super().__init__()
        self._signed: dict[tuple[Any, str], tuple[Any, int]] = {}
        self._issued: dict[tuple[Any, str], tuple[str, float]] = {}  # (key, session value) -> (token, signed at)
        self._lock = threading.Lock()

    def init_app(self, app: Any) -> None:
        super().init_app(app)
        hook = app.before_request_funcs[None][-1]
        assert hook.__name__ == "csrf_protect", hook  # Flask-WTF's hook, registered just above
        every_request(hook)
        # the templates' csrf_token() is `token`, in place of Flask-WTF's generate_csrf (a global and a context
        # processor, registered just above)
        app.jinja_env.globals["csrf_token"] = self.token
        processors = app.template_context_processors[None]
        assert processors[-1]().get("csrf_token") is generate_csrf, processors[-1]
        processors[-1] = lambda: {"csrf_token": self.token, "csrf_meta_tag": csrf_meta_tag}

    def token(self) -> str:
        """Flask-WTF's generate_csrf (the templates' `csrf_token()`), handing out again a token it signed for this
        session's value and key within REUSE_SECONDS instead of signing one on every page (itsdangerous derives the
        key and computes an HMAC each time). A session without a value gets one from Flask-WTF, as before."""
        field_name = _get_config(None, "WTF_CSRF_FIELD_NAME", "csrf_token", message="")
        if field_name not in g and field_name in session:
            key = (_get_config(None, "WTF_CSRF_SECRET_KEY", current_app.secret_key, message=""), session[field_name])
            limit = _get_config(None, "WTF_CSRF_TIME_LIMIT", 3600, required=False)
            issued, now = self._issued.get(key), time.time()
            if issued is not None and (limit is None or 0 <= now - issued[1] < min(REUSE_SECONDS, limit / 60)):
                setattr(g, field_name, issued[0])  # what generate_csrf answers for the rest of this request
            else:
                with self._lock:
                    _bounded(self._issued)[key] = (generate_csrf(), now)
        return cast(str, generate_csrf())

    def exempt(self, view: _View) -> _View:
        """Flask-WTF's, typed (it ships no types): the view is returned as it was."""
        return cast(_View, super().exempt(view))

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's `protect`, line for line, with `self.validate` for its module's `validate_csrf`."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            self.validate(self._get_csrf_token())
        except ValidationError as e:
            logger.info(e.args[0])
            self._error_response(e.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True

    def _get_csrf_token(self) -> str | None:
        """Flask-WTF's (form field, then headers), without loading the form of a body no form parser reads (the
        heartbeat's JSON), which is always empty: half of the check's time."""
        if request.mimetype in FORM_TYPES:
            return super()._get_csrf_token()  # type: ignore[no-any-return]
        for header_name in current_app.config["WTF_CSRF_HEADERS"]:
            token = request.headers.get(header_name)
            if token:
                return token
        return None

    def validate(self, data: str | None) -> None:
        """flask_wtf.csrf.validate_csrf, the signature checked once per key and token."""
        secret_key = _get_config(None, "WTF_CSRF_SECRET_KEY", current_app.secret_key,
                                 message="A secret key is required to use CSRF.")
        field_name = _get_config(None, "WTF_CSRF_FIELD_NAME", "csrf_token",
                                 message="A field name is required to use CSRF.")
        time_limit = _get_config(None, "WTF_CSRF_TIME_LIMIT", 3600, required=False)
        if not data:
            raise ValidationError("The CSRF token is missing.")
        if field_name not in session:
            raise ValidationError("The CSRF session token is missing.")
        key = (secret_key, data)
        known = self._signed.get(key)
        if known is None or time_limit is not None and not 0 <= int(time.time()) - known[1] <= time_limit:
            validate_csrf(data)  # the whole check, raising Flask-WTF's own error; then remember the signature
            token, signed_at = URLSafeTimedSerializer(secret_key, salt=SALT).loads(data, return_timestamp=True)
            with self._lock:
                _bounded(self._signed)[key] = known = (token, int(signed_at.timestamp()))
            return
        if not hmac.compare_digest(session[field_name], known[0]):
            raise ValidationError("The CSRF tokens do not match.")


_Kept = TypeVar("_Kept", bound=dict[Any, Any])


def _bounded(kept: _Kept) -> _Kept:
    """`kept` with room for one more (under the lock): past SIGNED_TOKENS the oldest is forgotten."""
    if len(kept) >= SIGNED_TOKENS:
        del kept[next(iter(kept))]
    return kept
