"""Union catalogs (资源开放目录): each union's ordered sections of published resources and external links,
with menu inheritance. A catalog created under a parent union's catalog copies its sections; each copied
section keeps showing the parent section's entries live, and the lower level pins, hides or adds its own.

Resolving a catalog costs a fixed number of queries whatever its size (sections, items, resources)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.sanitize import clean_text
from app.text import is_digits
from catalog.categories import load_menu
from catalog.models import CatalogItem, CatalogSection, Resource, ResourceStatus, UnionCatalog
from catalog.schemas import check_url


@dataclass
class Entry:
    key: str                      # "r<resource id>" or "u<url>": the same entry at every level
    resource: Resource | None
    link_title: str
    link_url: str
    pinned: bool
    inherited: bool               # shown because the parent section has it
    item_id: int | None           # our own item (None for inherited entries)


@dataclass
class ResolvedSection:
    section: CatalogSection
    entries: list[Entry]
    hidden: list[CatalogItem]     # tombstones: inherited entries this level hides

    def hidden_labels(self, viewer: Any) -> list[tuple[CatalogItem, str]]:
        """Each tombstone with the name the editor shows for it (see `shown_title`)."""
        return [(item, item.link_url if item.resource is None
                 else shown_title(item.resource, viewer) or withheld_label(item.resource.id)) for item in self.hidden]


def shown_title(resource: Resource, viewer: Any) -> str | None:
    """A listed resource's title, if `viewer` may read it: it is published, or theirs to view. A union may hide
    any published resource; once that is withdrawn, the titles of its later drafts are not the union's to read."""
    return resource.title if resource.is_published or can(viewer, "resource.view", resource) else None


def withheld_label(resource_id: int) -> str:
    return _("#%(id)d（已撤回或未发布）", id=resource_id)


def catalog_of(session: Session, org: Organisation) -> UnionCatalog | None:
    return session.scalar(select(UnionCatalog).where(UnionCatalog.org_id == org.id))


def catalogs_of(session: Session, orgs: list[Organisation]) -> dict[int, UnionCatalog]:
    """Catalogs of several organisations in one query, by organisation id."""
    ids = [o.id for o in orgs]
    return {c.org_id: c for c in session.scalars(select(UnionCatalog).where(UnionCatalog.org_id.in_(ids)))} if ids \
        else {}


def nearest_catalog(session: Session, org: Organisation) -> UnionCatalog | None:
    """The catalog of this union or the closest union above it that has one."""
    codes = [c for c in org.path.strip("/").split("/") if c]
    found = {c.org.code: c for c in session.scalars(
        select(UnionCatalog).join(Organisation, Organisation.id == UnionCatalog.org_id)
        .where(Organisation.code.in_(codes)))}
    return next((found[code] for code in reversed(codes) if code in found), None)


def create_catalog(session: Session, actor: Any, org: Organisation, *, inherit: bool = True,
                   title: str = "") -> UnionCatalog:
    """Start a union's catalog: a copy of the nearest parent catalog's sections, or one section per menu branch."""
    require(actor, "catalog.edit", org)
    if org.kind != OrgKind.union:
        raise Invalid(_("只有工会可以建立资源开放目录。"), code="not_a_union")
    if catalog_of(session, org) is not None:
        raise Conflict(_("本级资源开放目录已经建立。"), code="catalog_exists")
    parent = nearest_catalog(session, org.parent) if (inherit and org.parent is not None) else None
    catalog = UnionCatalog(org=org, parent=parent, title=clean_text(title)[:200] or _(
        "%(name)s资源开放目录", name=org.name))
    session.add(catalog)
    if parent is not None:
        for section in parent.sections:
            catalog.sections.append(CatalogSection(title=section.title, position=section.position,
                                                   source_section_id=section.id))
    else:
        for position, root in enumerate(load_menu(session).roots):
            catalog.sections.append(CatalogSection(title=root.name, position=position))
    session.flush()
    return catalog


def _chain(catalog: UnionCatalog) -> list[UnionCatalog]:
    chain: list[UnionCatalog] = []
    current: UnionCatalog | None = catalog
    while current is not None and current not in chain:
        chain.append(current)
        current = current.parent
    return chain


