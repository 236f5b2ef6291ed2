"""The programme's blueprints and the small helpers its view modules share. The routes live beside their
services (admissions/, money/, voice/, exchange/, reporting/), each attached to one of these blueprints, so
endpoint names stay `programme.*`, `programme_staff.*`, `programme_support.*` and `programme_api.*`.
Views stay thin: they read the request, call a service, commit once, and render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, flash, request

from app.errors import Conflict, DomainError, Invalid
from app.extensions import db

bp = Blueprint("programme", __name__, url_prefix="/programme", template_folder="templates")  # public, worker
staff_bp = Blueprint("programme_staff", __name__, url_prefix="/programme", template_folder="templates")
support_bp = Blueprint("programme_support", __name__, template_folder="templates")  # enquiries .. reports
api_bp = Blueprint("programme_api", __name__, url_prefix="/api/v1/programme")


def failed(err: DomainError, *, inline: bool = False) -> int:
    """Undo the half-done change and show why. Pages that redirect show the field messages in the flash;
    pages that re-render (`inline`) show them beside their fields."""
    db.session.rollback()
    details = "" if inline or not err.fields else " " + "；".join(err.fields.values())
    flash(err.message + details, "error")
    return 409 if isinstance(err, Conflict) else 400


def acted(step: Callable[[], object], message: str) -> int | None:
    """Run one action of a form: committed with `message` flashed (None), or undone with the reason flashed (the
    status `failed` gives)."""
    try:
        step()
    except (Invalid, Conflict) as err:
        return failed(err)
    db.session.commit()
    flash(message, "success")
    return None


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


def year_arg() -> int | None:
    """The `?year=` of a page that shows one year's plan (programme.admissions.plans.chosen)."""
    return request.args.get("year", type=int)
