"""Gathers what credits/recommend_rules.py ranks, for one worker, in a fixed number of queries whatever the
catalog's size: the worker's enrolments, the pathways they are on, what workers who took the same courses
finished, their union's catalog, and a bounded pool of candidates (never a query per card).

What is the same for everyone (the site's most taken courses, a union catalog's courses) goes through `cache`,
which the views give as app.sharedparts.shared: made once per catalog change, not per page."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.accounts.models import User
from catalog import union_catalogs
from catalog.labels import INDUSTRY_LABELS
from catalog.models import Category, Industry, Resource, ResourceCategory, ResourceIndustry, ResourceStatus
from credits import pathways
from credits.recommend_rules import Course, Inputs, PathwayInProgress, Reason, Recommendation, rank
from learning.models import Enrolment

T = TypeVar("T")
Cache = Callable[[Hashable, Callable[[], T]], T]
POOL = 40         # candidates taken from each source (popular, industry, union)
PEERS = 60        # co-completion pairs read per worker


def _no_cache(key: Hashable, make: Callable[[], Any]) -> Any:
    return make()


def _published(query: Any) -> Any:
    return query.where(Resource.status == ResourceStatus.published)


def _popular_ids(session: Session) -> list[int]:
    return list(session.scalars(_published(select(Resource.id)).order_by(
        Resource.enrolment_count.desc(), Resource.id).limit(POOL)))


def _union_ids(session: Session, user: User) -> tuple[str, list[int]]:
    """The courses of the catalog nearest the worker's union, most taken first."""
    profile = user.profile
    union = profile.union if profile is not None else None
    catalog = union_catalogs.nearest_catalog(session, union) if union is not None else None
    if catalog is None:
        return "", []
    ids = union_catalogs.resource_ids_in(session, catalog)
    ordered = list(session.scalars(_published(select(Resource.id)).where(Resource.id.in_(ids)).order_by(
        Resource.enrolment_count.desc(), Resource.id).limit(POOL))) if ids else []
    return catalog.org.name, ordered


def _co_completion(session: Session, user_id: int, started: set[int]) -> dict[int, dict[int, int]]:
    """For each course the worker took: the courses other workers who took it went on to finish, counted."""
    if not started:
        return {}
    mine, theirs = aliased(Enrolment), aliased(Enrolment)
    count = func.count().label("n")
    rows = session.execute(
        select(mine.resource_id, theirs.resource_id, count)
        .join(theirs, and_(theirs.user_id == mine.user_id, theirs.resource_id != mine.resource_id))
        .where(mine.resource_id.in_(started), mine.user_id != user_id, theirs.completed_at.is_not(None))
        .group_by(mine.resource_id, theirs.resource_id).order_by(count.desc()).limit(PEERS))
    out: dict[int, dict[int, int]] = {}
    for taken, other, n in rows:
        out.setdefault(taken, {})[other] = n
    return out


def _courses(session: Session, ids: set[int]) -> dict[int, Course]:
    if not ids:
        return {}
    rows = session.scalars(_published(select(Resource)).where(Resource.id.in_(ids)).options(
        selectinload(Resource.industries), selectinload(Resource.categories)))
    return {r.id: Course(r.id, r.title, frozenset(i.industry.value for i in r.industries),
                         frozenset(c.name for c in r.categories), r.enrolment_count) for r in rows}


def _trade(session: Session, started: set[int]) -> tuple[frozenset[str], frozenset[str]]:
    """The worker's industries and menu sections, from the courses they took (the profile names neither)."""
    if not started:
        return frozenset(), frozenset()
    industries = session.scalars(select(ResourceIndustry.industry).where(ResourceIndustry.resource_id.in_(started)))
    categories = session.scalars(select(Category.name).join(ResourceCategory, ResourceCategory.category_id
                                                            == Category.id).where(
        ResourceCategory.resource_id.in_(started)))
    return frozenset(i.value for i in industries), frozenset(categories)


def _fitting_ids(session: Session, industries: frozenset[str], started: set[int]) -> list[int]:
    if not industries:
        return []
    return list(session.scalars(_published(select(Resource.id)).join(ResourceIndustry).where(
        ResourceIndustry.industry.in_(industries), Resource.id.not_in(started) if started else True)
        .order_by(Resource.enrolment_count.desc(), Resource.id).limit(POOL)))


def inputs_for(session: Session, user: User, cache: Cache[Any] = _no_cache) -> Inputs:
    """Everything the ranking needs for `user` (see the module docstring for the query budget)."""
    enrolled = {row.resource_id for row in session.execute(
        select(Enrolment.resource_id).where(Enrolment.user_id == user.id))}
    industries, categories = _trade(session, enrolled)
    in_progress = [p for p in pathways.started(pathways.progress(session, user.id, pathways.active(session)))
                   if not p.complete]
    paths = [PathwayInProgress(p.pathway.title, tuple(
        [i.resource_id for i in p.missing_items] + [i.resource_id for i in p.pathway.items
                                                   if not i.required and i.resource_id not in enrolled]))
             for p in in_progress]
    peers = _co_completion(session, user.id, enrolled)
    popular = cache(("recommend.popular",), lambda: _popular_ids(session))
    union_key = user.profile.union_id if user.profile is not None else None
    union_name, union_ids = cache(("recommend.union", union_key), lambda: _union_ids(session, user))
    pool = set(popular) | set(union_ids) | set(_fitting_ids(session, industries, enrolled)) | enrolled
    pool |= {c for p in paths for c in p.missing} | {c for found in peers.values() for c in found}
    return Inputs(courses=_courses(session, pool), started=frozenset(enrolled), industries=industries,
                  categories=categories, pathways=paths, co_completion=peers, union_name=union_name,
                  union_courses=union_ids)


def for_user(session: Session, user: User, limit: int = 5, cache: Cache[Any] = _no_cache) -> list[Recommendation]:
    """What `user` might study next, each with the reasons that put it there."""
    return rank(inputs_for(session, user, cache), limit)


REASONS = {
    "pathway": _l("因为你在学 %(s)s 路径"),
    "peers": _l("学过《%(s)s》的工友也学完了这门"),
    "industry": _l("适合%(s)s行业"),
    "category": _l("和你学过的“%(s)s”课程同类"),
    "union": _l("%(s)s资源目录推荐"),
    "popular": _l("很多工友在学"),
}


def explain(reason: Reason) -> str:
    """The sentence a worker reads under a recommendation."""
    subject = reason.subject
    if reason.kind == "industry" and subject in Industry.__members__:
        subject = str(INDUSTRY_LABELS[Industry(subject)])
    elif reason.kind == "pathway":  # "电工（高级工）技能提升路径" reads "…提升 路径", not "…路径 路径"
        subject = subject.removesuffix("路径").strip() or subject
    return str(REASONS[reason.kind]) % {"s": subject}
