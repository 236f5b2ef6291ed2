"""Who may see which course analytics, and the figures they get: the policy decides (analytics.view on a resource,
analytics.union on a union), learning.analytics computes, and the satisfaction ratings come from programme.voice.
Every figure from fewer learners than ANALYTICS_MIN_LEARNERS is withheld (None)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import organisations, scope
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import can
from app.errors import NotFound
from catalog import union_catalogs
from catalog.models import Resource
from learning.analytics import curves, figures
from learning.models import Quiz, QuizAttempt
from programme.voice import surveys
from programme.voice.models import SurveyTarget


@dataclass(frozen=True)
class Ratings:
    count: int
    satisfaction: float | None
    teaching: float | None
    distribution: dict[int, int]


@dataclass(frozen=True)
class QuizFigures:
    takers: int
    passed: int


@dataclass(frozen=True)
class ResourcePage:
    figures: figures.ResourceFigures
    ratings: Ratings | None  # None: fewer answers than the floor
    quiz: QuizFigures | None  # None: no quiz, or fewer takers than the floor


@dataclass(frozen=True)
class UnionPage:
    org: Organisation
    summary: figures.ResourceFigures
    rows: list[figures.Row]
    viewable: set[int]  # the rows whose own page the viewer may open
    titles: dict[int, str]  # each row's title as the viewer may read it (withheld: "#id（已撤回或未发布）")


def _resource(session: Session, actor: Any, resource_id: int) -> Resource:
    """The resource, if `actor` may see its analytics; another organisation's resource is "not found" to them."""
    resource = session.get(Resource, resource_id)
    if resource is None or not can(actor, "analytics.view", resource):
        raise NotFound(_("没有找到这个资源，或者你无权查看它的学习分析。"), code="analytics_not_found")
    return resource


def _ratings(session: Session, resource: Resource, floor: int) -> Ratings | None:
    found = surveys.Summary()
    if resource.provider is not None:
        found = surveys.summary(session, surveys.Target(SurveyTarget.resource, resource.id, resource.title,
                                                        resource.provider))
    if not curves.shown(found.count, floor):
        return None
    return Ratings(found.count, found.satisfaction, found.teaching, dict(found.distribution))


def _quiz(session: Session, resource: Resource, floor: int) -> QuizFigures | None:
    quiz_id = session.scalar(select(Quiz.id).where(Quiz.resource_id == resource.id))
    if quiz_id is None:
        return None
    attempts = session.execute(select(QuizAttempt.user_id, QuizAttempt.passed)
                               .where(QuizAttempt.quiz_id == quiz_id)).all()
    takers = {user_id for user_id, _passed in attempts}
    if not curves.shown(len(takers), floor):
        return None
    return QuizFigures(len(takers), len({user_id for user_id, passed in attempts if passed}))


def resource_page(session: Session, actor: Any, resource_id: int, floor: int) -> ResourcePage:
    resource = _resource(session, actor, resource_id)
    return ResourcePage(figures.for_resource(session, resource, floor), _ratings(session, resource, floor),
                        _quiz(session, resource, floor))


def union_of(session: Session, actor: Any, code: str) -> Organisation:
    """The union with this code, if `actor` may see its roll-up; otherwise "not found" (no hint it exists)."""
    try:
        org = organisations.get_by_code(session, code)
    except NotFound:
        org = None
    if org is None or org.kind != OrgKind.union or not can(actor, "analytics.union", org):
        raise NotFound(_("没有找到这个工会，或者你无权查看它的学习汇总。"), code="analytics_not_found")
    return org


def union_resource_ids(session: Session, org: Organisation) -> set[int]:
    """The union's catalog (as resolved, inherited entries included) and every resource provided within its area."""
    ids = set(session.scalars(select(Resource.id).where(Resource.provider_id.in_(scope.within_ids([org])))))
    catalog = union_catalogs.catalog_of(session, org)
    if catalog is not None:
        ids |= union_catalogs.resource_ids_in(session, catalog)
    return ids


def union_page(session: Session, actor: Any, code: str, floor: int) -> UnionPage:
    """The roll-up with each row's title as the union may read it: its catalog may name another area's course that
    was withdrawn since, whose provider's later drafts (a new title among them) are not the union's to read. Such
    a row keeps its figures (the totals stay whole) under the catalog editor's label, listed last by id, so neither
    its name nor its place in the title order tells the draft title."""
    org = union_of(session, actor, code)
    summary, rows = figures.rollup(session, union_resource_ids(session, org), floor)
    shown = {row.resource.id: union_catalogs.shown_title(row.resource, actor) for row in rows}
    titles = {rid: title or union_catalogs.withheld_label(rid) for rid, title in shown.items()}
    rows = sorted(rows, key=lambda row: (0, 0) if shown[row.resource.id] is not None else (1, row.resource.id))
    viewable = {row.resource.id for row in rows if can(actor, "analytics.view", row.resource)}
    return UnionPage(org, summary, rows, viewable, titles)


def own_unions(session: Session, actor: Any) -> list[Organisation]:
    """The unions whose roll-up `actor` may read at the top of their reach (for the index link)."""
    return scope.orgs_of(actor, kinds=(OrgKind.union,), action="analytics.union")
