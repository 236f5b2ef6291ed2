"""Admissions pages for the public and workers: the year's 报读 menu, an offering with the worker's own
eligibility verdict, applying and following one's applications (with the subsidy claims on them), the
institution's declaration page, and the recruitment QR codes that bring workers in. Thin: read the form,
call a service, commit once, render."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.accounts.policy import can, orgs_for
from app.errors import Conflict, Invalid
from app.extensions import db
from app.pagination import page_args
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from programme.admissions import applications, attribution, declarations, plans, profiles, qrcodes
from programme.admissions.declarations import MODES, SKILL_LEVELS, OfferingInput
from programme.admissions.labels import ATTAINMENT_LABELS, LEVEL_LABELS
from programme.money import subsidies
from programme.network import points
from programme.web import acted, bp, failed, number, support_bp, year_arg


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"level_labels": LEVEL_LABELS, "attainment_labels": ATTAINMENT_LABELS,
            "status_labels": applications.STATUS_LABELS}


@bp.route("/")
def index():
    plan = plans.current_plan(db.session)
    menu = declarations.menu(db.session, plan) if plan else []
    return render_template("programme/index.html", plan=plan, menu=menu)


@bp.route("/offerings/<int:offering_id>", methods=["GET", "POST"])
def offering(offering_id: int):
    item, me, status = declarations.get(db.session, offering_id), user(), 200
    if not declarations.visible_to(me, item):
        abort(404)
    if request.method == "POST":
        if me is None:
            return redirect(url_for("auth.login", next=request.path))
        if me.profile is None:  # registration asks no profile: the first application does, then comes back
            flash(_("报读前请先填写个人资料，保存后回到此页继续。"), "info")
            return redirect(url_for("me.profile", next=request.path))
        refused = acted(lambda: applications.apply(db.session, me, item, beijing_today()),
                        _("报读申请已提交，请等待县级工会审核。"))
        if refused is None:
            return redirect(url_for(".mine"))
        status = refused
    verdict = None
    if me is not None:
        verdict = profiles.verdict(me, item.level, item.plan.notice_date)
    return render_template("programme/offering.html", item=item, verdict=verdict), status


@bp.route("/mine")
@login_required
def mine(typed: dict[str, Any] | None = None):
    """The worker's applications and claims; `typed` is a refused claim's form, shown again with its errors."""
    me = user()
    return render_template("programme/mine.html", apps=applications.mine(db.session, me),
                           claims=subsidies.mine(db.session, me), steps=applications.steps, typed=typed,
                           service_point=points.nearest(db.session, me))


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int):
    try:
        applications.withdraw(db.session, user(), applications.get(db.session, application_id))
    except Conflict as err:
        failed(err)
    else:
        db.session.commit()
        flash(_("申请已撤回，名额已释放。"), "success")
    return redirect(url_for(".mine"))


@bp.route("/declare", methods=["GET", "POST"])
@login_required
def declare():
    me, plan, status, errors = user(), plans.chosen(db.session, year_arg()), 200, {}
    own = orgs_for(me, Role.institution_staff)
    if not own and not can(me, "admin.site"):
        abort(403)
    if request.method == "POST":
        data = OfferingInput(kind=request.form.get("kind", ""), level=request.form.get("level", ""),
                             major=request.form.get("major", ""), mode=request.form.get("mode", ""),
                             years=number("years"), tuition_yuan=number("tuition_yuan"),
                             discount_yuan=number("discount_yuan"), scholarships=request.form.get("scholarships", ""),
                             places=number("places"))
        institution = next((o for o in own if o.code == request.form.get("institution")), own[0] if own else None)
        try:
            if institution is None:
                raise Invalid(_("请选择院校。"), fields={"institution": _("请选择院校。")})
            declarations.declare(db.session, me, plan, institution, data)
        except (Invalid, Conflict) as err:
            status, errors = failed(err, inline=True), err.fields
        else:
            db.session.commit()
            flash(_("已提交申报，等待遴选。"), "success")
            return redirect(url_for(".declare"))
    return render_template("programme/declare.html", plan=plan, own=own, errors=errors, modes=MODES,
                           skill_levels=SKILL_LEVELS, offerings=declarations.of_institutions(db.session, plan, own),
                           form=request.form), status


# -- recruitment QR codes --------------------------------------------------------------------------------
@support_bp.before_app_request
def _remember_via() -> None:
    """A visit through a recruitment QR code (?via=<union code>) is remembered until the visitor registers."""
    # the query is parsed only when it names `via` (our QR links spell it so), not on every page: a Chinese
    # search's query, percent-decoded, was most of this hook's cost
    if b"via" in request.query_string and "via" in request.args and not current_user.is_authenticated:
        attribution.remember(session, request.args.get("via"))


def _qr_url(code: str) -> str:
    return url_for("catalog.union_catalog", code=code, via=code, _external=True)


@support_bp.get("/qr")
@login_required
def qr_list():
    text = (request.args.get("q") or "").strip()[:50]
    page, per_page = page_args(request.args, default_per_page=20, max_per_page=100)
    return render_template("programme/qr/list.html", text=text,
                           unions=qrcodes.unions_page(db.session, user(), text, page, per_page))


@support_bp.get("/qr/<code>.png")
def qr_png(code: str):
    qrcodes.union(db.session, code)
    return Response(qrcodes.png(_qr_url(code)), mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@support_bp.get("/qr/<code>.pdf")
def qr_pdf(code: str):
    org = qrcodes.union(db.session, code)
    body = qrcodes.pdf(org, _qr_url(code), heading=_("职工学历技能双提升 · 扫码学习"),
                       lines=[_("微信或手机浏览器扫码，进入本级工会资源开放目录"), _("注册后即可在线学习、报读、咨询")])
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": qrcodes.content_disposition(code)})
