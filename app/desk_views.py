"""The desk's page (`/desk`), its counts as JSON (`GET /api/v1/me/desk`) and the navigation's count
(`desk_count()` in templates, called only for signed-in staff)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, render_template
from flask_login import login_required

from app import desk
from app.extensions import db
from app.web import current_user_or_none, current_user_required

bp = Blueprint("desk", __name__)


@bp.get("/desk")
@login_required
def page() -> str:
    user = current_user_required()
    desks = desk.desk_for(db.session, user)
    return render_template("desk/desk.html", desks=desks, age_days=desk.age_days)


@bp.get("/api/v1/me/desk")
def api() -> Response:
    """Every desk of the signed-in person: per role, each queue's count and oldest item, and the items in
    order; 401 `login_required` when signed out; workers get no roles."""
    user = current_user_required()
    return jsonify(desk.as_json(desk.desk_for(db.session, user)))


def init_app(app: Flask) -> None:
    desk.init_app(app)
    app.register_blueprint(bp)

    @app.template_global()
    def desk_count() -> int | None:
        """The count on the navigation's 工作台 link: None for anyone without a desk (no link at all)."""
        if "desk_count" not in g:  # once per request: the layout and /me both show it
            user: Any = current_user_or_none()
            g.desk_count = None if user is None or not desk.desk_roles(user) else desk.total(db.session, user)
        found: int | None = g.desk_count
        return found
