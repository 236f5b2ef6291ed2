"""How every call of the exchange API is received, in one wrapper: the department's bearer token (never a session
cookie: the blueprint reads no session and is exempt from CSRF, which guards cookies), its rate limit, its scope,
then the view; and one audit row per call with the token, the scope and the outcome, written in the same
transaction as a pushed result, or after the rollback of a refused call so refusals are on record too.

Routes are declared with `operation(...)`, which keeps what the OpenAPI document says about each (summary, scope,
parameters, body, answer) beside the route itself; programme/sharing/openapi.py reads them with the URL map."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from app import audit
from app.errors import DomainError
from app.extensions import db
from app.limits import Counted, RateLimit, by_address
from programme.sharing import tokens
from programme.sharing.models import ApiToken

bp = Blueprint("exchange_api", __name__, url_prefix="/api/exchange/v1")
View = Callable[..., tuple[Any, int, dict[str, Any]]]  # (body, status, audit detail)


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one route (programme/sharing/openapi.py)."""

    summary: str
    scope: str | None            # None: open to anyone (the document itself)
    answer: str                  # the component the success body follows
    status: int = 200
    params: tuple[str, ...] = ()  # names of openapi.PARAMETERS
    body: str | None = None      # the component the request body follows
    description: str = ""
    also: tuple[int, ...] = field(default=())  # other success statuses (a repeated push: 200)


OPERATIONS: dict[str, Operation] = {}


def _key() -> str:
    token = g.get("exchange_token")
    return f"exchange-token:{token.id}" if token is not None else by_address()


def _counter() -> Counted:
    """One counter per app, on the app's limiter (Redis or memory), as app/limits.py counts its lean limits."""
    counter = current_app.extensions.get("exchange_api_counter")
    if counter is None:
        limit = RateLimit("exchange_api", "RATE_LIMIT_EXCHANGE_API", _key, methods=("GET", "POST"))
        counter = Counted(current_app.extensions["qiuxue_limiter"], limit,
                          current_app.config.get("RATELIMIT_KEY_PREFIX", "qiuxue"))
        current_app.extensions["exchange_api_counter"] = counter
    return counter


def _bearer() -> str:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _authenticated() -> ApiToken:
    """The caller's token, counted against its limit; a call without a valid one is counted by address."""
    try:
        token = tokens.authenticate(db.session, _bearer())
    except DomainError:
        _counter().check()
        raise
    g.exchange_token = token
    _counter().check()
    return token


def _audit(token: ApiToken | None, op: Operation, status: int, outcome: str, **detail: Any) -> None:
    audit.record_for(db.session, token.label if token else "API (no valid token)", "exchange_api.call",
                     "api_token", token.id if token else "-", org_id=token.org_id if token else None,
                     method=request.method, endpoint=request.endpoint, scope=op.scope, status=status,
                     outcome=outcome, prefix=token.prefix if token else _bearer()[:10], **detail)


def _guarded(op: Operation, view: View) -> Callable[..., Response]:
    @functools.wraps(view)
    def call(**kwargs: Any) -> Response:
        if op.scope is None:
            body, status, _detail = view(None, **kwargs)
            return _json(body, status)
        token = None
        try:
            token = _authenticated()
            if op.scope:  # "": any valid token
                tokens.require_scope(token, op.scope)
            body, status, detail = view(token, **kwargs)
        except DomainError as err:
            db.session.rollback()
            token = token or g.get("exchange_token")  # a valid token over its limit is named too
            _audit(token, op, err.status, err.code, fields=sorted(err.fields))
            db.session.commit()
            raise
        _audit(token, op, status, "ok", **detail)
        db.session.commit()
        return _json(body, status)
    return call


def _json(body: Any, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def operation(rule: str, method: str, op: Operation) -> Callable[[View], View]:
    """Attach `view(token, **kwargs) -> (body, status, audit detail)` to `rule`, guarded and documented."""
    def attach(view: View) -> View:
        endpoint = view.__name__
        OPERATIONS[f"{bp.name}.{endpoint}"] = op
        bp.add_url_rule(rule, endpoint, _guarded(op, view), methods=[method])
        return view
    return attach
