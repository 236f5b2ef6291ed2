"""Pages of a station's or point's staff accounts (item 2): the union invites (and withdraws an invitation) and
removes them on the point's staff page; they work at the point's desk (its area's enquiries with their ages, and
the answer form). Thin."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import invitations
from app.accounts.masking import mask_name, mask_phone
from app.db import utcnow
from app.extensions import db
from app.web import commit_or_show
from app.web import current_user_required as me_required
from programme.network import points
from programme.voice import escalation, point_desk
from programme.web import acted, staff_bp

# when the app registers the staff pages (init_app), not at import: desk invitations are accepted on the account page
staff_bp.record_once(lambda _state: point_desk.register_duty())


@staff_bp.route("/service-points/<int:point_id>/staff", methods=["GET", "POST"])
@login_required
def service_point_staff(point_id: int) -> ResponseReturnValue:
    me, status = me_required(), 200
    point = points.for_manager(db.session, me, point_id)
    if request.method == "POST":
        if request.form.get("remove"):
            staff_id = request.form.get("remove", type=int) or 0
            failed = acted(lambda: point_desk.remove_staff(db.session, me, point, staff_id), _("已移除。"))
        elif request.form.get("withdraw"):
            invitation_id = request.form.get("withdraw", type=int) or 0
            failed = acted(lambda: point_desk.withdraw_invitation(db.session, me, point, invitation_id),
                           _("已撤回邀请。"))
        else:  # one answer for every number: nothing says who has an account
            failed = acted(lambda: point_desk.name_staff(db.session, me, point, request.form.get("phone", "")),
                           invitations.sent_message())
        if failed is None:
            return redirect(url_for(".service_point_staff", point_id=point.id))
        status = failed
    return render_template("programme/network/staff.html", point=point, mask_phone=mask_phone,
                           invited=point_desk.invited(db.session, point)), status


@staff_bp.get("/point-desk")
@login_required
def point_desks() -> ResponseReturnValue:
    """The stations and points the user is staff of; one goes straight to its queue."""
    mine = point_desk.points_of(db.session, me_required())
    if len(mine) == 1:
        return redirect(url_for(".point_queue", point_id=mine[0].id))
    return render_template("programme/network/desks.html", items=mine)


@staff_bp.get("/point-desk/<int:point_id>")
@login_required
def point_queue(point_id: int) -> ResponseReturnValue:
    me = me_required()
    point = point_desk.desk_point(db.session, me, point_id)
    answered = request.args.get("status") == "answered"
    now = utcnow()
    return render_template("programme/network/desk.html", point=point, answered=answered, mask_name=mask_name,
                           items=point_desk.queue(db.session, me, point, answered=answered),
                           age=lambda e: escalation.age_text(e.created_at, now))


@staff_bp.route("/point-desk/<int:point_id>/enquiries/<int:enquiry_id>", methods=["GET", "POST"])
@login_required
def point_enquiry(point_id: int, enquiry_id: int) -> ResponseReturnValue:
    me, errors, status = me_required(), {}, 200
    point = point_desk.desk_point(db.session, me, point_id)
    enquiry = point_desk.enquiry_at(db.session, me, point, enquiry_id)
    if request.method == "POST":
        _done, failed = commit_or_show(
            lambda: point_desk.answer(db.session, me, point, enquiry, request.form.get("answer", "")))
        if failed is None:
            flash(_("回复已发送。"), "success")
            return redirect(url_for(".point_queue", point_id=point.id))
        errors, status = failed, 400
    return render_template("programme/network/desk_enquiry.html", point=point, enquiry=enquiry, errors=errors,
                           asker=mask_name(enquiry.asker.name)), status
