"""The open JSON API (no login, published resources only) and the OAI-PMH endpoint."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from app.accounts import organisations
from app.db import utcnow
from app.errors import NotFound
from app.extensions import csrf, db
from app.pagination import page_args
from catalog import exports, oai, queries, service, union_catalogs
from catalog.web import api_bp, menu, oai_bp


@api_bp.get("/resources")
def resources() -> Response:
    filters = queries.parse_filters(request.args)
    page, per_page = page_args(request.args, max_per_page=queries.MAX_PER_PAGE)
    result = queries.browse(db.session, filters, page, per_page, menu=menu(),
                            count_ttl_s=current_app.config["CATALOG_COUNT_CACHE_SECONDS"])
    return jsonify({
        "items": [exports.resource_summary(r) for r in result.items],
        "page": result.page, "per_page": result.per_page, "total": result.total, "pages": result.pages,
        "next": url_for("catalog_api.resources", **filters.args(category=filters.category, page=page + 1,
                                                                 per_page=per_page), _external=True)
        if result.has_next else None,
    })


@api_bp.get("/resources/<int:resource_id>")
def resource(resource_id: int) -> Response:
    item = service.visible_resource(db.session, None, resource_id)  # anonymous: published only
    return jsonify(exports.resource_detail(item))


@api_bp.get("/catalogs/<code>")
def catalog(code: str) -> Response:
    org = organisations.get_by_code(db.session, code)
    found = union_catalogs.catalog_of(db.session, org)
    if found is None:
        raise NotFound(_("这一级工会还没有建立资源开放目录。"), code="no_catalog")
    sections = []
    for part in union_catalogs.resolve(db.session, found):
        sections.append({"title": part.section.title, "entries": [
            {"resource": exports.resource_summary(e.resource), "pinned": e.pinned, "inherited": e.inherited}
            if e.resource is not None else
            {"link": {"title": e.link_title, "url": e.link_url}, "pinned": e.pinned, "inherited": e.inherited}
            for e in part.entries]})
    return jsonify({
        "org": {"code": org.code, "name": org.name, "level": org.level.value},
        "title": found.title, "intro": found.intro, "updated_at": exports.iso(found.updated_at),
        "parent": found.parent.org.code if found.parent else None, "sections": sections,
        "links": {"html": url_for("catalog.union_catalog", code=code, _external=True),
                  "csv": url_for("catalog.union_csv", code=code, _external=True),
                  "xlsx": url_for("catalog.union_xlsx", code=code, _external=True),
                  "atom": url_for("catalog.union_feed", code=code, _external=True)},
    })


@oai_bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt  # harvesters POST form-encoded requests; nothing here changes state
def oai_pmh() -> Response:
    args = request.form if request.method == "POST" else request.args
    repo = oai.Repository(
        base_url=url_for("catalog_oai.oai_pmh", _external=True), name=_("求学 · 职工学历技能双提升资源开放目录"),
        admin_email=current_app.config["OAI_ADMIN_EMAIL"], repository_id=current_app.config["OAI_REPOSITORY_ID"],
        record_url=url_for("catalog.resource", resource_id=0, _external=True).rsplit("/0", 1)[0] + "/{id}",
        page_size=oai.PAGE_SIZE)
    body = oai.handle(db.session, repo, {name: args.getlist(name) for name in args}, utcnow())
    return Response(body, mimetype="text/xml")
