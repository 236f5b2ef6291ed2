"""Pages of 校企合作 co-authoring: a resource's co-authors (the provider invites and removes, a co-author leaves),
and accepting an invitation from 我的资源. Thin: every decision is in catalog/coauthors.py and the policy."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts.policy import can
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.web import current_user_required as me_required
from catalog import coauthors, service
from catalog.web import bp


@bp.route("/manage/<int:resource_id>/coauthors", methods=["GET", "POST"])
@login_required
def coauthors_page(resource_id: int) -> ResponseReturnValue:
    me, status = me_required(), 200
    item = service.get_resource(db.session, resource_id)
    if not can(me, "resource.view", item):
        raise NotFound(_("资源不存在或已被删除。"))
    if request.method == "POST":
        try:
            coauthors.invite(db.session, me, item, request.form.get("org", ""))
        except (Invalid, Conflict) as err:
            db.session.rollback()
            flash(err.message + "".join(f" {m}" for m in (err.fields or {}).values()), "error")
            status = 409 if isinstance(err, Conflict) else 400
        else:
            db.session.commit()
            flash(_("已发出邀请，对方接受后即可共同编辑。"), "success")
            return redirect(url_for("catalog.coauthors_page", resource_id=item.id))
    return render_template("catalog/manage/coauthors.html", resource=item,
                           can_invite=can(me, "resource.coauthor_invite", item),
                           can_remove=lambda row: can(me, "resource.coauthor_remove", row)), status


@bp.post("/coauthors/<int:row_id>/<any(accept, remove):step>")
@login_required
def coauthor_step(row_id: int, step: str) -> ResponseReturnValue:
    me = me_required()
    row = coauthors.get(db.session, row_id)
    resource_id = row.resource_id
    try:
        if step == "accept":
            coauthors.accept(db.session, me, row)
        else:
            coauthors.remove(db.session, me, row)
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("catalog.manage"))
    db.session.commit()
    if step == "accept":
        flash(_("已接受，现在可以共同编辑这个资源。"), "success")
        return redirect(url_for("catalog.edit", resource_id=resource_id))
    flash(_("已移除。"), "success")
    if can(me, "resource.view", service.get_resource(db.session, resource_id)):
        return redirect(url_for("catalog.coauthors_page", resource_id=resource_id))
    return redirect(url_for("catalog.manage"))
