"""The catalog, as search sees it: published resources read from the database as ResourceDocs.

The only module of this package that imports catalog models (besides the staff draft search)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from catalog.categories import Menu, load_menu
from catalog.models import Resource, ResourceStatus
from search.documents import ResourceDoc

BATCH = 500


def _options() -> tuple[LoaderOption, ...]:
    return (selectinload(Resource.provider), selectinload(Resource.categories), selectinload(Resource.industries),
            selectinload(Resource.audiences), selectinload(Resource.tags), selectinload(Resource.teachers),
            selectinload(Resource.units), selectinload(Resource.lessons))


def to_doc(resource: Resource, menu: Menu) -> ResourceDoc:
    codes: list[str] = []
    names: list[str] = []
    for category in resource.categories:
        for node in menu.ancestors(category.code):  # a resource under 建筑 is found under 岗位技能 too
            if node.code not in codes:
                codes.append(node.code)
                names.append(node.name)
    return ResourceDoc(
        id=resource.id, title=resource.title, kind=resource.kind.value, summary=resource.summary or "",
        description_html=resource.description_html or "", categories=codes, category_names=names,
        industries=[i.industry.value for i in resource.industries],
        audiences=[a.audience.value for a in resource.audiences],
        provider=resource.provider.code, provider_name=resource.provider.name,
        teachers=[f"{t.name} {t.title}".strip() for t in resource.teachers], tags=[t.name for t in resource.tags],
        lessons=[u.title for u in resource.units] + [lesson.title for lesson in resource.lessons],
        credits=float(resource.credits or 0), published_at=resource.published_at,
        enrolled=int(resource.enrolment_count or 0))


def load(session: Session, ids: Iterable[int]) -> dict[int, ResourceDoc | None]:
    """id -> its document when published, None when it must leave the index (or no longer exists)."""
    wanted = sorted(set(ids))
    found: dict[int, ResourceDoc | None] = dict.fromkeys(wanted)
    if not wanted:
        return found
    menu = load_menu(session)
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start:start + BATCH]
        query = select(Resource).where(Resource.id.in_(chunk), Resource.status == ResourceStatus.published)
        for resource in session.scalars(query.options(*_options())):
            found[resource.id] = to_doc(resource, menu)
    return found


def changes(session: Session, ids: Iterable[int]) -> tuple[list[ResourceDoc], list[int]]:
    """What the index must do for changed `ids`: (documents to index, ids to remove)."""
    docs = load(session, ids)
    return [doc for doc in docs.values() if doc is not None], [rid for rid, doc in docs.items() if doc is None]


def published_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Resource)
                          .where(Resource.status == ResourceStatus.published)) or 0


def published(session: Session) -> Iterator[ResourceDoc]:
    """Every published resource, in id order, a batch of queries at a time."""
    menu = load_menu(session)
    last = 0
    while True:
        query = (select(Resource).where(Resource.status == ResourceStatus.published, Resource.id > last)
                 .order_by(Resource.id).limit(BATCH).options(*_options()))
        batch = list(session.scalars(query))
        if not batch:
            return
        for resource in batch:
            yield to_doc(resource, menu)
        last = batch[-1].id
        session.expunge_all()  # keep memory flat over 100,000 resources
