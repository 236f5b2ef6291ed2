"""The catalog's blueprints and the small helpers its view modules share. Views stay thin: they read the
request, call a service, commit once, and render."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, g

from app.extensions import db
from catalog.categories import Menu, load_menu

bp = Blueprint("catalog", __name__, url_prefix="/catalog", template_folder="templates")
api_bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")
oai_bp = Blueprint("catalog_oai", __name__)


def menu() -> Menu:
    """The menu tree, loaded once per request."""
    if "catalog_menu" not in g:
        g.catalog_menu = load_menu(db.session)
    return cast(Menu, g.catalog_menu)


def form_values(form: Any) -> dict[str, Any]:
    """A resource form as the service takes it: lists for the multi-choice fields."""
    return {
        "title": form.get("title", ""), "kind": form.get("kind", ""), "summary": form.get("summary", ""),
        "description": form.get("description", ""), "category": form.getlist("category"),
        "industries": form.getlist("industries"), "audience": form.getlist("audience"),
        "credits": form.get("credits", ""), "hours": form.get("hours", ""), "teachers": form.get("teachers", ""),
        "external_url": form.get("external_url", ""), "tags": form.get("tags", ""),
        "language": form.get("language", "zh"), "licence": form.get("licence", ""),
    }
