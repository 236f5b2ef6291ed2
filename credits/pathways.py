"""Qualification pathways (立交桥): institutions and unions define what a 专科 programme or a 高级工 track needs
(credits and required courses); a worker's progress toward each is computed from the ledger.

What counts toward a pathway: credits earned on its listed resources, credits converted by a table row that
names it, and recognised credits the worker asked to count toward it. A required item is done when the
worker holds an unrevoked completion certificate for it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organisation
from app.accounts.policy import require
from app.errors import Conflict, Invalid
from app.lookup import get_or_raise
from app.request_input import id_or_none
from catalog.models import Resource
from credits import ledger
from credits.fields import parse_credits
from credits.models import (
    Certificate,
    ConversionPathway,
    CreditRecord,
    Pathway,
    PathwayItem,
    PathwayKind,
    RecordKind,
)


@dataclass
class Progress:
    """A worker's standing on one pathway; pure numbers, no database."""

    pathway: Any
    counted: float
    required: float
    missing_items: list[Any] = field(default_factory=list)
    done_items: list[Any] = field(default_factory=list)

    @property
    def missing_credits(self) -> float:
        return round(max(0.0, self.required - self.counted), 2)

    @property
    def percent(self) -> int:
        """The share of the credits earned, floored: 10 of 12 is 83. Required courses are listed apart, not
        averaged in (that made 10 of 12 credits read 41%); a pathway of courses only counts its courses.
        100 means done, so a pathway with every credit but a course missing stops at 99."""
        if self.required:
            value = math.floor(100 * self.counted / self.required + 1e-9)
        else:
            items = len(self.missing_items) + len(self.done_items)
            value = math.floor(100 * len(self.done_items) / items) if items else 100
        value = max(0, min(100, value))
        return 100 if self.complete else min(value, 99)

    @property
    def complete(self) -> bool:
        return self.missing_credits == 0 and not self.missing_items


def _counts(record: CreditRecord, pathway_id: int, item_ids: set[int],
            conversion_pathways: dict[int, set[int]]) -> bool:
    if record.kind == RecordKind.earned:
        return record.resource_id in item_ids
    if record.kind == RecordKind.converted:
        return pathway_id in conversion_pathways.get(record.conversion_id or 0, set())
    if record.kind == RecordKind.recognised:
        return record.recognition is not None and record.recognition.pathway_id == pathway_id
    return False


def counted_credits(pathway_id: int, item_ids: set[int], records: list[CreditRecord],
                    conversion_pathways: dict[int, set[int]]) -> float:
    """The sum of in-force records that count toward the pathway (see the module docstring)."""
    return round(sum(r.amount for r in ledger.in_force(records)
                     if _counts(r, pathway_id, item_ids, conversion_pathways)), 2)


def _completed(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(Certificate.resource_id).where(
        Certificate.user_id == user_id, Certificate.revoked_at.is_(None))))


def _conversion_map(session: Session) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for row in session.execute(select(ConversionPathway.conversion_id, ConversionPathway.pathway_id)):
        out.setdefault(row.conversion_id, set()).add(row.pathway_id)
    return out


def progress(session: Session, user_id: int, pathways: list[Pathway]) -> list[Progress]:
    records = ledger.ledger(session, user_id)
    done = _completed(session, user_id)
    conversions = _conversion_map(session)
    out = []
    for pathway in pathways:
        item_ids = {item.resource_id for item in pathway.items}
        required = [item for item in pathway.items if item.required]
        out.append(Progress(
            pathway=pathway, counted=counted_credits(pathway.id, item_ids, records, conversions),
            required=pathway.required_credits,
            missing_items=[i for i in required if i.resource_id not in done],
            done_items=[i for i in required if i.resource_id in done]))
    return out


def started(found: list[Progress]) -> list[Progress]:
    """The pathways a worker is on the way to: any credit counted or required course done."""
    return [p for p in found if p.counted > 0 or p.done_items]


def active(session: Session) -> list[Pathway]:
    return list(session.scalars(select(Pathway).where(Pathway.active.is_(True))
                                .options(selectinload(Pathway.items).joinedload(PathwayItem.resource))
                                .order_by(Pathway.id)))


def get(session: Session, pathway_id: int) -> Pathway:
    return get_or_raise(session, Pathway, pathway_id, _("学分路径不存在。"), code="pathway_not_found")


def for_resource(session: Session, resource_id: int) -> list[PathwayItem]:
    """The active pathways a resource counts toward (shown on its page before enrolling)."""
    return list(session.scalars(select(PathwayItem).join(Pathway).where(
        PathwayItem.resource_id == resource_id, Pathway.active.is_(True)).order_by(Pathway.id)))


def resources_on_pathways(session: Session) -> frozenset[int]:
    """Every resource an active pathway counts, in one query: a page kept per resource asks this set before asking
    `for_resource` (most resources are on none)."""
    return frozenset(session.scalars(select(PathwayItem.resource_id).join(Pathway).where(Pathway.active.is_(True))))


def managed_by(session: Session, orgs: list[Organisation]) -> list[Pathway]:
    ids = [org.id for org in orgs]
    return list(session.scalars(select(Pathway).where(Pathway.org_id.in_(ids)).order_by(Pathway.id))) if ids else []


def create(session: Session, actor: Any, org: Organisation | None, raw: dict[str, Any]) -> Pathway:
    """A new pathway of `org` (its institution staff or the unions over it)."""
    if org is None:
        raise Invalid(_("请选择单位。"), code="invalid", fields={"org": _("请选择单位。")})
    require(actor, "pathway.manage", org)
    errors: dict[str, str] = {}
    title = " ".join(str(raw.get("title") or "").split())
    if not title or len(title) > 200:
        errors["title"] = _("请填写名称（200字以内）。")
    kind = str(raw.get("kind") or "")
    if kind not in PathwayKind.__members__:
        errors["kind"] = _("请选择路径类型。")
    description = str(raw.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = _("说明不能超过2000字。")
    needed = parse_credits(raw.get("required_credits"), "required_credits", errors)
    if errors:
        raise Invalid(_("请修改标出的内容。"), code="invalid", fields=errors)
    pathway = Pathway(org_id=org.id, kind=PathwayKind(kind), title=title, description=description,
                      required_credits=needed)
    session.add(pathway)
    session.flush()
    return pathway


def add_item(session: Session, actor: Any, pathway_id: int, resource_id: Any, required: bool) -> PathwayItem:
    """List a resource on a pathway; `required` makes it a module the worker must complete."""
    pathway = get(session, pathway_id)
    require(actor, "pathway.manage", pathway.org)
    resource = session.get(Resource, rid) if (rid := id_or_none(resource_id)) else None
    if resource is None:
        message = _("学习资源不存在，请填写资源编号。")
        raise Invalid(message, code="resource_not_found", fields={"resource_id": message})
    if not resource.is_published:
        # the pathway page is public: a draft (anyone's, by its number) listed there showed its title to all
        message = _("只能添加已发布的学习资源。")
        raise Invalid(message, code="resource_not_published", fields={"resource_id": message})
    if any(item.resource_id == resource.id for item in pathway.items):
        raise Conflict(_("这门课程已经在路径中了。"), code="item_exists")
    item = PathwayItem(pathway=pathway, resource_id=resource.id, required=bool(required))
    session.add(item)
    session.flush()
    return item


def retire(session: Session, actor: Any, pathway_id: int) -> Pathway:
    """Hide a pathway from workers; its history stays for transcripts."""
    pathway = get(session, pathway_id)
    require(actor, "pathway.manage", pathway.org)
    pathway.active = False
    session.flush()
    return pathway