def _entry(item: CatalogItem, resources: dict[int, Resource], inherited: bool) -> Entry:
    return Entry(key=item.key, resource=resources.get(item.resource_id or 0), link_title=item.link_title,
                 link_url=item.link_url, pinned=item.pinned and not inherited, inherited=inherited,
                 item_id=None if inherited else item.id)


def _effective(section_id: int, sections: dict[int, CatalogSection], items: dict[int, list[CatalogItem]],
               resources: dict[int, Resource], depth: int = 0) -> list[Entry]:
    """A section's entries: pinned own ones, then the inherited ones (minus what this level hides or lists
    itself), then the rest of its own. Works on rows already loaded, so it costs no query."""
    own = items.get(section_id, [])
    hidden = {i.key for i in own if i.hidden}
    shown = [i for i in own if not i.hidden]
    own_keys = {i.key for i in shown}
    source = sections[section_id].source_section_id
    inherited = []
    if source in sections and depth < 8:
        inherited = [Entry(e.key, e.resource, e.link_title, e.link_url, False, True, None)
                     for e in _effective(source, sections, items, resources, depth + 1)
                     if e.key not in hidden and e.key not in own_keys]
    return ([_entry(i, resources, False) for i in shown if i.pinned] + inherited
            + [_entry(i, resources, False) for i in shown if not i.pinned])


def _load(session: Session, catalog_ids: list[int] | None) -> tuple[dict[int, CatalogSection],
                                                                       dict[int, list[CatalogItem]]]:
    query = select(CatalogSection)
    if catalog_ids is not None:
        query = query.where(CatalogSection.catalog_id.in_(catalog_ids))
    sections = {s.id: s for s in session.scalars(query)}
    items: dict[int, list[CatalogItem]] = defaultdict(list)
    item_query = select(CatalogItem).order_by(CatalogItem.position, CatalogItem.id)
    if catalog_ids is not None:
        item_query = item_query.where(CatalogItem.section_id.in_(list(sections)))
    for item in session.scalars(item_query):
        items[item.section_id].append(item)
    return sections, items


def resolve(session: Session, catalog: UnionCatalog, *, published_only: bool = True) -> list[ResolvedSection]:
    """Every section of the catalog with its effective entries, in four queries."""
    sections, items = _load(session, [c.id for c in _chain(catalog)])
    resource_ids = {i.resource_id for rows in items.values() for i in rows if i.resource_id}
    resources = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(resource_ids))
                                                  .options(selectinload(Resource.provider)))} if resource_ids else {}

    def visible(entry: Entry) -> bool:
        if entry.resource is None:
            return bool(entry.link_url) and entry.key.startswith("u")
        return entry.resource.status == ResourceStatus.published or not published_only

    own_sections = sorted((s for s in sections.values() if s.catalog_id == catalog.id),
                          key=lambda s: (s.position, s.id))
    return [ResolvedSection(s, [e for e in _effective(s.id, sections, items, resources) if visible(e)],
                            [i for i in items[s.id] if i.hidden]) for s in own_sections]


def resource_ids_in(session: Session, catalog: UnionCatalog) -> set[int]:
    """Every resource a catalog lists (published or not: callers filter on status)."""
    sections, items = _load(session, [c.id for c in _chain(catalog)])
    return {int(e.key[1:]) for s in sections.values() if s.catalog_id == catalog.id
            for e in _effective(s.id, sections, items, {}) if e.key.startswith("r")}


def memberships(session: Session) -> dict[int, set[str]]:
    """resource id -> codes of the unions whose catalogs list it, for OAI-PMH set specs (three queries)."""
    catalogs = {c.id: c for c in session.scalars(select(UnionCatalog))}
    sections, items = _load(session, None)
    out: dict[int, set[str]] = defaultdict(set)
    for section in sections.values():
        code = catalogs[section.catalog_id].org.code
        for entry in _effective(section.id, sections, items, {}):
            if entry.key.startswith("r"):
                out[int(entry.key[1:])].add(code)
    return out


