"""Credit bank pages: the worker's ledger with pathway bars, recognition requests and their review, pathway
management for institutions, the conversion table for admins, the transcript (page and PDF), certificate
PDFs and the public verification page. Thin: read the request, call a service, commit once, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import sharedparts, stores
from app.accounts import organisations, policy, scope
from app.accounts.masking import mask_id_number, mask_name
from app.errors import DomainError, Invalid
from app.extensions import db
from app.request_input import id_or_none
from app.web import current_user_or_none, show_invalid
from app.web import current_user_required as _me
from credits import (
    certificates,
    conversion,
    evidence_files,
    ledger,
    pathways,
    recognition,
    recommendations,
    transcript,
)
from credits.models import OutcomeType, PathwayKind

bp = Blueprint("credits", __name__, template_folder="templates")


@bp.app_template_global()
def credit_facts(resource: Any) -> dict[str, Any]:
    """What the catalog's resource page shows before enrolling: credits and the pathways it counts toward (the
    resources on any read once per change of the catalog's tables, which app/sharedparts.py watches)."""
    counted = sharedparts.shared("credits.on_pathways", lambda: pathways.resources_on_pathways(db.session))
    return {"credits": resource.credits or 0,
            "pathways": pathways.for_resource(db.session, resource.id) if resource.id in counted else []}


@bp.app_template_global()
def next_courses(limit: int = 4) -> list[dict[str, Any]]:
    """What the signed-in learner (everyone signed in is a worker too) might study next, each with its sentences
    (home page, a finished course); nothing for visitors."""
    user = current_user_or_none()
    if user is None:
        return []
    found = recommendations.for_user(db.session, user, limit, cache=sharedparts.shared)
    return [{"course": r.course, "reasons": [recommendations.explain(x) for x in r.reasons[:2]]} for r in found]


_translated: dict[str, dict[str, Any]] = {}  # per language: the translations are fixed once the app has started


@bp.app_context_processor
def credit_labels() -> dict[str, Any]:
    # every page renders this, most never show a label: translated once per language, not per page
    locale = str(get_locale())
    if locale not in _translated:
        _translated[locale] = {"outcome_labels": {k: str(v) for k, v in recognition.OUTCOME_LABELS.items()},
                               "record_labels": {k: str(v) for k, v in transcript.KIND_LABELS.items()},
                               "missing_text": transcript.missing_text}
    return _translated[locale]


@bp.get("/credits/")
@login_required
def index() -> ResponseReturnValue:
    data = transcript.build(db.session, _me())
    secret = current_app.config["SECRET_KEY"]  # a verification link per certificate, to send to an employer
    links = {c.id: url_for("credits.verify", token=certificates.token_for(secret, c)) for c in data.certificates}
    return render_template("credits/credits.html", t=data, is_admin=policy.is_admin(_me()), verify_links=links)


@bp.get("/credits/transcript")
@login_required
def transcript_page() -> ResponseReturnValue:
    return render_template("credits/transcript.html", t=transcript.build(db.session, _me()))


@bp.get("/credits/transcript.pdf")
@login_required
def transcript_pdf() -> ResponseReturnValue:
    body = transcript.pdf(transcript.build(db.session, _me()))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": "attachment; filename=transcript.pdf", "Cache-Control": "no-store"})


