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
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from flask import Request, current_app, g, request, session
from flask_wtf.csrf import (
    CSRFProtect,
    _get_config,
    csrf_meta_tag,
    generate_csrf,
    logger,
    same_origin,
    validate_csrf,
)
from itsdangerous import BadData, URLSafeTimedSerializer
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
        key and computes an HMAC each time). A session without a value gets one from Flask-WTF, as before, and the
        token signed for it is handed out again alike."""
        field_name = _get_config(None, "WTF_CSRF_FIELD_NAME", "csrf_token", message="")
        if field_name not in g:
            reused = self.reusable(session[field_name]) if field_name in session else None
            if reused is not None:
                setattr(g, field_name, reused)  # what generate_csrf answers for the rest of this request
            else:
                now, token = time.time(), generate_csrf()  # the session's value made first if it had none
                with self._lock:
                    _bounded(self._issued)[(_secret_key(), session[field_name])] = (token, now)
        return cast(str, generate_csrf())

    def reusable(self, value: str) -> str | None:
        """The token `token` hands out again now to a session holding `value`, or None (it signs one): also outside
        a request, for a page answered beneath Flask (app/viewer_pages.py). In an app context."""
        limit = _get_config(None, "WTF_CSRF_TIME_LIMIT", 3600, required=False)
        issued = self._issued.get((_secret_key(), value))
        if issued is not None and (limit is None or 0 <= time.time() - issued[1] < min(REUSE_SECONDS, limit / 60)):
            return issued[0]
        return None

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
        return header_token(request)

    def passes_again(self, req: Request, session: Mapping[str, Any]) -> bool:
        """Whether this POST, sent with a body no form parser reads, passes `protect`'s checks (for a path beneath
        Flask: learning.heartbeat_path), the token's signature verified once per process as there. False does not
        refuse it: it means "let `protect` decide", which refuses it with Flask-WTF's message."""
        config = current_app.config
        if not (config["WTF_CSRF_ENABLED"] and config["WTF_CSRF_CHECK_DEFAULT"]) or \
                req.method not in config["WTF_CSRF_METHODS"] or req.mimetype in FORM_TYPES:
            return False
        data, field_name = header_token(req), _get_config(None, "WTF_CSRF_FIELD_NAME", "csrf_token")
        known = (self._known(data) or self._verified(data)) if data else None
        if known is None or field_name not in session or not hmac.compare_digest(session[field_name], known[0]):
            return False
        return not (req.is_secure and config["WTF_CSRF_SSL_STRICT"]) or bool(
            req.referrer and same_origin(req.referrer, f"https://{req.host}/"))

    def _known(self, data: str) -> tuple[Any, int] | None:
        """The token's value if its signature, under the current key, was verified in this process and is still in
        time; otherwise None."""
        time_limit = _get_config(None, "WTF_CSRF_TIME_LIMIT", 3600, required=False)
        known = self._signed.get((_secret_key(), data))
        if known is None or time_limit is not None and not 0 <= int(time.time()) - known[1] <= time_limit:
            return None
        return known

    def _verified(self, data: str) -> tuple[Any, int] | None:
        """Flask-WTF's signature and age check of a token (validate_csrf's, without its session compare, done by the
        caller), remembered when good; None when bad or too old."""
        secret_key = _secret_key()
        time_limit = _get_config(None, "WTF_CSRF_TIME_LIMIT", 3600, required=False)
        try:
            token, signed_at = URLSafeTimedSerializer(secret_key, salt=SALT).loads(
                data, max_age=time_limit, return_timestamp=True)
        except BadData:  # expired, altered or not ours: `protect` refuses it with Flask-WTF's message
            return None
        return self._remember(secret_key, data, token, signed_at)

    def _remember(self, secret_key: Any, data: str, token: Any, signed_at: Any) -> tuple[Any, int]:
        known = (token, int(signed_at.timestamp()))
        with self._lock:
            _bounded(self._signed)[(secret_key, data)] = known
        return known

    def validate(self, data: str | None) -> None:
        """flask_wtf.csrf.validate_csrf, the signature checked once per key and token."""
        field_name = _get_config(None, "WTF_CSRF_FIELD_NAME", "csrf_token",
                                 message="A field name is required to use CSRF.")
        if not data:
            raise ValidationError("The CSRF token is missing.")
        if field_name not in session:
            raise ValidationError("The CSRF session token is missing.")
        known = self._known(data)
        if known is None:
            secret_key = _secret_key()
            validate_csrf(data)  # the whole check, raising Flask-WTF's own error; then remember the signature
            token, signed_at = URLSafeTimedSerializer(secret_key, salt=SALT).loads(data, return_timestamp=True)
            self._remember(secret_key, data, token, signed_at)
            return
        if not hmac.compare_digest(session[field_name], known[0]):
            raise ValidationError("The CSRF tokens do not match.")


def _secret_key() -> Any:
    return _get_config(None, "WTF_CSRF_SECRET_KEY", current_app.secret_key,
                       message="A secret key is required to use CSRF.")


def header_token(req: Request) -> str | None:
    """The token sent in a header (Flask-WTF's WTF_CSRF_HEADERS, in order), or None."""
    for header_name in current_app.config["WTF_CSRF_HEADERS"]:
        token = req.headers.get(header_name)
        if token:
            return token
    return None


_Kept = TypeVar("_Kept", bound=dict[Any, Any])


def _bounded(kept: _Kept) -> _Kept:
    """`kept` with room for one more (under the lock): past SIGNED_TOKENS the oldest is forgotten."""
    if len(kept) >= SIGNED_TOKENS:
        del kept[next(iter(kept))]
    return kept
