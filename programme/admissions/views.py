"""The programme's public and worker pages: the year's 报读 menu, an offering with the worker's own
eligibility verdict, applying and following one's applications, claiming subsidies, public notices,
and the institution's declaration page. Thin: read the form, call a service, commit once, render."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.accounts.policy import can, orgs_for
from app.errors import Conflict, DomainError, Invalid, NotFound, TooManyRequests
from app.extensions import db
from app.timefmt import beijing_today
from learning import evidence_files
from programme import applications, declarations, evidence, notices, objections, plans, profiles, subsidies
from programme.declarations import MODES, SKILL_LEVELS, OfferingInput
from programme.models import EnrolmentRecord, OfferingStatus, Plan
from programme.notices import ATTAINMENT_LABELS, KIND_LABELS, LEVEL_LABELS

bp = Blueprint("programme", __name__, url_prefix="/programme", template_folder="templates")


def user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def failed(err: DomainError, *, inline: bool = False) -> int:
    """Undo the half-done change and show why. Pages that redirect show the field messages in the flash;
    pages that re-render (`inline`) show them beside their fields."""
    db.session.rollback()
    details = "" if inline or not err.fields else " " + "；".join(err.fields.values())
    flash(err.message + details, "error")
    return 409 if isinstance(err, Conflict) else 400


def number(name: str, default: int = 0) -> int:
    """A whole number from the form; text that is not one becomes -1, which every service refuses."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return -1


def day(name: str) -> date | None:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        return None


def the_plan() -> Plan:
    year = request.args.get("year", type=int)
    plan = plans.get_plan(db.session, year) if year else plans.current_plan(db.session)
    if plan is None:
        raise NotFound(_("还没有年度计划。"))
    return plan


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    def objection_unread() -> int:  # called by the templates that show it, so other pages pay nothing
        me = user()
        return objections.unread_count(db.session, me) if me is not None else 0

    return {"level_labels": LEVEL_LABELS, "attainment_labels": ATTAINMENT_LABELS, "notice_kinds": KIND_LABELS,
            "status_labels": applications.STATUS_LABELS, "objection_unread": objection_unread}


@bp.route("/")
def index():
    plan = plans.current_plan(db.session)
    menu = declarations.menu(db.session, plan) if plan else []
    return render_template("programme/index.html", plan=plan, menu=menu)


@bp.route("/offerings/<int:offering_id>", methods=["GET", "POST"])
def offering(offering_id: int):
    item, me, status = declarations.get(db.session, offering_id), user(), 200
    if item.status != OfferingStatus.selected and not (
            me and (can(me, "offering.review", item) or can(me, "offering.declare", item.institution))):
        abort(404)
    if request.method == "POST":
        if me is None:
            return redirect(url_for("auth.login", next=request.path))
        if me.profile is None:  # registration asks no profile: the first application does, then comes back
            flash(_("报读前请先填写个人资料，保存后回到此页继续。"), "info")
            return redirect(url_for("me.profile", next=request.path))
        try:
            applications.apply(db.session, me, item, beijing_today())
        except (Invalid, Conflict) as err:
            status = failed(err)
        else:
            db.session.commit()
            flash(_("报读申请已提交，请等待县级工会审核。"), "success")
            return redirect(url_for(".mine"))
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
                           claims=subsidies.mine(db.session, me), steps=applications.steps, typed=typed)


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


