"""Site-wide pages: home, health check, and the sections whose packages are still to come."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from app.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/healthz")
def healthz():
    """For load balancers and `make run`: answers 200 when the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy; the reason goes to the log
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "error", "database": database}), status


@bp.get("/learning")
def learning():
    """我的学习 (the tab bar's 学习); the page itself belongs to the learning package."""
    from learning.views import mine_page

    return mine_page()
