"""What every blueprint asks of a request, answered once: who is signed in, the JSON object a POST carries, the
form's file and organisation, and how a page shows a refused change or settles a file import.
Domain errors raised here are turned into pages or `{"error": {...}}` bodies by app/errors.py, like any other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError, Invalid, LoginRequired
from app.extensions import db

if TYPE_CHECKING:  # for the annotations only: accounts' views use these helpers, so a runtime import is a cycle
    from app.accounts.models import Organisation, User


SYNC_KEPT = 512  # functions: every hook, view and context processor, with room; past it, asked each time


def hooks_checked_once(app: Flask) -> None:
    """Flask asks of every hook, context processor and view, on every request, whether it is a coroutine function
    (`inspect.iscoroutinefunction`, some 33 times per page), so as to wrap it; the answer never changes, so it is
    kept per function. A function made anew per call is not kept past SYNC_KEPT (memory stays bounded)."""
    ensure = app.ensure_sync
    known: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(func: Callable[..., Any]) -> Callable[..., Any]:
        found = known.get(func)
        if found is None:
            found = ensure(func)
            if len(known) < SYNC_KEPT:
                known[func] = found
        return found

    app.ensure_sync = ensure_sync  # type: ignore[method-assign]


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


def show_invalid(err: DomainError) -> dict[str, str]:
    """Roll back, flash the summary and hand the per-field messages to the template."""
    db.session.rollback()
    flash(err.message, "error")
    return err.fields


_Made = TypeVar("_Made")


def commit_or_show(step: Callable[[], _Made]) -> tuple[_Made | None, dict[str, str] | None]:
    """A form's service call. Went through: committed, (what it returned, None). Refused as Invalid: rolled back,
    the summary flashed, (None, the per-field messages for the template)."""
    try:
        made = step()
    except Invalid as err:
        return None, show_invalid(err)
    db.session.commit()
    return made, None


def uploaded_file(field: str = "file") -> tuple[bytes, str]:
    """The bytes and name of a form's file field; empty bytes and name when no file came."""
    upload = request.files.get(field)
    return (upload.read(), upload.filename or "") if upload else (b"", "")


def chosen_org(orgs: Sequence[Organisation]) -> Organisation:
    """The organisation the form's `org` field names among those the user may act for; the first by default."""
    return next((o for o in orgs if o.code == request.form.get("org")), orgs[0])


def settle_import(imported: int, message: str) -> bool:
    """Commit a file import that brought rows in and flash `message`; with none, roll back and say so (False)."""
    if imported:
        db.session.commit()
        flash(message, "success")
        return True
    db.session.rollback()
    flash(_("文件中有错误，没有导入任何内容。请按下表修改后重新上传。"), "error")
    return False


SHOWN_REFUSALS = 10  # flashes live in the session cookie: name the first few refused items, count the rest


def settle_bulk(step: Callable[[], Any]) -> Any:
    """A bulk form's service call (app/bulk.py): commit what was done and flash how many, then each refused item
    with its reason; a refused selection (nothing chosen, too many, bad ids) is rolled back and flashed. Returns
    the outcome, or None when the selection was refused."""
    try:
        outcome = step()
    except Invalid as err:
        show_invalid(err)
        return None
    db.session.commit()
    flash(outcome.summary(), "success" if outcome.done else "error")
    lines = outcome.refusals()
    if lines:
        flash(_("以下%(n)d项没有处理：", n=len(lines)), "error")
        for line in lines[:SHOWN_REFUSALS]:
            flash(line, "error")
        if len(lines) > SHOWN_REFUSALS:
            flash(_("……另有%(n)d项没有处理。", n=len(lines) - SHOWN_REFUSALS), "error")
    return outcome