@bp.post("/enrolments/<int:enrolment_id>/claim")
@login_required
def claim(enrolment_id: int):
    record = db.session.get(EnrolmentRecord, enrolment_id)
    if record is None:
        abort(404)
    typed = {name: request.form.get(name, "") for name in ("attainment", "certificate_number", "evidence",
                                                             "attained_on")}
    try:
        attained = day("attained_on")
        if typed["attained_on"].strip() and attained is None:
            raise Invalid(_("补贴申请有误，请按提示修改。"),
                          fields={"attained_on": _("日期格式应为 年-月-日，例如 2025-07-01。")})
        subsidies.claim(db.session, user(), record, typed["attainment"], typed["certificate_number"],
                        typed["evidence"], files=_uploads(), storage=evidence.storage(current_app.config["DATA_DIR"]),
                        attained_on=attained)
    except (Invalid, Conflict) as err:  # the page again, with what was typed and why it was refused
        status = failed(err, inline=True)
        typed.update(enrolment_id=record.id, errors=err.fields)
        if _to_admissions():
            from programme.staff_views import admissions  # staff_views builds on this module

            return admissions(typed), status
        return mine(typed), status
    db.session.commit()
    flash(_("补贴申请已提交，请等待工会审核。"), "success")
    return _back()


def _uploads() -> list[bytes]:
    """The chosen evidence files (a file input left empty sends a part with no name: skipped)."""
    return [f.read() for f in request.files.getlist(evidence.FIELD) if f.filename]


def _to_admissions() -> bool:
    """The form was sent from the institution's admissions page (filed for the worker)."""
    return request.form.get("back") == url_for("programme_staff.admissions")


def _back():
    return redirect(url_for("programme_staff.admissions") if _to_admissions() else url_for(".mine"))


@bp.post("/claims/<int:claim_id>/evidence")
@login_required
def claim_evidence(claim_id: int):
    """Add a scan or photo to a claim awaiting review; a refused file leaves the claim and its files as they were."""
    item = subsidies.get(db.session, claim_id)
    try:
        files = _uploads()
        if not files:
            raise Invalid(_("请选择要上传的文件（PDF、JPEG 或 PNG）。"), fields={evidence.FIELD: _("请选择文件。")})
        evidence.attach(db.session, user(), item, files, evidence.storage(current_app.config["DATA_DIR"]))
    except (Invalid, Conflict) as err:
        failed(err)
    else:
        db.session.commit()
        flash(_("证明材料已上传。"), "success")
    return _back()


@bp.post("/claims/<int:claim_id>/amend")
@login_required
def claim_amend(claim_id: int):
    """Correct the number or date of a claim awaiting review (what resolves a mismatch on the claim's side)."""
    item = subsidies.get(db.session, claim_id)
    try:
        attained = day("attained_on")
        if (request.form.get("attained_on") or "").strip() and attained is None:
            raise Invalid(_("补贴申请有误，请按提示修改。"),
                          fields={"attained_on": _("日期格式应为 年-月-日，例如 2025-07-01。")})
        subsidies.amend(db.session, user(), item, request.form.get("certificate_number", ""), attained)
    except (Invalid, Conflict) as err:
        failed(err)
    else:
        db.session.commit()
        flash(_("补贴申请已更正，请等待工会审核。"), "success")
    return _back()


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int):
    """Always a download (never shown inline), with the type judged from the content when it was stored."""
    item = evidence.for_download(db.session, user(), evidence_id)
    stream = evidence.storage(current_app.config["DATA_DIR"]).open(item.key)
    return evidence_files.send(stream, item.kind, evidence.download_name(item))


@bp.route("/declare", methods=["GET", "POST"])
@login_required
def declare():
    me, plan, status, errors = user(), the_plan(), 200, {}
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


@bp.route("/notices")
def notice_list():
    return render_template("programme/notices.html", items=notices.public(db.session))


@bp.route("/notices/<int:notice_id>")
def notice_show(notice_id: int):
    return _notice_page(notices.get(db.session, notice_id))


def _notice_page(notice, errors: dict[str, str] | None = None, status: int = 200, headers: dict | None = None):
    return render_template("programme/notice.html", notice=notice, errors=errors or {}, form=request.form,
                           period_open=objections.period_open(notice, beijing_today())), status, headers or {}


@bp.post("/notices/<int:notice_id>/objections")
@login_required
def notice_object(notice_id: int):
    """File an objection; on a refusal the page comes back with what was typed and the reason."""
    notice = notices.get(db.session, notice_id)
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

