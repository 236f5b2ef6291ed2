"""Subsidy pages: a worker (or the institution for them) claims on an enrolment record, adds evidence files
and corrects a claim awaiting review; union staff review a claim beside the record it rests on, check the
evidence, decide, and pay approved claims in dated batches. Thin: read the form, call a service, commit once,
render."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import organisations
from app.accounts.policy import require
from app.errors import Conflict, Invalid
from app.extensions import db
from app.request_input import id_or_none
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from credits import evidence_files
from programme.admissions import applications, plans
from programme.admissions.staff_views import admissions
from programme.admissions.views import mine
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from programme.web import acted, bp, day, failed, staff_bp, year_arg


def _attained() -> date | None:
    """The claimed date from the form: empty is None, text that is not a date is refused by field."""
    attained = day("attained_on")
    if (request.form.get("attained_on") or "").strip() and attained is None:
        raise Invalid(_("补贴申请有误，请按提示修改。"),
                      fields={"attained_on": _("日期格式应为 年-月-日，例如 2025-07-01。")})
    return attained


def _uploads() -> list[bytes]:
    """The chosen evidence files (a file input left empty sends a part with no name: skipped)."""
    return [f.read() for f in request.files.getlist(evidence.FIELD) if f.filename]


def _to_admissions() -> bool:
    """The form was sent from the institution's admissions page (filed for the worker)."""
    return request.form.get("back") == url_for("programme_staff.admissions")


def _back():
    return redirect(url_for("programme_staff.admissions") if _to_admissions() else url_for(".mine"))


@bp.post("/enrolments/<int:enrolment_id>/claim")
@login_required
def claim(enrolment_id: int):
    record = applications.get_enrolment(db.session, enrolment_id)
    typed = {name: request.form.get(name, "") for name in ("attainment", "certificate_number", "evidence",
                                                             "attained_on")}
    try:
        subsidies.claim(db.session, user(), record, typed["attainment"], typed["certificate_number"],
                        typed["evidence"], files=_uploads(), storage=evidence.storage(current_app.config),
                        attained_on=_attained())
    except (Invalid, Conflict) as err:  # the page again, with what was typed and why it was refused
        status = failed(err, inline=True)
        typed.update(enrolment_id=record.id, errors=err.fields)
        return (admissions(typed) if _to_admissions() else mine(typed)), status
    db.session.commit()
    flash(_("补贴申请已提交，请等待工会审核。"), "success")
    return _back()


@bp.post("/claims/<int:claim_id>/evidence")
@login_required
def claim_evidence(claim_id: int):
    """Add a scan or photo to a claim awaiting review; a refused file leaves the claim and its files as they were."""
    item = subsidies.get(db.session, claim_id)
    acted(lambda: _attach(item), _("证明材料已上传。"))
    return _back()


def _attach(item: SubsidyClaim) -> None:
    files = _uploads()
    if not files:
        raise Invalid(_("请选择要上传的文件（PDF、JPEG 或 PNG）。"), fields={evidence.FIELD: _("请选择文件。")})
    evidence.attach(db.session, user(), item, files, evidence.storage(current_app.config))


@bp.post("/claims/<int:claim_id>/amend")
@login_required
def claim_amend(claim_id: int):
    """Correct the number or date of a claim awaiting review (what resolves a mismatch on the claim's side)."""
    item = subsidies.get(db.session, claim_id)
    acted(lambda: subsidies.amend(db.session, user(), item, request.form.get("certificate_number", ""), _attained()),
          _("补贴申请已更正，请等待工会审核。"))
    return _back()


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int):
    """Always a download (never shown inline), with the type judged from the content when it was stored."""
    item = evidence.for_download(db.session, user(), evidence_id)
    stream = evidence.storage(current_app.config).open(item.key)
    return evidence_files.send(stream, item.kind, evidence.download_name(item))


# -- staff -----------------------------------------------------------------------------------------------
@staff_bp.route("/subsidies")
@login_required
def subsidy_queue():
    unions, plan = plans.staff_unions(db.session, user()), plans.chosen(db.session, year_arg())
    return render_template("programme/subsidies.html", plan=plan, unions=unions,
                           claims=subsidies.for_unions(db.session, unions),
                           spending=[subsidies.spending(db.session, plan, u) for u in unions],
                           batches=[b for u in unions for b in subsidies.batches(db.session, plan, u)],
                           today=beijing_today(), statuses=ClaimStatus)
@staff_bp.get("/claims/<int:claim_id>/review")
@login_required
def claim_review(claim_id: int):
    """One claim beside the record it rests on, line by line; what blocks approval is said above the buttons."""
    item = subsidies.get(db.session, claim_id)
    require(user(), "subsidy.verify", item)
    return render_template("programme/claim_review.html", c=item, review=claim_checks.review(db.session, item),
                           own=user().id in claim_checks.claimants(item))


@staff_bp.post("/claims/<int:claim_id>/check-evidence")
@login_required
def check_evidence(claim_id: int):
    acted(lambda: claim_checks.check_evidence(db.session, user(), subsidies.get(db.session, claim_id),
                                              request.form.get("note", ""),
                                              request.form.getlist("seen_file", type=int) or None),
          _("已记录：证明材料核验无误。"))
    return redirect(url_for(".claim_review", claim_id=claim_id))


@staff_bp.post("/claims/<int:claim_id>/decide")
@login_required
def decide(claim_id: int):
    if acted(lambda: subsidies.decide(db.session, user(), subsidies.get(db.session, claim_id),
                                      request.form.get("decision") == "approve", request.form.get("comment", "")),
             _("已保存审核结果。")) is not None:
        return redirect(url_for(".claim_review", claim_id=claim_id))
    return redirect(url_for(".subsidy_queue"))


@staff_bp.post("/subsidies/<code>/pay")
@login_required
def pay(code: str):
    county = organisations.get_by_code(db.session, code)
    ids = [i for v in request.form.getlist("claim") if (i := id_or_none(v))]
    try:
        plan = plans.chosen(db.session, year_arg())
        typed = (request.form.get("paid_on") or "").strip()
        paid_on = day("paid_on") if typed else beijing_today()  # empty: today; unreadable: said, not guessed
        if paid_on is None:
            raise Invalid(_("请填写日期（年-月-日）。"), fields={"paid_on": _("日期有误。")})
        batch = subsidies.pay(db.session, user(), plan, county, ids, paid_on)
    except (Invalid, Conflict) as err:
        failed(err)
    else:
        db.session.commit()
        flash(_("已登记发放批次（%(n)d 笔）。", n=len(batch.payments)), "success")
    return redirect(url_for(".subsidy_queue"))

