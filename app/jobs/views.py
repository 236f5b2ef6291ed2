"""/admin/jobs: the site admin's view of the background runtime (the same report as `qiuxue worker status`)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from app.accounts.policy import require
from app.extensions import db
from app.jobs import status as job_status

bp = Blueprint("jobs", __name__)


@bp.get("/admin/jobs")
@login_required
def admin_jobs() -> str:
    require(current_user, "admin.site")
    return render_template("jobs/status.html", status=job_status.snapshot(db.session, current_app.config),
                           seconds=job_status.seconds)
