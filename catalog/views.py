"""Public catalog pages, phone first: the menu, a menu section with its filtered resource list, a resource
with its lessons and JSON-LD, a lesson, a resource's history (for staff), and cover images."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from flask import abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app import sharedparts, storage, stores
from app.accounts.models import User
from app.accounts.policy import can
from app.accounts.views import kept_user
from app.assets import fingerprints
from app.errors import NotFound
from app.extensions import db
from app.pagination import page_args
from app.sharedparts import MISSING
from app.web import current_user_or_none
from catalog import categories, covers, exports, lessons, queries, resource_page, service
from catalog.labels import (
    ACTION_LABELS,
    AUDIENCE_LABELS,
    INDUSTRY_LABELS,
    KIND_LABELS,
    LESSON_TYPE_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
)
from catalog.web import bp, menu

LABELS: dict[str, Mapping[Any, object]] = {
    "kinds": KIND_LABELS, "industries": INDUSTRY_LABELS, "audiences": AUDIENCE_LABELS, "sorts": SORT_LABELS,
    "statuses": STATUS_LABELS, "lesson_types": LESSON_TYPE_LABELS, "actions": ACTION_LABELS}


class _Labels:
    """The label tables translated on first use (a lazy string translates on every use, which a list of twenty
    cards would do a hundred times), once per language: they never change while the process runs."""

    def __init__(self) -> None:
        self._resolved: dict[str, dict[Any, str]] = {}

    def __getattr__(self, name: str) -> dict[Any, str]:
        if name.startswith("_") or name not in LABELS:
            raise AttributeError(name)
        if name not in self._resolved:
            self._resolved[name] = {key: str(value) for key, value in LABELS[name].items()}
        return self._resolved[name]


_LABELS: dict[str, _Labels] = {}  # per language


@bp.app_context_processor
def catalog_labels() -> dict[str, _Labels]:
    language = str(get_locale())
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = _Labels()
    return {"catalog_labels": labels}


@bp.app_template_filter("category_name")
def category_name(name: str) -> str:
    """A menu category in the visitor's language. Categories are rows an admin may rename; the seeded names
    (catalog/menu_seed.py) have their English in the .po, and a renamed one shows as typed."""
    return _(name) if name else name


@bp.get("/")
def index() -> str:
    tree = menu()
    return render_template("catalog/index.html", menu=tree, counts=categories.resource_counts(db.session, tree),
                           newest=queries.newest(db.session))


def _list_page(category_code: str = "") -> str:
    def make() -> tuple[str, Markup, str]:
        tree = menu()
        node = tree.by_code.get(category_code) if category_code else None
        if category_code and node is None:
            raise NotFound(_("目录分类不存在。"))
        filters = queries.parse_filters(request.args, category=category_code)
        page, per_page = page_args(request.args, max_per_page=queries.MAX_PER_PAGE)
        result = queries.browse(db.session, filters, page, per_page, menu=tree,
                                count_ttl_s=current_app.config["CATALOG_COUNT_CACHE_SECONDS"])
        heading = category_name(node.name) if node else _("全部资源")
        body = render_template(  # autoescaped by Jinja, so Markup below is safe
            "catalog/_list_body.html", node=node, crumbs=tree.ancestors(category_code) if node else [],
            heading=heading, filters=filters, page=result, providers=queries.providers(db.session))
        script = url_for("static", filename="js/catalog.js")
        return heading, Markup(body), script  # noqa: S704 - rendered by an autoescaping template

    # the heading, cards, filters, pager and script are the same for every viewer: made once per change (the
    # query string and the static files' version are part of the key), around them the layout with this
    # person's name
    heading, body, script = sharedparts.shared(("catalog.list", request.full_path, fingerprints().version_now()),
                                               make)
    return render_template("catalog/list.html", heading=heading, body=body, script_url=script)


@bp.get("/all")
def all_resources() -> str:
    return _list_page()


@bp.get("/menu/<code>")
def category(code: str) -> str:
    return _list_page(code)


PART = "<!--qiuxue:part-->"  # where catalog/_resource_shared.html cuts its parts apart


class _Head(NamedTuple):
    """What the page's own part reads of a kept resource (its title, its links, the enrol box): no row restored."""

    id: int
    title: str
    is_published: bool


