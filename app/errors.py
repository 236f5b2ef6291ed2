"""Domain errors raised by services, and how the web layer shows them.

Services raise these; HTML views turn them into messages on the page, and the JSON API into
`{"error": {"code": ..., "message": ..., "fields": {...}}}` with a stable code and an HTTP status.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InternalError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class Invalid(DomainError):
    """Input that breaks a rule; `fields` maps each field to its message."""


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class LoginRequired(DomainError):
    status = 401
    code = "login_required"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str = "", *, retry_after: int = 60, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests", 500: "server_error",
    503: "unavailable",
}


def _titles() -> dict[int, str]:
    return {
        400: _("请求有误"), 403: _("没有权限"), 404: _("页面不存在"), 405: _("不支持该请求方法"),
        413: _("上传内容过大"), 415: _("不支持的内容格式"), 429: _("操作太频繁"), 500: _("服务器出错了"),
        503: _("暂时不能保存"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("请求内容不完整或格式不对，请返回重试。"),
        403: _("您没有权限查看或修改这里的内容。"),
        404: _("您要找的页面不存在，可能已被移除。"),
        405: _("请从页面上的按钮或链接进入。"),
        413: _("上传的文件或内容超过了允许的大小。"),
        415: _("这里只接受页面上的表单提交。"),
        429: _("操作太频繁，请稍后再试。"),
        500: _("服务器暂时出了问题，已记录下来，请稍后再试。已保存的内容不会丢失。"),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str,
                   fields: dict[str, str] | None = None) -> tuple[Response | str, int]:
    if wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return jsonify(body), status
    title = _titles().get(status, _("出错了"))
    return render_template("error.html", status=status, title=title, message=message, fields=fields), status


def _read_only(err: Exception) -> bool:
    text = str(getattr(err, "orig", err)).lower()
    return "readonly database" in text or "read-only transaction" in text


# PostgreSQL's serialization failure, deadlock and lock-not-available: tried again by the writers, then answered busy
_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})


def _busy(err: Exception) -> bool:
    """Another writer held the database past the writers' own retries (SQLite's busy timeout, a PostgreSQL lock or
    serialization conflict): nothing is wrong with the request, so the client should send it again."""
    orig = getattr(err, "orig", err)
    return "database is locked" in str(orig).lower() or getattr(orig, "sqlstate", None) in _BUSY_STATES


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError) -> ResponseReturnValue:
        response, status = error_response(err.status, err.code, err.message, err.fields)
        if isinstance(err, TooManyRequests):
            response = app.make_response((response, status))
            response.headers["Retry-After"] = str(err.retry_after)
        return response, status

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> ResponseReturnValue:
        return error_response(400, "csrf_failed", _("页面已过期或表单无效，请刷新页面后重新提交。"))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def value_out_of_range(err: Exception) -> ResponseReturnValue:
        """A value no column holds reached the database (a number beyond 64 bits, text too long, NUL): the input
        is at fault, so 400, and the transaction is rolled back. Logged with its traceback: the view or service
        that let the value through should refuse it first."""
        db.session.rollback()
        log.warning("a value out of range reached the database on %s %s", request.method, request.path,
                    exc_info=err)
        return error_response(400, "value_out_of_range", _("输入的数字或文字超出了允许的范围，请修改后重试。"))

    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):  # SQLite: 22 MB not imported
        try:  # statements run on the driver's own cursor (app.db.DirectStatement) raise the driver's error
            import psycopg  # here, in a try: an optional driver (SQLite needs none), only the app's handler needs it
        except ImportError:  # pragma: no cover - psycopg is a dependency, but SQLite needs none
            pass
        else:
            app.register_error_handler(psycopg.DataError, value_out_of_range)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InternalError)
    def database_error(err: Exception) -> ResponseReturnValue:
        """A write to a database that is read-only (a read-only data folder, a PostgreSQL standby) says so
        with 503 instead of a 500; reading pages keep working. A write that lost to other writers too long is 503
        `busy` with Retry-After (the player's queue keeps the heartbeat and resends it). Other database errors stay
        server errors."""
        if _busy(err):
            db.session.rollback()
            log.warning("a write waited too long for the database (%s %s): %s", request.method, request.path, err)
            response = app.make_response(error_response(503, "busy", _("网站正忙，请稍后再试，已保存的内容不会丢失。")))
            response.headers["Retry-After"] = "2"
            return response
        if not _read_only(err):
            raise err
        db.session.rollback()
        log.error("a write was refused: the database is read-only (%s %s): %s", request.method, request.path, err)
        return error_response(503, "read_only", _("网站暂时只能浏览，不能保存修改。请稍后再试，已保存的内容不会丢失。"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> ResponseReturnValue:
        status = err.code or 500
        return error_response(status, _HTTP_CODES.get(status, "http_error"),
                              _messages().get(status, err.description or ""))
