"""Pages for institution staff (my resources, the resource form with its cover, the lessons editor,
submit and withdraw, bulk import) and for union staff (the review queue, unpublishing)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import stores
from app.accounts import organisations, scope
from app.accounts.models import User
from app.accounts.policy import require
from app.errors import DomainError, Forbidden, Invalid
from app.extensions import db
from app.richtext import source_of
from app.tabular import TableLimits
from app.web import chosen_org, commit_or_show, current_user_or_none, settle_import, show_invalid, uploaded_file
from catalog import coauthors, covers, imports, lessons, service, union_catalogs
from catalog.labels import AUDIENCE_LABELS, INDUSTRY_LABELS, KIND_LABELS, LESSON_TYPE_LABELS
from catalog.models import Resource, UnionCatalog
from catalog.web import bp, form_values, menu


def _form_context(resource: Resource | None, values: dict, errors: dict) -> dict:
    return {"resource": resource, "values": values, "errors": errors, "menu": menu(), "kinds": KIND_LABELS,
            "industries": INDUSTRY_LABELS, "audiences": AUDIENCE_LABELS,
            "problems": service.publishing_problems(resource) if resource else []}


def _commit_or_flash(step: Callable[[], str]) -> None:
    """Run one workflow step: commit and flash its message, or roll back and flash why it was refused (a
    Forbidden stays a 403)."""
    try:
        message = step()
    except DomainError as err:
        if isinstance(err, Forbidden):
            raise
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(message, "success")


def _values_of(resource: Resource) -> dict:
    return {"title": resource.title, "kind": resource.kind.value, "summary": resource.summary,
            "description": source_of(resource.description_md, resource.description_html),
            "category": [c.code for c in resource.categories],
            "industries": [i.industry.value for i in resource.industries],
            "audience": [a.audience.value for a in resource.audiences], "credits": f"{resource.credits:g}",
            "hours": f"{resource.hours:g}", "external_url": resource.external_url, "language": resource.language,
            "licence": resource.licence, "tags": "；".join(t.name for t in resource.tags),
            "teachers": "；".join(f"{t.name}（{t.title}）" if t.title else t.name for t in resource.teachers)}


@bp.get("/manage")
@login_required
def manage():
    user = current_user_or_none()
    orgs = service.provider_orgs(user)
    return render_template("catalog/manage/index.html", orgs=orgs, resources=service.resources_of(db.session, orgs),
                           can_review=bool(service.review_queue(db.session, user)), own_ids={o.id for o in orgs},
                           invitations=coauthors.invitations_for(db.session, orgs))


@bp.route("/manage/new", methods=["GET", "POST"])
@login_required
def create():
    user = current_user_or_none()
    provider = organisations.get_by_code(db.session, request.values.get("org", ""))
    require(user, "resource.create", provider)
    values, errors = {"kind": "course", "language": "zh"}, {}
    if request.method == "POST":
        values = form_values(request.form)
        item, errors = commit_or_show(lambda: service.create_resource(db.session, user, provider, values))
        if item is not None:
            flash(_("已保存草稿。接下来请添加课时。"), "success")
            return redirect(url_for("catalog.edit_lessons", resource_id=item.id))
    return render_template("catalog/manage/edit.html", provider=provider,
                           **_form_context(None, values, errors or {})), 400 if errors else 200


def _update(user, item: Resource, values: dict) -> str | None:  # noqa: ANN001
    """Save the resource form and a new cover; the old cover's file, to remove once committed."""
    service.update_resource(db.session, user, item, values)
    upload = request.files.get("cover")
    if upload and upload.filename:
        return covers.set_cover(db.session, user, item, upload.read(), stores.area(current_app.config, "covers"))
    return None


@bp.route("/manage/<int:resource_id>", methods=["GET", "POST"])
@login_required
def edit(resource_id: int):
    user = current_user_or_none()
    item = service.editable_resource(db.session, user, resource_id)
    values, errors = _values_of(item), {}
    if request.method == "POST":
        values = form_values(request.form)
        old_cover, failed = commit_or_show(lambda: _update(user, item, values))
        if failed is None:
            if old_cover:
                covers.remove_files(stores.area(current_app.config, "covers"), old_cover)
            flash(_("已保存。"), "success")
            return redirect(url_for("catalog.edit", resource_id=item.id))
        errors, item = failed, service.get_resource(db.session, resource_id)
    return render_template("catalog/manage/edit.html", provider=item.provider,
                           **_form_context(item, values, errors)), 400 if errors else 200


