"""Pages where the programme talks with people: enquiries and the policy page, surveys and teaching quality
(public notices and objections are in notice_views.py). Thin: read the request, call a service, commit once,
render."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import organisations
from app.accounts.masking import mask_name
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Conflict, Invalid, TooManyRequests
from app.extensions import db
from app.richtext import source_of
from app.web import commit_or_show
from app.web import current_user_or_none as _user
from app.web import show_invalid as _invalid
from programme.admissions import plans
from programme.voice import enquiries, escalation, surveys
from programme.web import support_bp


# -- enquiries -------------------------------------------------------------------------------------------
@support_bp.route("/enquiries", methods=["GET", "POST"])
@login_required
def enquiry_list():
    user, errors, status, headers = _user(), {}, 200, {}
    if request.method == "POST":
        try:
            enquiry = enquiries.ask(
                db.session, user, subject=request.form.get("subject", ""), question=request.form.get("question", ""),
                level=request.form.get("level", ""), max_count=current_app.config["ENQUIRY_MAX_PER_WINDOW"],
                window=timedelta(minutes=current_app.config["ENQUIRY_WINDOW_MINUTES"]))
        except Invalid as err:
            errors, status = _invalid(err), 400
        except TooManyRequests as err:  # keep what was typed on the page; the header says when to retry
            _invalid(err)
            status, headers["Retry-After"] = 429, str(err.retry_after)
        else:
            db.session.commit()
            flash(_("已提交给%(org)s，回复后会在“我的咨询”中提示您。", org=enquiry.org.name), "success")
            return redirect(url_for(".enquiry_show", enquiry_id=enquiry.id))
    return render_template("programme/enquiries/list.html", items=enquiries.mine(db.session, user), errors=errors,
                           form=request.form, levels=enquiries.LEVELS), status, headers


@support_bp.route("/enquiries/<int:enquiry_id>", methods=["GET", "POST"])
@login_required
def enquiry_show(enquiry_id: int):
    user, errors, status = _user(), {}, 200
    enquiry = enquiries.get(db.session, user, enquiry_id)
    if request.method == "POST":
        try:  # `seen`: the answer the page showed, so one written since is not replaced unseen
            _answered, failed = commit_or_show(lambda: enquiries.answer(
                db.session, user, enquiry, request.form.get("answer", ""), seen=request.form.get("seen", "")))
        except Conflict as err:  # the page again, with the answer now stored and the text typed kept
            db.session.rollback()
            flash(err.message, "error")
            status = 409
        else:
            if failed is None:
                flash(_("回复已发送。"), "success")
                return redirect(url_for(".enquiry_inbox"))
            errors, status = failed, 400
    elif enquiry.asker_id == user.id and not enquiry.answer_seen:
        enquiries.mark_seen(db.session, user, enquiry)
        db.session.commit()
    return render_template("programme/enquiries/show.html", enquiry=enquiry, errors=errors,
                           can_answer=can(user, "enquiry.answer", enquiry), asker=mask_name(enquiry.asker.name)), status


@support_bp.get("/enquiries/inbox")
@login_required
def enquiry_inbox():
    status = request.args.get("status", "open")
    page = request.args.get("page", 1, type=int) or 1
    items, total = enquiries.inbox(db.session, _user(), status=status, page=page)
    return render_template("programme/enquiries/inbox.html", items=items, total=total, status=status, page=page,
                           pages=max(1, -(-total // enquiries.PAGE_SIZE)), mask_name=mask_name,
                           age=lambda e: escalation.age_text(e.created_at, utcnow()))


@support_bp.get("/policy")
def policy():
    return render_template("programme/faq/show.html", page=enquiries.policy_page(db.session),
                           can_edit=can(_user(), "policy.edit", plans.province(db.session)))


@support_bp.route("/policy/edit", methods=["GET", "POST"])
@login_required
def policy_edit():
    user, errors, status = _user(), {}, 200
    page = enquiries.policy_page(db.session)
    require(user, "policy.edit", plans.province(db.session))
    form = request.form if request.method == "POST" else {
        "title": page.title if page else _("政策与常见问题"),
        "body": source_of(page.body_md, page.body_html) if page else ""}
    if request.method == "POST":
        _page, failed = commit_or_show(lambda: enquiries.save_policy_page(
            db.session, user, title=form.get("title", ""), body=form.get("body", "")))
        if failed is None:
            flash(_("已保存。"), "success")
            return redirect(url_for(".policy"))
        errors, status = failed, 400
    return render_template("programme/faq/edit.html", form=form, errors=errors), status


# -- surveys ---------------------------------------------------------------------------------------------
@support_bp.route("/surveys/<kind>/<int:target_id>", methods=["GET", "POST"])
def survey(kind: str, target_id: int):
    user, errors, status = _user(), {}, 200
    found = surveys.target(db.session, kind, target_id)
    if request.method == "POST":
        if user is None:
            return redirect(url_for("auth.login", next=request.path))
        try:
            surveys.respond(db.session, user, found, satisfaction=request.form.get("satisfaction"),
                            teaching=request.form.get("teaching"), comment=request.form.get("comment", ""),
                            as_employer=bool(request.form.get("as_employer")))
        except Conflict as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 409
        except Invalid as err:
            errors, status = _invalid(err), 400
        else:
            db.session.commit()
            flash(_("感谢您的评价！"), "success")
            return redirect(request.path)
    mine = surveys.existing(db.session, user, found) if user is not None else None
    is_employer = user is not None and surveys.is_employer(user)
    return render_template("programme/surveys/show.html", target=found, floor=_floor(),
                           summary=surveys.published_summary(db.session, found, _floor()),
                           mine=mine, errors=errors, form=request.form, is_employer=is_employer,
                           can_rate=is_employer or (user is not None and surveys.took_part(db.session, user, found))
                           ), status


@support_bp.get("/surveys/mine")
@login_required
def survey_mine():
    return render_template("programme/surveys/mine.html", items=surveys.rateable(db.session, _user()))


@support_bp.get("/surveys/quality")
def survey_quality():
    rows, user = surveys.published_quality(db.session, _floor()), _user()
    readable = {q.provider.id for q in rows if can(user, "survey.view", q.provider)}  # reviewers read every answer
    return render_template("programme/surveys/quality.html", rows=rows, readable=readable, floor=_floor())


def _floor() -> int:
    """The privacy floor of every published figure (the quality report's and course analytics')."""
    return int(current_app.config["ANALYTICS_MIN_LEARNERS"])


@support_bp.get("/surveys/provider/<code>")
@login_required
def survey_answers(code: str):
    provider = organisations.get_by_code(db.session, code)
    answers = surveys.answers_for(db.session, _user(), provider)
    return render_template("programme/surveys/answers.html", provider=provider, answers=answers, mask_name=mask_name)