@bp.get("/credits/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(certificate_id: int) -> ResponseReturnValue:
    found = certificates.own_certificate(db.session, _me(), certificate_id)
    token = certificates.token_for(current_app.config["SECRET_KEY"], found)
    body = certificates.certificate_pdf(found, url_for("credits.verify", token=token, _external=True))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=certificate-{found.serial}.pdf", "Cache-Control": "no-store"})


@bp.get("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    """Public: anyone with the QR link sees the masked holder, course, date, issuer and revocation."""
    try:
        found = certificates.verify(db.session, current_app.config["SECRET_KEY"], token)
    except Invalid as err:
        return render_template("credits/verify.html", error=err.message, certificate=None), 400
    can_revoke = current_user.is_authenticated and policy.can(_me(), "credit.revoke", found)
    return render_template("credits/verify.html", certificate=found, masked=mask_name(found.holder_name),
                           error=None, can_revoke=can_revoke, token=token)


def _revoke(step: Callable[[], object], message: str) -> None:
    """Revoke a certificate or a record: committed with `message`, or refused with the reason (403 and 404 stay
    errors: no such thing, or not yours to revoke)."""
    try:
        step()
        db.session.commit()
        flash(message, "success")
    except DomainError as err:
        if err.status in (403, 404):
            raise
        show_invalid(err)


@bp.post("/credits/certificates/<int:certificate_id>/revoke")
@login_required
def revoke_certificate(certificate_id: int) -> ResponseReturnValue:
    _revoke(lambda: certificates.revoke(db.session, _me(), certificate_id, request.form.get("reason")),
            _("证书已撤销，对应学分已记为撤销。"))
    token = request.form.get("token", "")
    return redirect(url_for("credits.verify", token=token) if token else url_for("credits.index"))


@bp.post("/credits/records/<int:record_id>/revoke")
@login_required
def revoke_record(record_id: int) -> ResponseReturnValue:
    _revoke(lambda: ledger.revoke_record(db.session, _me(), record_id, request.form.get("reason")),
            _("学分记录已撤销。"))
    back = id_or_none(request.form.get("recognition"))
    return redirect(url_for("credits.recognition_detail", recognition_id=back) if back
                    else url_for("credits.review_queue"))


# recognition requests -------------------------------------------------------------------------------------

@bp.get("/credits/recognition")
@login_required
def recognition_list() -> ResponseReturnValue:
    return render_template("credits/recognition_list.html", requests=recognition.mine(db.session, _me().id))


def _recognition_form(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("credits/recognition_new.html", errors=errors or {}, form=request.form,
                           outcomes=list(OutcomeType), issuers=recognition.issuers(db.session),
                           pathway_list=pathways.active(db.session)), status


@bp.route("/credits/recognition/new", methods=["GET", "POST"])
@login_required
def recognition_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _recognition_form()
    upload = request.files.get("evidence")
    try:
        found = recognition.submit(db.session, _me(), request.form.to_dict(), upload.read() if upload else b"",
                                   stores.area(current_app.config, "credit_evidence"))
    except Invalid as err:
        return _recognition_form(show_invalid(err), 400)
    db.session.commit()
    flash(_("申请已提交，等待发证单位审核。"), "success")
    return redirect(url_for("credits.recognition_detail", recognition_id=found.id))


@bp.get("/credits/recognition/review")
@login_required
def review_queue() -> ResponseReturnValue:
    return render_template("credits/recognition_queue.html", requests=recognition.queue(db.session, _me()))


@bp.get("/credits/recognition/<int:recognition_id>")
@login_required
def recognition_detail(recognition_id: int, errors: dict[str, str] | None = None) -> str:
    found = recognition.visible(db.session, _me(), recognition_id)
    record = next((r for r in ledger.ledger(db.session, found.user_id) if r.recognition_id == found.id), None)
    profile = found.user.profile
    return render_template(
        "credits/recognition_detail.html", item=found, errors=errors or {}, record=record,
        applicant=certificates.holder_name(found.user),  # the name on the certificate is what reviewers match
        id_masked=mask_id_number(profile.id_number) if profile is not None and profile.id_number else "",
        can_review=found.user_id != _me().id and policy.can(_me(), "credit.review", found),
        outside_review=found.user_id == _me().id and recognition.colleagues_stand_aside(found),
        can_revoke=record is not None and policy.can(_me(), "credit.revoke", record),
        conversion=conversion.match_conversion(db.session, found))


@bp.get("/credits/recognition/<int:recognition_id>/evidence")
@login_required
def evidence(recognition_id: int) -> ResponseReturnValue:
    found = recognition.visible(db.session, _me(), recognition_id)
    stream = stores.area(current_app.config, "credit_evidence").open(found.evidence_key)  # never a public URL
    return evidence_files.send(stream, found.evidence_type,
                               f"evidence-{found.id}.{found.evidence_type.replace('jpeg', 'jpg')}")


@bp.post("/credits/recognition/<int:recognition_id>/review")
@login_required
def review(recognition_id: int) -> ResponseReturnValue:
    try:
        recognition.review(db.session, _me(), recognition_id, request.form.get("decision", ""),
                           amount=request.form.get("amount"), comment=request.form.get("comment"))
    except Invalid as err:
        return recognition_detail(recognition_id, show_invalid(err)), 400
    db.session.commit()
    flash(_("审核结果已保存。"), "success")
    return redirect(url_for("credits.review_queue"))


# pathways ---------------------------------------------------------------------------------------------------

@bp.get("/credits/pathways")
def pathways_list() -> ResponseReturnValue:
    """Public: every active pathway, by the institution or union that defined it."""
    return render_template("credits/pathways_list.html", pathway_list=pathways.active(db.session))


@bp.get("/credits/pathways/<int:pathway_id>")
def pathway(pathway_id: int) -> ResponseReturnValue:
    """Public: what a pathway needs; a logged-in worker also sees their own progress."""
    found = pathways.get(db.session, pathway_id)
    mine = pathways.progress(db.session, _me().id, [found])[0] if current_user.is_authenticated else None
    can_manage = current_user.is_authenticated and policy.can(_me(), "pathway.manage", found.org)
    return render_template("credits/pathways_detail.html", pathway=found, progress=mine, can_manage=can_manage,
                           errors={})


def _managed_orgs() -> list[Any]:
    return scope.orgs_of(_me(), action="pathway.manage")


@bp.route("/credits/pathways/manage", methods=["GET", "POST"])
@login_required
def pathways_manage() -> ResponseReturnValue:
    orgs = _managed_orgs()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        code = request.form.get("org", "")
        org = next((o for o in orgs if o.code == code), None) or (
            organisations.get_by_code(db.session, code) if code else None)
        try:
            found = pathways.create(db.session, _me(), org, request.form.to_dict())
            db.session.commit()
            flash(_("学分路径已创建，请添加课程。"), "success")
            return redirect(url_for("credits.pathway", pathway_id=found.id))
        except Invalid as err:
            errors, status = show_invalid(err), 400
    return render_template("credits/pathways_manage.html", orgs=orgs, errors=errors, form=request.form,
                           kinds=list(PathwayKind), pathway_list=pathways.managed_by(db.session, orgs)), status


@bp.post("/credits/pathways/<int:pathway_id>/items")
@login_required
def pathway_add_item(pathway_id: int) -> ResponseReturnValue:
    try:
        pathways.add_item(db.session, _me(), pathway_id, request.form.get("resource_id", ""),
                          request.form.get("required") == "1")
        db.session.commit()
        flash(_("课程已加入路径。"), "success")
    except DomainError as err:
        if err.status in (403, 404) and err.code != "resource_not_found":
            raise
        show_invalid(err)
    return redirect(url_for("credits.pathway", pathway_id=pathway_id))


@bp.post("/credits/pathways/<int:pathway_id>/retire")
@login_required
def pathway_retire(pathway_id: int) -> ResponseReturnValue:
    pathways.retire(db.session, _me(), pathway_id)
    db.session.commit()
    flash(_("学分路径已停用。"), "success")
    return redirect(url_for("credits.pathways_manage"))


# conversion table (admins) -------------------------------------------------------------------------------

@bp.route("/credits/conversions", methods=["GET", "POST"])
@login_required
def conversions() -> ResponseReturnValue:
    policy.require(_me(), "credit.conversions")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        raw = {**request.form.to_dict(), "pathways": request.form.getlist("pathways")}
        try:
            conversion.add_conversion(db.session, _me(), raw)
            db.session.commit()
            flash(_("转换规则已添加。"), "success")
            return redirect(url_for("credits.conversions"))
        except Invalid as err:
            errors, status = show_invalid(err), 400
    return render_template("credits/credits_conversions.html", rows=conversion.conversions(db.session),
                           errors=errors, form=request.form, outcomes=list(OutcomeType),
                           pathway_list=pathways.active(db.session)), status


@bp.post("/credits/conversions/<int:conversion_id>/deactivate")
@login_required
def conversion_deactivate(conversion_id: int) -> ResponseReturnValue:
    conversion.deactivate_conversion(db.session, _me(), conversion_id)
    db.session.commit()
    flash(_("转换规则已停用。"), "success")
    return redirect(url_for("credits.conversions"))