class _Rights(NamedTuple):
    """What the viewer may do with the resource, as the policy answers (the page's 管理 box and 学习规则与测验)."""

    edit: bool
    review: bool
    history: bool


@dataclass(frozen=True)
class _SharedResource:
    """What every viewer of a published resource's page shares, kept until the catalog changes: its head, its
    row and its provider's (restored when the policy is asked about a viewer, `_rights`), its lessons as the enrol
    box needs them, and the page's HTML apart from the person's part."""

    head: _Head
    row: service.ResourceSnapshot
    lessons: tuple[service.LessonOutline, ...]
    parts: dict[str, Markup]


def _resource_parts(item: Any) -> dict[str, Markup]:
    """The parts of a resource page that are the same for every viewer (see catalog/_resource_shared.html), from
    a resource with everything its page shows (`service.loaded_resource`, `resource_page.page_resource`)."""
    units = {u.id: u for u in item.units}
    grouped = [(unit, [lesson for lesson in item.lessons if lesson.unit_id == unit.id]) for unit in item.units]
    loose = [lesson for lesson in item.lessons if lesson.unit_id not in units]
    html = render_template(
        "catalog/_resource_shared.html", resource=item, grouped=grouped, loose=loose,
        json_ld=exports.json_ld(item) if item.is_published else None,
        cover=covers.file_name(item.cover_key, covers.WIDTHS[-1]) if item.cover_key else None)
    # rendered by an autoescaping template: its pieces are safe HTML
    return dict(zip(("head", "top", "facts", "rest"), map(Markup, html.split(PART)), strict=True))


def _shared_resource(resource_id: int) -> _SharedResource | None:
    item = resource_page.page_resource(db.session, resource_id)
    if item is None or not item.is_published:
        return None
    return _SharedResource(_Head(item.id, item.title, item.is_published), service.snapshot(item, lessons=False),
                           service.outline(item.lessons), _resource_parts(item))


def _asked(user: User | None, item: Any) -> _Rights:
    return _Rights(can(user, "resource.edit", item), can(user, "resource.review", item),
                   can(user, "resource.view", item))


def _standing(user_id: int, is_active: bool, memberships: Iterable[tuple[Any, Any, Any]]) -> Hashable:
    """Everything the policy's rules on a resource read of the viewer (app/accounts/policy.py: who they are, and
    their memberships: role, organisation, administrator or not), so that equal standings get equal answers on
    the same resource while the catalog (organisations included) is unchanged. A new role or organisation is
    another standing: the user is loaded again within seconds of it (app/sharedparts.py, USER_SECONDS). Who they
    are matters only with a membership (each rule on a resource asks for one; their own resource refuses a
    reviewer): every worker without one shares a standing, so their answers are asked once for all of them."""
    held = frozenset(memberships)
    return (user_id if held else None), is_active, held


def kept_rights(user_id: int, rest: str, resource_id: int, generation: Hashable, locale: str) -> _Rights | None:
    """What `_rights` keeps for a signed-in session's user on a kept resource (`generation`: its scope's), or None:
    outside a request too, for its page answered beneath Flask (learning.templating.resource_own)."""
    user = kept_user(user_id, rest)
    if user is MISSING or user is None:
        return None
    columns, memberships = user
    standing = _standing(user_id, columns["is_active_account"],
                         ((m["role"], m["organisation_id"], m["is_admin"]) for m in memberships))
    found = current_app.extensions["personal_parts"].peek(
        (("catalog.resource.rights", resource_id, standing, generation), locale))
    return None if found is MISSING else cast(_Rights, found)


