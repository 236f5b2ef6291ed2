"""Pages of the enterprise core. A worker's 我的企业 (link, consent, withdraw, the recommendations they got);
the enterprise's staff pages: its workers (confirm links, nominate, enrol in one batch), the batch upload, the
progress of consenting workers and its subsidy. Thin: each reads the form, calls a service, commits once."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, Role, User
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.tabular import TableLimits
from app.web import current_user_required as me_required
from app.web import uploaded_file
from catalog.models import Resource, ResourceStatus
from credits import pathways
from programme.admissions import declarations, plans
from programme.admissions.labels import ATTAINMENT_LABELS
from programme.admissions.models import Application, Attainment
from programme.enterprises import batch, links, nominations, progress, topups
from programme.enterprises.models import Nomination
from programme.web import acted, bp, failed, number, staff_bp


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    """`enterprise_nominations(application)`: the recommendations behind an application, for the union's verify
    queue and the worker's page (admissions sits below this package, so its templates ask through this)."""
    def enterprise_nominations(application: Application) -> list[Nomination]:
        return nominations.for_application(db.session, application)
    return {"enterprise_nominations": enterprise_nominations, "link_labels": links.STATUS_LABELS,
            "history_labels": links.HISTORY_LABELS}


# ---- the worker

@bp.get("/employer")
@login_required
def employer() -> ResponseReturnValue:
    me = me_required()
    query = request.args.get("q", "")
    return render_template("programme/enterprises/employer.html", link=links.link_of(db.session, me), q=query,
                           found=links.find_enterprises(db.session, query),
                           nominations=nominations.for_worker(db.session, me),
                           history=links.history(db.session, me))


@bp.post("/employer/link")
@login_required
def employer_link() -> ResponseReturnValue:
    acted(lambda: links.link(db.session, me_required(), request.form.get("enterprise", "")),
          _("已关联企业，等待企业确认。"))
    return redirect(url_for(".employer"))


@bp.post("/employer/consent")
@login_required
def employer_consent() -> ResponseReturnValue:
    given = request.form.get("given") == "1"
    acted(lambda: links.set_consent(db.session, me_required(), given),
          _("已授权企业查看您的学习进度、学分和证书。") if given else _("已撤回授权，企业从现在起看不到您的学习情况。"))
    return redirect(url_for(".employer"))


@bp.post("/employer/unlink")
@login_required
def employer_unlink() -> ResponseReturnValue:
    acted(lambda: links.unlink(db.session, me_required()), _("已解除与企业的关联。"))
    return redirect(url_for(".employer"))


# ---- the enterprise's staff

def _enterprise(me: User) -> Organisation:
    """The enterprise the page acts for: the one `org` names among the user's, else their first."""
    own = scope.orgs_of(me, roles=(Role.enterprise_staff,), kinds=(OrgKind.enterprise,))
    if not own:
        raise Forbidden(_("只有企业工作人员可以使用这个页面。"))
    code = request.values.get("org")
    return next((o for o in own if o.code == code), own[0])


def _ids() -> list[int]:
    return [int(v) for v in request.form.getlist("ids") if v.isascii() and v.isdigit() and len(v) < 12]


def _targets() -> dict[str, Any]:
    resources = db.session.query(Resource).filter(Resource.status == ResourceStatus.published) \
        .order_by(Resource.title).limit(200).all()
    return {"resources": resources, "pathways": pathways.active(db.session)}


@staff_bp.get("/enterprise")
@login_required
def enterprise_home() -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    plan = plans.current_plan(db.session)
    return render_template("programme/enterprises/home.html", enterprise=enterprise,
                           links=links.of_enterprise(db.session, me, enterprise),
                           nominations=nominations.of_enterprise(db.session, me, enterprise),
                           offerings=declarations.menu(db.session, plan) if plan else [], **_targets())


@staff_bp.post("/enterprise/links/<int:link_id>")
@login_required
def enterprise_link_decide(link_id: int) -> ResponseReturnValue:
    me = me_required()
    confirm = request.form.get("decision") == "confirm"
    acted(lambda: links.decide(db.session, me, _enterprise(me), link_id, confirm),
          _("已确认为本企业职工。") if confirm else _("已标记为非本企业职工。"))
    return redirect(url_for(".enterprise_home"))


