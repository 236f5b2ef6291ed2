"""The enterprise's page of workplace mentors (企业导师): name one of its staff accounts for a course or a pathway,
remove one. And the 双导师 pair the catalog's resource page shows (a template global). Thin."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from app import sharedparts
from app.accounts import scope
from app.accounts.models import OrgKind
from app.errors import Forbidden
from app.extensions import db
from app.text import is_digits
from app.web import chosen_org
from app.web import current_user_required as me_required
from credits.models import Pathway
from programme.partnership import mentors
from programme.partnership.mentors import MentorInput
from programme.web import acted, staff_bp


def _id(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return (int(raw) if is_digits(raw) and len(raw) < 12 else -1) if raw else None


@staff_bp.route("/mentors", methods=["GET", "POST"])
@login_required
def mentors_manage() -> ResponseReturnValue:
    me, status = me_required(), 200
    enterprises = scope.orgs_of(me, action="mentor.manage", kinds=(OrgKind.enterprise,))
    if not enterprises:
        raise Forbidden(_("您没有权限进行此操作。"))
    enterprise = chosen_org(enterprises) if request.method == "POST" else next(
        (e for e in enterprises if e.code == request.args.get("org")), enterprises[0])
    if request.method == "POST":
        if request.form.get("remove"):
            mentor_id = _id("remove") or 0
            failed = acted(lambda: mentors.remove_mentor(db.session, me, mentor_id), _("已移除。"))
        else:
            data = MentorInput(user_id=_id("user_id") or 0, resource_id=_id("resource_id"),
                               pathway_id=_id("pathway_id"), title=request.form.get("title", ""))
            failed = acted(lambda: mentors.name_mentor(db.session, me, enterprise, data), _("已指定企业导师。"))
        if failed is None:
            return redirect(url_for(".mentors_manage", org=enterprise.code))
        status = failed
    pathways = db.session.scalars(select(Pathway).where(Pathway.active.is_(True)).order_by(Pathway.title)).all()
    return render_template("programme/partnership/mentors.html", enterprise=enterprise, enterprises=enterprises,
                           items=mentors.of_enterprise(db.session, enterprise), pathways=pathways,
                           staff=mentors.staff_of(db.session, enterprise)), status


def mentor_pair(resource: Any) -> dict[str, Any]:
    """Template global for catalog/resource.html (the catalog never imports the programme); the resources with a
    mentor read once per change of the catalog's tables (app/sharedparts.py watches the mentors' and pathways')."""
    mentored = sharedparts.shared("programme.mentored", lambda: mentors.mentored_resources(db.session))
    return mentors.pair_of(db.session, resource, mentored)
