"""Union catalog pages: the public catalog of each union (with CSV, XLSX and Atom downloads), its editor
(sections; pin, hide and add entries), the province page that sums them all up, and the admin menu editor."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import can, require
from app.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.web import current_user_or_none, show_invalid
from catalog import categories, exports, queries, union_catalogs
from catalog.web import bp, menu


def _catalog_for(code: str):
    org = organisations.get_by_code(db.session, code)
    if org.kind != OrgKind.union:
        raise NotFound(_("只有工会有资源开放目录。"))
    return org, union_catalogs.catalog_of(db.session, org)


@bp.get("/u/<code>")
def union_catalog(code: str):
    org, catalog = _catalog_for(code)
    user = current_user_or_none()
    unions = [child for child in org.children if child.kind == OrgKind.union]
    found = union_catalogs.catalogs_of(db.session, unions)
    children = [(child, found.get(child.id)) for child in unions]
    resolved = union_catalogs.resolve(db.session, catalog) if catalog else []
    return render_template("catalog/union/show.html", org=org, catalog=catalog, resolved=resolved,
                           children=children, can_edit=can(user, "catalog.edit", org),
                           parent=union_catalogs.nearest_catalog(db.session, org.parent) if org.parent else None)


def _entries(code: str):
    org, catalog = _catalog_for(code)
    if catalog is None:
        raise NotFound(_("这一级工会还没有建立资源开放目录。"))
    return catalog, union_catalogs.published_entries(union_catalogs.resolve(db.session, catalog))


@bp.get("/u/<code>/catalog.csv")
def union_csv(code: str):
    catalog, entries = _entries(code)
    return Response(exports.catalog_csv(entries), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=catalog-{code}.csv"})


@bp.get("/u/<code>/catalog.xlsx")
def union_xlsx(code: str):
    catalog, entries = _entries(code)
    return Response(exports.catalog_xlsx(catalog, entries), headers={
        "Content-Disposition": f"attachment; filename=catalog-{code}.xlsx"},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/u/<code>/feed.atom")
def union_feed(code: str):
    catalog, entries = _entries(code)
    newest = sorted((e.resource for _s, e in entries if e.resource is not None),
                    key=lambda r: r.published_at or r.updated_at, reverse=True)[:50]
    body = exports.atom_feed(catalog, newest, url_for("catalog.union_feed", code=code, _external=True),
                             url_for("catalog.union_catalog", code=code, _external=True))
    return Response(body, mimetype="application/atom+xml")


def _edit_action(user, org, catalog, form) -> tuple[str, int | None]:
    """Do what the editor's button asks; say what happened and which section to show open afterwards."""
    action = form.get("action", "")
    section_id = form.get("section_id", type=int) or 0
    if action == "create":
        union_catalogs.create_catalog(db.session, user, org, inherit=bool(form.get("inherit")),
                                      title=form.get("title", ""))
        return _("已建立本级资源开放目录。"), None
    if catalog is None:
        raise NotFound(_("这一级工会还没有建立资源开放目录。"))
    if action == "add_section":
        section = union_catalogs.add_section(db.session, user, catalog, form.get("title", ""))
        db.session.flush()
        return _("目录已更新。"), section.id
    elif action in ("section_up", "section_down"):
        union_catalogs.move_section(db.session, user, catalog, section_id, -1 if action == "section_up" else 1)
    elif action == "delete_section":
        union_catalogs.delete_section(db.session, user, catalog, section_id)
        return _("目录已更新。"), None
    elif action == "add_resource":
        union_catalogs.add_resource(db.session, user, catalog, section_id, form.get("resource_id", type=int) or 0,
                                    pinned=bool(form.get("pinned")))
    elif action == "add_link":
        union_catalogs.add_link(db.session, user, catalog, section_id, form.get("link_title", ""),
                                form.get("link_url", ""))
    else:
        union_catalogs.set_entry(db.session, user, catalog, section_id, form.get("key", ""), action)
    return _("目录已更新。"), section_id or None


@bp.route("/u/<code>/edit", methods=["GET", "POST"])
@login_required
def union_edit(code: str):
    org, catalog = _catalog_for(code)
    user = current_user_or_none()
    require(user, "catalog.edit", org)
    errors: dict = {}
    opened = request.args.get("open", type=int)  # the section shown unfolded: the one just edited
    if request.method == "POST":
        try:
            message, opened = _edit_action(user, org, catalog, request.form)
        except DomainError as err:
            if isinstance(err, Forbidden):
                raise
            errors = show_invalid(err) or {"_": err.message}
            opened = request.form.get("section_id", type=int)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("catalog.union_edit", code=code, q=request.args.get("q") or None, open=opened,
                                    _anchor=f"section-{opened}" if opened else None))
        org, catalog = _catalog_for(code)
    query = (request.args.get("q") or "").strip()[:50]
    found = queries.published_titled(db.session, query) if query else []
    resolved = union_catalogs.resolve(db.session, catalog) if catalog else []
    return render_template("catalog/union/edit.html", org=org, catalog=catalog, resolved=resolved, query=query,
                           found=found, errors=errors, opened=opened), 400 if errors else 200


@bp.get("/province")
def province():
    """The province page: every union catalog in one table, with what the open directory holds in total."""
    by_kind, providers = queries.published_totals(db.session)
    tree = menu()
    return render_template("catalog/union/province.html", rows=union_catalogs.overview(db.session), by_kind=by_kind,
                           providers=providers, menu=tree, counts=categories.resource_counts(db.session, tree))


def _category_action(user, form) -> tuple[str, str | None]:
    """Do what the categories page's button asks; say what happened and which category to show unfolded."""
    action = form.get("action", "")
    if action == "add":
        added = categories.add(db.session, user, name=form.get("name", ""), code=form.get("code", ""),
                               parent_code=form.get("parent") or None)
        return _("已添加分类。"), added.code
    category = categories.get(db.session, form.get("category", ""))
    if action == "rename":
        categories.rename(db.session, user, category, form.get("name", ""))
    elif action in ("up", "down"):
        categories.reorder(db.session, user, category, -1 if action == "up" else 1)
    elif action == "move":
        categories.move(db.session, user, category, form.get("parent") or None)
    elif action == "delete":
        parent = category.parent.code if category.parent else None
        categories.delete(db.session, user, category)
        return _("已删除分类。"), parent
    else:
        raise NotFound()
    return _("分类已更新。"), category.code


@bp.route("/admin/categories", methods=["GET", "POST"])
@login_required
def admin_categories():
    user = current_user_or_none()
    require(user, "category.manage")
    status, opened = 200, request.args.get("open")  # the category shown unfolded: the one just edited
    if request.method == "POST":
        try:
            message, opened = _category_action(user, request.form)
        except DomainError as err:
            if isinstance(err, Forbidden):
                raise
            show_invalid(err)
            if err.fields:
                flash("；".join(err.fields.values()), "error")
            status = 400
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("catalog.admin_categories", open=opened,
                                    _anchor=f"cat-{opened}" if opened else None))
    tree = categories.load_menu(db.session)
    unfolded = {node.code for node in tree.ancestors(opened or request.form.get("category", ""))}
    return render_template("catalog/admin/categories.html", menu=tree, unfolded=unfolded,
                           counts=categories.resource_counts(db.session, tree)), status
