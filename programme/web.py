"""The programme's blueprints and the small helpers its view modules share. The routes live beside their
services (admissions/, money/, voice/, exchange/, reporting/), each attached to one of these blueprints, so
endpoint names stay `programme.*`, `programme_staff.*`, `programme_support.*` and `programme_api.*`.
Views stay thin: they read the request, call a service, commit once, and render."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from programme.admissions import plans
from programme.admissions.models import Plan

bp = Blueprint("programme", __name__, url_prefix="/programme", template_folder="templates")  # public, worker
staff_bp = Blueprint("programme_staff", __name__, url_prefix="/programme", template_folder="templates")
support_bp = Blueprint("programme_support", __name__, template_folder="templates")  # enquiries .. reports
api_bp = Blueprint("programme_api", __name__, url_prefix="/api/v1/programme")


def current_user_or_none() -> Any:
    """The signed-in user, or None for a visitor (the programme's one copy until the app kernel has it)."""
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def failed(err: DomainError, *, inline: bool = False) -> int:
    """Undo the half-done change and show why. Pages that redirect show the field messages in the flash;
    pages that re-render (`inline`) show them beside their fields."""
    db.session.rollback()
    details = "" if inline or not err.fields else " " + "；".join(err.fields.values())
    flash(err.message + details, "error")
    return 409 if isinstance(err, Conflict) else 400


def show_invalid(err: DomainError) -> dict[str, str]:
    """Roll back, flash the summary and hand the per-field messages to the template."""
    db.session.rollback()
    flash(err.message, "error")
    return err.fields


def number(name: str, default: int = 0) -> int:
    """A whole number from the form; text that is not one becomes -1, which every service refuses."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return -1


def day(name: str) -> date | None:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        return None


def the_plan() -> Plan:
    """The plan of `?year=`, or the current one."""
    year = request.args.get("year", type=int)
    plan = plans.get_plan(db.session, year) if year else plans.current_plan(db.session)
    if plan is None:
        raise NotFound(_("还没有年度计划。"))
    return plan