def kept_lessons(resource_id: int, host_url: str, locale: str) -> tuple[service.LessonOutline, ...] | None:
    """The lessons of a published resource as its kept page holds them (`resource`), or None: outside a request
    too, for its page answered beneath Flask (learning.templating.resource_own)."""
    parts = current_app.extensions["shared_parts"]
    kept = parts.peek((("catalog.resource", resource_id, host_url), locale), stamp=parts.stamp(resource_id))
    return None if kept is MISSING or kept is None else cast(_SharedResource, kept).lessons


def viewed(resource_id: int) -> None:
    """One more view of a published resource's page (counted in batches, catalog/counters.py)."""
    current_app.extensions["catalog_views"].add(db.engine, resource_id)


def _rights(user: User | None, kept: _SharedResource, generation: Hashable) -> _Rights:
    """The policy's answers for this viewer on a kept resource, kept per the viewer's standing and the resource's
    `generation` (read before `kept`: answers from an older row are never kept under a newer one): a page opened
    again restores no row and asks nothing. Nobody signed in is asked every time (the policy answers no without
    reading the resource), so browsing visitors never push people's own pieces out."""
    if user is None:
        return _asked(None, kept.head)
    standing = _standing(user.id, user.is_active,
                         ((m.role, m.organisation_id, m.is_admin) for m in user.memberships))
    key = ("catalog.resource.rights", kept.head.id, standing, generation)
    return sharedparts.personal(key, lambda: _asked(user, service.restore(db.session, kept.row)))


@bp.get("/r/<int:resource_id>")
def resource(resource_id: int) -> str:
    user = current_user_or_none()
    # a published resource's page but the person's part, kept until the catalog changes: no query for it here
    # (its links and share card are absolute: the host is part of the key)
    generation = sharedparts.shared_generation(resource_id)
    kept = sharedparts.shared(("catalog.resource", resource_id, request.host_url),
                              lambda: _shared_resource(resource_id), scope=resource_id)
    if kept is None:  # unpublished (its staff only, rendered every time) or missing
        item: Any = service.visible_resource(db.session, user, resource_id)
        lessons, parts, rights = service.outline(item.lessons), _resource_parts(item), _asked(user, item)
        generation = None  # nothing of it kept, the enrol box included
    else:
        item, lessons, parts, rights = kept.head, kept.lessons, kept.parts, _rights(user, kept, generation)
        viewed(resource_id)
    return render_template("catalog/resource.html", resource=item, lessons=lessons, parts=parts,
                           can_edit=rights.edit, can_review=rights.review, can_history=rights.history,
                           generation=generation)


@bp.get("/r/<int:resource_id>/lessons/<int:lesson_id>")
def lesson(resource_id: int, lesson_id: int) -> str:
    item = service.visible_resource(db.session, current_user_or_none(), resource_id)
    current = lessons.find_lesson(item, lesson_id)
    index = item.lessons.index(current)
    return render_template("catalog/lesson.html", resource=item, lesson=current,
                           previous=item.lessons[index - 1] if index > 0 else None,
                           following=item.lessons[index + 1] if index + 1 < len(item.lessons) else None)


@bp.get("/r/<int:resource_id>/history")
def history(resource_id: int) -> str:
    user = current_user_or_none()
    item = service.get_resource(db.session, resource_id)
    if not can(user, "resource.view", item):
        raise NotFound(_("资源不存在或已被删除。"))
    return render_template("catalog/history.html", resource=item, rows=service.history(db.session, item))


@bp.get("/covers/<name>")
def cover(name: str) -> ResponseReturnValue:
    if not name.endswith(".jpg") or "/" in name or name.startswith(".") or not storage.KEY_RE.match(name):
        abort(404)
    if current_app.config.get("MEDIA_STORAGE"):  # in a bucket: a presigned URL, and the redirect cached briefly
        seconds = int(current_app.config["MEDIA_PUBLIC_MAX_AGE_S"])
        target = stores.area(current_app.config, "covers").url(name, expires_s=seconds)
        if target is None:
            abort(404)
        response = redirect(target, 302)
        response.headers["Cache-Control"] = f"public, max-age={max(seconds // 4, 1)}"
        return response
    response = send_from_directory(covers.folder(current_app.config["DATA_DIR"]), name, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # names change with content
    return response
