"""Public notice pages: the list and one notice (people masked), filing an objection during its objection
period and following one's objections; for union staff, publishing a notice and resolving the objections to
their unions' notices. Thin: read the form, call a service, commit once, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts.masking import mask_name
from app.errors import Conflict, Invalid, TooManyRequests
from app.extensions import db
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from programme.admissions import plans
from programme.voice import notices, objections
from programme.voice.notices import KIND_LABELS
from programme.web import acted, bp, day, failed, number, staff_bp, year_arg


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    def objection_unread() -> int:  # called by the templates that show it, so other pages pay nothing
        me = user()
        return objections.unread_count(db.session, me) if me is not None else 0

    return {"notice_kinds": KIND_LABELS, "objection_unread": objection_unread}


@bp.route("/notices")
def notice_list():
    return render_template("programme/notices.html", items=notices.public(db.session, user()))


@bp.route("/notices/<int:notice_id>")
def notice_show(notice_id: int):
    return _notice_page(notices.get(db.session, notice_id, user()))


def _notice_page(notice, errors: dict[str, str] | None = None, status: int = 200, headers: dict | None = None):
    return render_template("programme/notice.html", notice=notice, errors=errors or {}, form=request.form,
                           period_open=objections.period_open(notice, beijing_today())), status, headers or {}


@bp.post("/notices/<int:notice_id>/objections")
@login_required
def notice_object(notice_id: int):
    """File an objection; on a refusal the page comes back with what was typed and the reason."""
    notice = notices.get(db.session, notice_id, user())
    try:
        objections.file(db.session, user(), notice, text=request.form.get("text", ""),
                        line=request.form.get("line", ""), today=beijing_today(),
                        max_count=current_app.config["ENQUIRY_MAX_PER_WINDOW"],
                        window=timedelta(minutes=current_app.config["ENQUIRY_WINDOW_MINUTES"]))
    except (Invalid, Conflict) as err:
        return _notice_page(notice, err.fields, failed(err, inline=True))
    except TooManyRequests as err:
        failed(err, inline=True)
        return _notice_page(notice, {}, 429, {"Retry-After": str(err.retry_after)})
    db.session.commit()
    flash(_("异议已提交给%(org)s，处理结果会在“我的异议”中提示您。", org=notice.org.name), "success")
    return redirect(url_for(".my_objections"))


@bp.get("/objections")
@login_required
def my_objections():
    me = user()
    items = objections.mine(db.session, me)
    unread = {o.id for o in items if not o.reply_seen}
    if unread:
        objections.mark_seen(db.session, me)
        db.session.commit()
    return render_template("programme/objections_mine.html", items=items, unread=unread,
                           labels=objections.STATUS_LABELS)



# -- staff -----------------------------------------------------------------------------------------------
@staff_bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def notice_new():
    unions, plan, status = plans.staff_unions(db.session, user()), plans.chosen(db.session, year_arg()), 200
    if not unions:
        abort(403)
    if request.method == "POST":
        org = next((u for u in unions if u.code == request.form.get("org")), unions[0])
        try:
            notice = notices.publish(db.session, user(), plan, org, request.form.get("kind", ""),
                                     day("published_on") or beijing_today(), number("objection_days", 5))
        except (Invalid, Conflict) as err:
            status = failed(err)
        else:
            db.session.commit()
            flash(_("公示已发布。"), "success")
            return redirect(url_for("programme.notice_show", notice_id=notice.id))
    return render_template("programme/notice_new.html", unions=unions, plan=plan, today=beijing_today()), status


@staff_bp.get("/objections/review")
@login_required
def objection_queue():
    """Objections to the notices of the user's unions (and those below): open ones to resolve, or resolved ones."""
    status = "resolved" if request.args.get("status") == "resolved" else "open"
    return render_template("programme/objections_review.html", status=status, mask_name=mask_name,
                           items=objections.for_staff(db.session, user(), status), labels=objections.STATUS_LABELS)


@staff_bp.post("/objections/<int:objection_id>/resolve")
@login_required
def resolve_objection(objection_id: int):
    acted(lambda: objections.resolve(db.session, user(), objections.get(db.session, user(), objection_id),
                                     request.form.get("decision", ""), request.form.get("reply", "")),
          _("已记录处理结果，异议人会在网站上看到答复。"))
    return redirect(url_for(".objection_queue"))
