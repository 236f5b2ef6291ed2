"""What every blueprint asks of a request, answered once: who is signed in, and the JSON object a POST carries.
Domain errors raised here are turned into pages or `{"error": {...}}` bodies by app/errors.py, like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Invalid, LoginRequired

if TYPE_CHECKING:  # for the annotations only: accounts' views use these helpers, so a runtime import is a cycle
    from app.accounts.models import User


def current_user_or_none() -> User | None:
    """The signed-in user (the object itself, not Flask-Login's proxy, so it can be stored or compared), or None."""
    if not current_user.is_authenticated:
        return None
    user: User = current_user._get_current_object()
    return user


def current_user_required() -> User:
    """The signed-in user, or 401 login_required: for JSON endpoints, which answer instead of redirecting."""
    user = current_user_or_none()
    if user is None:
        raise LoginRequired(_("请先登录。"))
    return user


def json_object(message: str | None = None, code: str = "json_required") -> dict[str, Any]:
    """The request's JSON body when it is an object; 400 `code` otherwise (missing, malformed or not an object)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(message or _("请求内容应为 JSON 对象。"), code=code)
    return body