@staff_bp.post("/enterprise/nominate")
@login_required
def enterprise_nominate() -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    try:
        offering = declarations.get(db.session, number("offering"))
        made = nominations.nominate(db.session, me, enterprise, _ids(), offering, request.form.get("note", ""))
    except Invalid as err:
        failed(err)
    else:
        db.session.commit()
        flash(_("已推荐%(n)d名职工报读“%(major)s”，职工会在“我的企业”中看到。", n=len(made), major=offering.major),
              "success")
    return redirect(url_for(".enterprise_home"))


@staff_bp.post("/enterprise/nominations/<int:nomination_id>/withdraw")
@login_required
def enterprise_nomination_withdraw(nomination_id: int) -> ResponseReturnValue:
    me = me_required()
    acted(lambda: nominations.withdraw(db.session, me, _enterprise(me), nomination_id), _("已撤回推荐。"))
    return redirect(url_for(".enterprise_home"))


def _rows(enterprise: Organisation) -> list[batch.Row]:
    data, name = uploaded_file()
    if data:
        return batch.rows_from_file(data, name, TableLimits.from_config(current_app.config))
    return batch.rows_from_picks(db.session, enterprise, _ids())


@staff_bp.route("/enterprise/enrol", methods=["GET", "POST"])
@login_required
def enterprise_enrol() -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind, _sep, raw_id = request.form.get("target", "").partition(":")
        try:
            found = batch.target(db.session, kind, raw_id)
            result = batch.enrol_group(db.session, me, enterprise, found, _rows(enterprise))
        except Invalid as err:
            db.session.rollback()
            flash(err.message, "error")
            errors = err.fields
        else:
            db.session.commit()
            flash(_("已为%(n)d名职工报名“%(title)s”，共%(places)d门次（已报名过的不会重复报名）。",
                    n=len(result.workers), title=found.title, places=result.enrolled), "success")
            return redirect(url_for(".enterprise_progress"))
    return render_template("programme/enterprises/enrol.html", enterprise=enterprise, errors=errors,
                           chosen=request.form.get("target", ""), **_targets()), 400 if errors else 200


@staff_bp.get("/enterprise/progress")
@login_required
def enterprise_progress() -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    return render_template("programme/enterprises/progress.html", enterprise=enterprise,
                           items=progress.workers(db.session, me, enterprise))


@staff_bp.get("/enterprise/progress/<int:user_id>")
@login_required
def enterprise_worker(user_id: int) -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    return render_template("programme/enterprises/worker.html", enterprise=enterprise,
                           p=progress.worker(db.session, me, enterprise, user_id))


@staff_bp.route("/enterprise/subsidy", methods=["GET", "POST"])
@login_required
def enterprise_subsidy() -> ResponseReturnValue:
    me = me_required()
    enterprise = _enterprise(me)
    plan = plans.current_plan(db.session)
    errors: dict[str, str] = {}
    if plan is None:
        return render_template("programme/enterprises/subsidy.html", enterprise=enterprise, plan=None)
    if request.method == "POST":
        data = topups.SubsidyInput(amount_yuan=number("amount_yuan", -1), budget_yuan=number("budget_yuan", -1),
                                   attainments=tuple(request.form.getlist("attainments")),
                                   conditions=request.form.get("conditions", ""))
        try:
            topups.set_subsidy(db.session, me, enterprise, plan, data)
        except Invalid as err:
            db.session.rollback()
            flash(err.message, "error")
            errors = err.fields
        else:
            db.session.commit()
            flash(_("企业补贴已保存。"), "success")
            return redirect(url_for(".enterprise_subsidy"))
    return render_template("programme/enterprises/subsidy.html", enterprise=enterprise, plan=plan, errors=errors,
                           row=topups.of_year(db.session, enterprise, plan), labels=ATTAINMENT_LABELS,
                           attainments=list(Attainment), form=request.form if errors else None), 400 if errors else 200
