"""The search page (/search), its JSON API (/api/v1/search, /api/v1/search/suggest), the staff's own-drafts
search and the synonym table for admins. Thin: parse the request, ask the backend, render."""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from app import sharedparts
from app.accounts.policy import require
from app.assets import fingerprints
from app.errors import Invalid
from app.extensions import db
from app.request_input import bounded_int
from search import drafts, synonyms
from search.backend import FACETS, MAX_PER_PAGE, SORTS, SearchBackend, SearchRequest, suggestion_limit
from search.facet_labels import facet_labels

bp = Blueprint("search", __name__, template_folder="templates")
api_bp = Blueprint("search_api", __name__, url_prefix="/api/v1/search")


def backend() -> SearchBackend:
    return cast(SearchBackend, current_app.extensions["search"])


def _int(value: str | None, default: int) -> int:
    try:
        return bounded_int(value) if value else default
    except ValueError:
        return default


def search_request(args: MultiDict[str, str]) -> SearchRequest:
    filters = {name: [v for v in args.getlist(name) if v][:10] for name in FACETS if args.getlist(name)}
    if filters.get("credits") == ["yes"]:
        filters["credits"] = ["1"]
    return SearchRequest(q=args.get("q", "")[:100], filters=filters, sort=args.get("sort", "relevance"),
                         page=_int(args.get("page"), 1), per_page=_int(args.get("per_page"), 10),
                         synonyms=synonyms.mapping(db.session))


class _Links:
    """The results page's links, each built from a prefix made once per page (url_for per link was most of a
    page made afresh: a facet chip, sort, pager and result link each). `to(name, value)`: this page's address
    with one argument set (None: left out), the others as asked and in their order, as url_for spells them."""

    SAFE = "!$'()*,/:;?@"  # werkzeug's (werkzeug.urls._urlencode): the same bytes url_for gives

    def __init__(self, args: dict[str, str]):
        self.page = url_for("search.page")
        self.args = args
        resource = url_for("catalog.resource", resource_id=0)
        self.resource_prefix = resource[:-1]  # ".../r/" then the id

    def to(self, name: str, value: object) -> str:
        query = urlencode([(k, v) for k, v in {**self.args, name: value}.items() if v is not None], safe=self.SAFE)
        return f"{self.page}?{query}" if query else self.page

    def resource(self, resource_id: int) -> str:
        return f"{self.resource_prefix}{resource_id}"


def results_version() -> Hashable:
    """What search results are made from besides the catalog: the index (a commit here or seen from another
    process) and the synonym table (looked at again once a second)."""
    synonyms.mapping(db.session)
    return backend().version(), synonyms.version()


@bp.get("/search")
def page() -> str:
    def make() -> tuple[Markup, str, str, str]:
        req = search_request(request.args)
        result = backend().search(req) if (req.q or req.filters) else None
        args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
        labels = facet_labels(db.session, result.facets.get("provider", {})) if result else {}
        body = Markup(render_template(  # noqa: S704 - an autoescaping template
            "search/_results.html", req=req, result=result, labels=labels, links=_Links(args),
            facet_names=FACETS, sorts=SORTS))
        # the page's own title, suggest address and script, the same for everyone: made with the results
        return (body, _("搜索"), url_for("search_api.api_suggest"),
                url_for("static", filename="js/search.js"))

    # the results are the same for every viewer: made once per query and page, index version (a commit here
    # or seen from another process), synonym table, catalog change and static files (the script's address);
    # the layout with the name around them
    key = ("search.page", request.full_path, results_version(), fingerprints().version_now())
    body, title, suggest_url, script_url = sharedparts.shared(key, make)
    return render_template("search/index.html", body=body, title=title, suggest_url=suggest_url,
                           script_url=script_url)


@api_bp.get("")
def api_search() -> Response:
    req = search_request(request.args)
    req.per_page = max(1, min(MAX_PER_PAGE, req.per_page))
    result = backend().search(req)
    return jsonify({
        "total": result.total, "page": result.page, "per_page": result.per_page,
        "results": [{"id": h.id, "title": h.title, "kind": h.kind,
                     "url": url_for("catalog.resource", resource_id=h.id, _external=True),
                     "snippet": str(h.snippet), "score": h.score, "provider": h.provider_name,
                     "credits": h.credits} for h in result.hits],
        "facets": result.facets, "suggestion": result.suggestion, "corrected_from": result.corrected_from,
        "relaxed": result.relaxed, "synonyms": [{"term": t, "also": a} for t, a in result.synonyms_used],
    })


@api_bp.get("/suggest")
def api_suggest() -> Response:
    limit = suggestion_limit(_int(request.args.get("limit"), 8))  # clamped, as per_page is in api_search
    found = backend().suggest(request.args.get("q", ""), limit=limit)
    return jsonify({"suggestions": [{"id": s.id, "title": s.title,
                                     "url": url_for("catalog.resource", resource_id=s.id)} for s in found]})


@bp.get("/search/mine")
@login_required
def mine() -> str:
    """Staff search their own organisation's resources in every status (drafts are not in the index)."""
    query = request.args.get("q", "")[:100]
    found = drafts.search(db.session, current_user, query)
    return render_template("search/mine.html", query=query, found=found)


@bp.route("/search/synonyms", methods=["GET", "POST"])
@login_required
def synonym_admin() -> ResponseReturnValue:
    require(current_user, "admin.site", None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.form.get("delete"):
                synonyms.delete(db.session, current_user, _int(request.form.get("delete"), 0))
            else:
                synonyms.save(db.session, current_user, request.form.get("term", ""),
                              request.form.get("targets", ""), request.form.get("two_way") == "1")
            db.session.commit()
            synonyms.forget()
            flash(_("同义词已保存。"), "success")
            return redirect(url_for("search.synonym_admin"))
        except Invalid as err:
            db.session.rollback()
            flash(err.message, "error")
            errors = err.fields
    return render_template("search/synonyms.html", rows=synonyms.all_rows(db.session), errors=errors,
                           form=request.form)