def _section_of(session: Session, catalog: UnionCatalog, section_id: int) -> CatalogSection:
    section = session.get(CatalogSection, section_id)
    if section is None or section.catalog_id != catalog.id:
        raise NotFound(_("目录栏目不存在。"))
    return section


def _touch(session: Session, catalog: UnionCatalog) -> None:
    catalog.updated_at = utcnow()
    session.flush()


def add_section(session: Session, actor: Any, catalog: UnionCatalog, title: str) -> CatalogSection:
    require(actor, "catalog.edit", catalog.org)
    title = clean_text(title)
    if not title or len(title) > 100:
        raise Invalid(_("请修改标出的内容。"), fields={"title": _("请填写栏目名称（最多100字）。")})
    section = CatalogSection(title=title, position=len(catalog.sections))
    catalog.sections.append(section)
    _touch(session, catalog)
    return section


def move_section(session: Session, actor: Any, catalog: UnionCatalog, section_id: int, offset: int) -> None:
    require(actor, "catalog.edit", catalog.org)
    section = _section_of(session, catalog, section_id)
    ordered = sorted(catalog.sections, key=lambda s: (s.position, s.id))
    index = ordered.index(section)
    ordered.insert(max(0, min(len(ordered) - 1, index + offset)), ordered.pop(index))
    for position, item in enumerate(ordered):
        item.position = position
    _touch(session, catalog)


def delete_section(session: Session, actor: Any, catalog: UnionCatalog, section_id: int) -> None:
    """Delete a section and its items. Sections of lower catalogs that followed it become sections of their own:
    they keep what they added or pinned, and drop their tombstones, which now hide nothing.

    Only the collection loses the section (delete-orphan deletes it and its items at flush): also calling
    session.delete() made SQLAlchemy autoflush the orphan while cascading, then fail the flush (a 500)."""
    require(actor, "catalog.edit", catalog.org)
    section = _section_of(session, catalog, section_id)
    followers = list(session.scalars(select(CatalogSection).where(CatalogSection.source_section_id == section.id)))
    for follower in followers:
        follower.source_section_id = None
        follower.catalog.updated_at = utcnow()
        for tombstone in [i for i in follower.items if i.hidden]:
            follower.items.remove(tombstone)
    catalog.sections.remove(section)
    for position, rest in enumerate(sorted(catalog.sections, key=lambda s: (s.position, s.id))):
        rest.position = position
    _touch(session, catalog)


def add_resource(session: Session, actor: Any, catalog: UnionCatalog, section_id: int, resource_id: int,
                 pinned: bool = False) -> CatalogItem:
    """List a published resource in a section (or pin an inherited one: the same key, pinned)."""
    require(actor, "catalog.edit", catalog.org)
    section = _section_of(session, catalog, section_id)
    resource = session.get(Resource, resource_id)
    if resource is None or resource.status != ResourceStatus.published:
        raise Invalid(_("只能把已发布的资源加入目录。"), code="not_published",
                      fields={"resource_id": _("只能把已发布的资源加入目录。")})
    existing = next((i for i in section.items if i.resource_id == resource_id), None)
    if existing is not None:
        existing.hidden, existing.pinned = False, existing.pinned or pinned
        _touch(session, catalog)
        return existing
    item = CatalogItem(resource_id=resource_id, pinned=pinned, position=len(section.items))
    section.items.append(item)
    _touch(session, catalog)
    return item


