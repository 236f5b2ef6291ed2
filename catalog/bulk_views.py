"""Bulk forms of the catalog (catalog/bulk.py): the review queue's "select or return the ticked resources with one
comment" and the union catalog editor's "hide or show the ticked entries". Plain form POSTs of `ids` (no script
needed); the page comes back with how many were done and each refused item with its reason."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app.extensions import db
from app.web import current_user_or_none, settle_bulk
from catalog import bulk
from catalog.manage_views import own_catalog
from catalog.union_views import _catalog_for
from catalog.web import bp


@bp.post("/review/bulk")
@login_required
def review_bulk() -> ResponseReturnValue:
    user = current_user_or_none()
    form = request.form
    seen = {key.removeprefix("seen_"): form.get(key, type=int) for key in form if key.startswith("seen_")}
    settle_bulk(lambda: bulk.review_many(db.session, user, form.getlist("ids"), form.get("decision", ""),
                                         form.get("comment", ""), catalog=own_catalog(user),
                                         section_id=form.get("section_id", type=int), seen=seen))
    return redirect(url_for("catalog.review_queue"), 303)


@bp.post("/u/<code>/edit/bulk")
@login_required
def union_edit_bulk(code: str) -> ResponseReturnValue:
    org, catalog = _catalog_for(code)
    user = current_user_or_none()
    if catalog is None:
        return redirect(url_for("catalog.union_edit", code=code), 303)
    settle_bulk(lambda: bulk.entries_many(db.session, user, catalog, request.form.getlist("ids"),
                                          request.form.get("action", "")))
    return redirect(url_for("catalog.union_edit", code=code), 303)