def _lesson_action(user, item: Resource, action: str) -> str:
    form = request.form
    if action == "add_unit":
        lessons.add_unit(db.session, user, item, form.get("unit_title", ""))
        return _("已添加一章。")
    if action == "add_lesson":
        lessons.add_lesson(db.session, user, item, form.to_dict())
        return _("已添加课时。")
    if action in ("unit_up", "unit_down", "rename_unit", "delete_unit"):
        unit = lessons.find_unit(item, form.get("unit_id", type=int) or 0)
        if action == "rename_unit":
            lessons.rename_unit(db.session, user, unit, form.get("unit_title", ""))
        elif action == "delete_unit":
            lessons.delete_unit(db.session, user, unit)
        else:
            lessons.move_unit(db.session, user, unit, -1 if action == "unit_up" else 1)
        return _("已更新章节。")
    lesson = lessons.find_lesson(item, form.get("lesson_id", type=int) or 0)
    if action == "update_lesson":
        lessons.update_lesson(db.session, user, lesson, form.to_dict())
    elif action == "delete_lesson":
        lessons.delete_lesson(db.session, user, lesson)
    elif action in ("lesson_up", "lesson_down"):
        lessons.move_lesson(db.session, user, lesson, -1 if action == "lesson_up" else 1)
    else:
        raise Invalid(_("不支持的操作。"), code="bad_action")
    return _("已更新课时。")


@bp.route("/manage/<int:resource_id>/lessons", methods=["GET", "POST"])
@login_required
def edit_lessons(resource_id: int):
    user = current_user_or_none()
    item = service.editable_resource(db.session, user, resource_id)
    errors: dict = {}
    if request.method == "POST":
        message, failed = commit_or_show(lambda: _lesson_action(user, item, request.form.get("action", "")))
        if failed is None:
            flash(message, "success")
            return redirect(url_for("catalog.edit_lessons", resource_id=item.id))
        errors, item = failed, service.get_resource(db.session, resource_id)
    return render_template("catalog/manage/lessons.html", resource=item, errors=errors, types=LESSON_TYPE_LABELS,
                           source_of=source_of, editable=item.status in service.EDITABLE,
                           problems=service.publishing_problems(item)), 400 if errors else 200


@bp.post("/manage/<int:resource_id>/<any(submit, withdraw):step>")
@login_required
def workflow(resource_id: int, step: str):
    user = current_user_or_none()
    item = service.get_resource(db.session, resource_id)

    def run() -> str:
        if step == "submit":
            service.submit(db.session, user, item, request.form.get("comment", ""))
            return _("已提交审核。")
        service.withdraw(db.session, user, item, request.form.get("comment", ""))
        return _("已撤回。")

    _commit_or_flash(run)
    return redirect(url_for("catalog.edit", resource_id=resource_id))


@bp.route("/manage/import", methods=["GET", "POST"])
@login_required
def import_page():
    user = current_user_or_none()
    orgs = service.provider_orgs(user)
    if not orgs:
        raise Forbidden(_("您没有权限进行此操作。"))
    report, status = None, 200
    if request.method == "POST":
        data, filename = uploaded_file()
        try:
            report = imports.import_resources(
                db.session, user, chosen_org(orgs), data, filename, valid_only=bool(request.form.get("valid_only")),
                limits=TableLimits.from_config(current_app.config))
        except Invalid as err:
            show_invalid(err)
            status = 400
        else:
            done = _("已导入%(n)d条资源（草稿），请检查后提交审核。", n=report.imported)
            status = 200 if settle_import(report.imported, done) else 400
    return render_template("catalog/manage/import.html", orgs=orgs, report=report), status


@bp.get("/review")
@login_required
def review_queue():
    user = current_user_or_none()
    catalog = own_catalog(user)
    return render_template("catalog/review.html", queue=service.review_queue(db.session, user), catalog=catalog,
                           submission=service.submission)


def own_catalog(user: User | None) -> UnionCatalog | None:
    for org in scope.orgs_of(user, action="catalog.edit"):
        found = union_catalogs.catalog_of(db.session, org)
        if found is not None:
            return found
    return None


@bp.post("/review/<int:resource_id>")
@login_required
def review(resource_id: int):
    user = current_user_or_none()
    item = service.get_resource(db.session, resource_id)
    decision = request.form.get("decision", "")

    def run() -> str:
        if decision == "unpublish":
            service.unpublish(db.session, user, item, request.form.get("comment", ""))
        else:  # the service refuses any other decision than these
            service.review(db.session, user, item, decision, request.form.get("comment", ""),
                           seen=request.form.get("seen", type=int))
            section_id = request.form.get("section_id", type=int)
            catalog = own_catalog(user)
            if decision == "select" and section_id and catalog is not None:
                union_catalogs.add_resource(db.session, user, catalog, section_id, item.id)
        return {"select": _("已遴选发布。"), "return": _("已退回修改。"), "unpublish": _("已下架。")}[decision]

    _commit_or_flash(run)
    return redirect(request.form.get("next_page") == "resource" and url_for("catalog.resource", resource_id=item.id)
                    or url_for("catalog.review_queue"))
