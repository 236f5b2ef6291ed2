"""Bulk work in the catalog (app/bulk.py): union staff select or return many submitted resources with one
comment, and hide or show many entries of their union catalog. Every item goes through the single-item service
(service.review, union_catalogs.add_resource / set_entry), so the policy and the status rules hold item by item."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import bulk
from app.accounts.policy import can, require
from app.errors import Invalid
from app.text import is_digits
from catalog import service, union_catalogs
from catalog.models import CatalogSection, Resource, UnionCatalog

REVIEW_DECISIONS = ("select", "return")
ENTRY_ACTIONS = {"hide": "hide", "show": "unhide"}


def _resources(session: Session, actor: Any, refs: list[str]) -> list[bulk.Item[Resource]]:
    found = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_([int(i) for i in refs]))
                                              .options(selectinload(Resource.provider), selectinload(Resource.lessons),
                                                       selectinload(Resource.categories)))}  # what review checks
    items = []
    for ref in refs:
        resource = found.get(int(ref))
        seen = resource is not None and (resource.is_published or can(actor, "resource.view", resource))
        items.append(bulk.Item(ref, resource, f"《{resource.title}》" if resource is not None and seen else f"#{ref}",
                               resource.provider_id if resource is not None else None))
    return items


def review_many(session: Session, actor: Any, ids: list[Any], decision: str, comment: str = "", *,
                catalog: UnionCatalog | None = None, section_id: int | None = None,
                seen: dict[str, int | None] | None = None) -> bulk.Outcome:
    """遴选 or return each selected resource with the same comment (required to return); selected ones may also
    go into a section of the actor's own union catalog. `seen`: resource id -> the submission the queue showed
    (service.review refuses one resubmitted since)."""
    refs = bulk.parse_ids(ids)
    comment = (comment or "").strip()
    if decision not in REVIEW_DECISIONS:
        raise Invalid(_("请选择审核结果。"), fields={"decision": _("请选择审核结果。")})
    if (decision == "return" and not comment) or len(comment) > 1000:
        raise Invalid(_("请填写原因（最多1000字）。"), fields={"comment": _("请填写原因（最多1000字）。")})
    section = None
    if decision == "select" and section_id and catalog is not None:
        section = session.get(CatalogSection, section_id)
        if section is None or section.catalog_id != catalog.id:
            raise Invalid(_("目录栏目不存在。"), fields={"section_id": _("目录栏目不存在。")})

    def step(resource: Resource) -> None:
        service.review(session, actor, resource, decision, comment, seen=(seen or {}).get(str(resource.id)))
        if section is not None and catalog is not None:
            union_catalogs.add_resource(session, actor, catalog, section.id, resource.id)

    return bulk.run(session, actor, f"resource.{decision}", "resource", _resources(session, actor, refs), step,
                    policy_action="resource.review", comment=comment[:200],
                    section=section.id if section is not None else None)


def entry_ref(section_id: int, key: str) -> str:
    """How a catalog entry is named in a form's `ids`: its section and its key ("r12", "uhttps://...")."""
    return f"{section_id}:{key}"


def entries_many(session: Session, actor: Any, catalog: UnionCatalog, ids: list[Any], action: str) -> bulk.Outcome:
    """Hide (on this level) or show again each selected entry of the catalog's sections."""
    require(actor, "catalog.edit", catalog.org)  # another union's catalog: refused whole (a 403), nothing read
    refs = bulk.parse_ids(ids, numeric=False)
    if action not in ENTRY_ACTIONS:
        raise Invalid(_("不支持的操作。"), code="bad_action")
    names = _entry_names(session, actor, catalog)
    items: list[bulk.Item[tuple[int, str]]] = []
    for ref in refs:
        section, _sep, key = ref.partition(":")
        target = (int(section), key) if is_digits(section) and key and len(section) <= 12 else None
        items.append(bulk.Item(ref, target, names.get(ref, f"#{ref[:80]}"), catalog.org_id))

    def step(target: tuple[int, str]) -> None:
        union_catalogs.set_entry(session, actor, catalog, target[0], target[1], ENTRY_ACTIONS[action])

    return bulk.run(session, actor, f"catalog.{action}", "catalog_entry", items, step, org_id=catalog.org_id)


def _entry_names(session: Session, actor: Any, catalog: UnionCatalog) -> dict[str, str]:
    """The name of every entry the editor shows (shown or hidden), by its `entry_ref`: a resource's title only
    where the actor may read it (union_catalogs.shown_title), as the editor itself shows it."""
    names = {}
    for part in union_catalogs.resolve(session, catalog, published_only=False):
        listed = [(e.key, e.resource, e.link_title) for e in part.entries]
        listed += [(i.key, i.resource, i.link_title or i.link_url) for i in part.hidden]
        for key, resource, link_name in listed:
            title = link_name if resource is None else union_catalogs.shown_title(resource, actor)
            if title is None and resource is not None:
                names[entry_ref(part.section.id, key)] = union_catalogs.withheld_label(resource.id)
            else:
                names[entry_ref(part.section.id, key)] = f"《{title}》"
    return names
