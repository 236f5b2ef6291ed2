"""Admissions pages for staff: the province's annual plan, quota tables per union, selection of declarations,
county verification, institution admission and enrolment (where the institution also files claims for the
worker). Every decision is the services' (and the policy's); these only carry forms."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import organisations
from app.accounts.models import Role
from app.accounts.policy import can, orgs_for, require
from app.errors import Conflict, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from app.web import settle_bulk
from programme.admissions import applications, bulk, declarations, plans, quotas
from programme.admissions.models import Application, AppStatus
from programme.money import subsidies
from programme.web import acted, day, failed, number, staff_bp, year_arg


@staff_bp.route("/plans", methods=["GET", "POST"])
@login_required
def plan_list():
    me, province, status, errors = user(), plans.province(db.session), 200, {}
    require(me, "plan.manage", province)
    if request.method == "POST":
        opens, closes, notice = day("opens_on"), day("closes_on"), day("notice_date")
        standards = {k: number(k) for k in plans.STANDARD_FIELDS if request.form.get(k)}
        try:
            if not (opens and closes and notice):
                raise Invalid(_("请填写发文日期、报读开始和截止日期（年-月-日）。"),
                              fields={k: _("请填写日期。") for k, v in
                                      (("notice_date", notice), ("opens_on", opens), ("closes_on", closes)) if not v})
            plans.open_plan(db.session, me, plans.PlanInput(
                year=number("year"), notice_date=notice, opens_on=opens, closes_on=closes,
                target_places=number("target_places", 10_000), budget_yuan=number("budget_yuan", 10_000_000),
                standards=standards))
        except (Invalid, Conflict) as err:
            status, errors = failed(err, inline=True), err.fields
        else:
            db.session.commit()
            flash(_("年度计划已创建，可以向各市分配名额了。"), "success")
            return redirect(url_for(".quota_table", code=province.code))
    return render_template("programme/plans.html", items=plans.all_plans(db.session), errors=errors,
                           form=request.form, province=province, today=beijing_today()), status


@staff_bp.route("/plans/<int:year>/edit", methods=["GET", "POST"])
@login_required
def plan_edit(year: int):
    me, province, status, errors = user(), plans.province(db.session), 200, {}
    require(me, "plan.manage", province)
    plan = plans.get_plan(db.session, year)
    form = request.form if request.method == "POST" else {
        k: getattr(plan, k) for k in plans.EDITABLE_NUMBERS + plans.EDITABLE_DATES}
    if request.method == "POST":
        fields = plans.EDITABLE_NUMBERS + plans.EDITABLE_DATES
        try:
            changes = plans.update_plan(db.session, me, plan, {k: request.form.get(k, "") for k in fields})
        except (Invalid, Conflict) as err:
            status, errors = failed(err, inline=True), err.fields
        else:
            db.session.commit()
            flash(_("已保存 %(n)d 项修改。", n=len(changes)) if changes else _("没有修改。"), "success")
            return redirect(url_for(".plan_edit", year=year))
    return render_template("programme/plan_edit.html", plan=plan, form=form, errors=errors,
                           history=plans.plan_history(db.session, plan)), status


@staff_bp.route("/quotas/<code>", methods=["GET", "POST"])
@login_required
def quota_table(code: str):
    me, org, status, errors = user(), organisations.get_by_code(db.session, code), 200, {}
    plan = plans.chosen(db.session, year_arg())
    if not quotas.may_view_table(me, org):
        abort(403)
    if request.method == "POST":
        try:
            if request.form.get("top_up") is not None:
                quotas.set_top_up(db.session, me, plan, org, number("top_up"))
            else:
                quotas.allocate_to_child(db.session, me, plan, org, request.form.get("child"), number("places"),
                                         number("budget_yuan"))
        except (Invalid, Conflict) as err:
            status, errors = failed(err, inline=True), err.fields
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".quota_table", code=code, year=plan.year))
    rows = quotas.totals(db.session, plan, org)
    paid = {r.org.id: subsidies.spending(db.session, plan, r.org).total_paid for r in rows}
    text = (request.args.get("q") or "").strip()[:50]  # the 筛选 sheet: find one union below by name or code
    shown = rows[:1] + [r for r in rows[1:] if not text or text in r.org.name or text in r.org.code]
    return render_template("programme/quotas.html", org=org, plan=plan, rows=rows, shown=shown, paid=paid,
                           text=text, years=[p.year for p in plans.all_plans(db.session)],
                           history=quotas.history(db.session, plan, org), errors=errors,
                           can_allocate=can(me, "quota.allocate", org), can_top_up=can(me, "quota.top_up", org),
                           spending=subsidies.spending(db.session, plan, org)), status


@staff_bp.route("/review")
@login_required
def review_queue():
    me, plan = user(), plans.chosen(db.session, year_arg())
    items = declarations.to_review(db.session, me, plan)
    return render_template("programme/review.html", plan=plan, items=items)


@staff_bp.post("/offerings/<int:offering_id>/review")
@login_required
def review(offering_id: int):
    acted(lambda: declarations.review(db.session, user(), declarations.get(db.session, offering_id),
                                      request.form.get("decision", ""), request.form.get("comment", "")),
          _("已保存遴选结果。"))
    return redirect(url_for(".review_queue"))


@staff_bp.route("/verify")
@login_required
def verify_queue():
    items = applications.for_unions(db.session, plans.staff_unions(db.session, user()),
                                     AppStatus.applied)
    return render_template("programme/verify.html", items=items)


@staff_bp.post("/applications/<int:application_id>/verify")
@login_required
def verify(application_id: int):
    acted(lambda: applications.verify(db.session, user(), applications.get(db.session, application_id),
                                      request.form.get("decision") == "approve", request.form.get("note", "")),
          _("已保存审核结果。"))
    return redirect(url_for(".verify_queue"))


@staff_bp.post("/applications/verify")
@login_required
def verify_bulk():
    settle_bulk(lambda: bulk.verify_many(db.session, user(), request.form.getlist("ids"),
                                         request.form.get("decision") == "approve", request.form.get("note", "")))
    return redirect(url_for(".verify_queue"), 303)


@staff_bp.route("/admissions")
@login_required
def admissions(typed: dict[str, Any] | None = None):
    """Applications to the staff's institutions; `typed` is a refused claim's form, shown again with its errors."""
    own = orgs_for(user(), Role.institution_staff)
    items = applications.for_institutions(db.session, own)
    claims = subsidies.for_enrolments(db.session, [a.enrolment.id for a in items if a.enrolment])
    return render_template("programme/admissions.html", items=items, claims=claims, today=beijing_today(), typed=typed)


@staff_bp.post("/applications/<int:application_id>/admit")
@login_required
def admit(application_id: int):
    item = applications.get(db.session, application_id)
    acted(lambda: _admission_step(item), _("已保存。"))
    return redirect(url_for(".admissions"))


def _admission_step(item: Application) -> None:
    """The institution desk's buttons on one application: admit or not, enrol, record graduation."""
    if request.form.get("decision") == "graduate":
        when = day("graduated_on")
        if when is None:
            raise Invalid(_("请填写毕业日期（年-月-日）。"), fields={"graduated_on": _("请填写日期。")})
        applications.graduate(db.session, user(), item, when)
    elif request.form.get("decision") == "enrol":
        applications.enrol(db.session, user(), item, request.form.get("student_number", ""),
                           day("enrolled_on") or beijing_today())
    else:
        applications.admit(db.session, user(), item, request.form.get("decision") == "approve",
                           request.form.get("note", ""))