def add_link(session: Session, actor: Any, catalog: UnionCatalog, section_id: int, title: str,
             url: str) -> CatalogItem:
    require(actor, "catalog.edit", catalog.org)
    section = _section_of(session, catalog, section_id)
    title, url = clean_text(title), clean_text(url)
    errors = {}
    if not title or len(title) > 200:
        errors["link_title"] = _("请填写链接名称（最多200字）。")
    if not check_url(url):
        errors["link_url"] = _("链接应以 http:// 或 https:// 开头。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    item = CatalogItem(link_title=title, link_url=url, position=len(section.items))
    section.items.append(item)
    _touch(session, catalog)
    return item


def _key_item(section: CatalogSection, key: str) -> CatalogItem | None:
    return next((i for i in section.items if i.key == key), None)


def set_entry(session: Session, actor: Any, catalog: UnionCatalog, section_id: int, key: str,
              action: str) -> None:
    """pin / unpin / hide / unhide / remove an entry of a section, by its key."""
    require(actor, "catalog.edit", catalog.org)
    section = _section_of(session, catalog, section_id)
    item = _key_item(section, key)
    if action in ("pin", "hide"):
        if item is None:
            item = _item_for_key(key, len(section.items))
            if item.resource_id is not None and not _listable(session, catalog, section, item):
                raise NotFound(_("目录条目不存在。"))
            if key.startswith("u"):  # a link pinned or hidden here keeps its name
                item.link_title = next((e.link_title for e in _inherited(session, catalog, section)
                                        if e.key == key), "")
            section.items.append(item)
        item.pinned, item.hidden = action == "pin", action == "hide"
    elif action in ("unpin", "unhide", "remove"):
        if item is None:
            raise NotFound(_("目录条目不存在。"))
        if action == "unhide" and not item.hidden:
            raise Conflict(_("这一条没有被隐藏。"), code="not_hidden")
        if action == "unpin":
            item.pinned = False
        elif action == "unhide" and item.key not in {e.key for e in _inherited(session, catalog, section)}:
            item.hidden = False  # our own entry, hidden: shown again (dropping the row would lose it)
        else:
            section.items.remove(item)  # delete-orphan deletes it at flush
    else:
        raise Invalid(_("不支持的操作。"), code="bad_action")
    _touch(session, catalog)


def _listable(session: Session, catalog: UnionCatalog, section: CatalogSection, item: CatalogItem) -> bool:
    """A resource a section may pin or hide: one it shows from the level above, or a published one. Any id
    accepted, a draft's title showed in the editor once hidden (any union could read every draft's), and an id of
    no resource was a 500."""
    resource = session.get(Resource, item.resource_id)
    return resource is not None and (resource.status == ResourceStatus.published or item.key in {
        e.key for e in _inherited(session, catalog, section)})


def _inherited(session: Session, catalog: UnionCatalog, section: CatalogSection) -> list[Entry]:
    """The entries a section shows from the parent's section (before this level hides any)."""
    if section.source_section_id is None:
        return []
    sections, items = _load(session, [c.id for c in _chain(catalog)])
    source = section.source_section_id
    return _effective(source, sections, items, {}) if source in sections else []


def _item_for_key(key: str, position: int) -> CatalogItem:
    if key.startswith("r") and is_digits(key[1:]):
        return CatalogItem(resource_id=int(key[1:]), position=position)
    if key.startswith("u") and check_url(key[1:]):
        return CatalogItem(link_url=key[1:], position=position)
    raise Invalid(_("目录条目不存在。"), code="bad_key")


def overview(session: Session) -> list[tuple[UnionCatalog, int, int]]:
    """Every union catalog with its number of sections and own items, by organisation path (province page)."""
    sections = dict(session.execute(select(CatalogSection.catalog_id, func.count())
                                    .group_by(CatalogSection.catalog_id)).all())
    items = dict(session.execute(select(CatalogSection.catalog_id, func.count(CatalogItem.id))
                                 .join(CatalogItem, CatalogItem.section_id == CatalogSection.id)
                                 .where(CatalogItem.hidden.is_(False)).group_by(CatalogSection.catalog_id)).all())
    catalogs = session.scalars(select(UnionCatalog).join(Organisation, Organisation.id == UnionCatalog.org_id)
                               .order_by(Organisation.path))
    return [(c, sections.get(c.id, 0), items.get(c.id, 0)) for c in catalogs]


def published_entries(resolved: list[ResolvedSection]) -> list[tuple[CatalogSection, Entry]]:
    """Flattened (section, entry) pairs, each resource once (its first section), for exports and feeds."""
    seen: set[str] = set()
    out = []
    for part in resolved:
        for entry in part.entries:
            if entry.key not in seen:
                seen.add(entry.key)
                out.append((part.section, entry))
    return out
