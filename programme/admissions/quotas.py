"""Quotas handed down the union tree (名额分配): province → cities → counties, places and province money.

Every change is a conditional UPDATE that re-checks what the giver still holds inside the database
(`handed_out + used + delta <= places`), so two staff saving at once can never hand out more than was
received, on SQLite (one writer at a time; the UPDATE takes the write lock) and on PostgreSQL (the
UPDATE locks the row and re-evaluates its WHERE on the committed value). The CHECK constraints on
programme_quotas back this up. Every reallocation leaves a QuotaChange row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import events
from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import can, require
from app.errors import Conflict, Invalid
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Plan, Quota, QuotaChange
from programme.admissions.plans import MAX_STANDARD_YUAN

CHILD_LEVEL = {OrgLevel.province: OrgLevel.city, OrgLevel.city: OrgLevel.county}


def quota_of(session: Session, plan: Plan, org: Organisation) -> Quota | None:
    return session.scalar(select(Quota).where(Quota.plan_id == plan.id, Quota.org_id == org.id))


def _child_row(session: Session, plan: Plan, child: Organisation) -> Quota:
    """The child's row, created empty on first allocation (a racing creator wins; we then read its row)."""
    found = quota_of(session, plan, child)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(Quota(plan_id=plan.id, org_id=child.id, places=0, handed_out=0, used=0, budget_yuan=0,
                              budget_handed_out=0, spent=0, top_up_yuan=0))
    except IntegrityError:
        pass
    found = quota_of(session, plan, child)
    assert found is not None
    return found


def _validate(parent: Organisation, child: Organisation, places: int, budget: int) -> None:
    errors: dict[str, str] = {}
    if child.kind != OrgKind.union or child.parent_id != parent.id or CHILD_LEVEL.get(parent.level) != child.level:
        errors["org"] = _("只能分配给直属的下一级工会（省→市→县）。")
    if places < 0:
        errors["places"] = _("名额不能为负数。")
    if budget < 0:
        errors["budget_yuan"] = _("资金不能为负数。")
    if errors:
        raise Invalid(_("分配有误，请按提示修改。"), fields=errors)


def allocate(session: Session, actor: User, plan: Plan, child: Organisation, places: int, budget_yuan: int) -> Quota:
    """Set `child`'s share to `places` and `budget_yuan`, taking the difference from (or returning it to)
    its parent. Raises Conflict when the parent lacks it or the child has already passed on or used more."""
    parent = child.parent
    if parent is None:
        raise Invalid(_("省总工会的名额来自年度计划。"), fields={"org": _("不能分配给省总工会。")})
    require(actor, "quota.allocate", parent)
    _validate(parent, child, places, budget_yuan)
    parent_row = quota_of(session, plan, parent)
    if parent_row is None:
        raise Conflict(_("%(org)s 还没有收到本年度名额。", org=parent.name), code="no_quota")
    row = _child_row(session, plan, child)
    before_places, before_budget = row.places, row.budget_yuan
    d_places, d_budget = places - before_places, budget_yuan - before_budget
    if d_places == 0 and d_budget == 0:
        return row
    with session.begin_nested():  # both rows change, or neither
        taken = cast(CursorResult[Any], session.execute(update(Quota).where(
            Quota.id == parent_row.id,
            Quota.handed_out + Quota.used + d_places <= Quota.places,
            Quota.budget_handed_out + Quota.spent + d_budget <= Quota.budget_yuan,
        ).values(handed_out=Quota.handed_out + d_places, budget_handed_out=Quota.budget_handed_out + d_budget)
            .execution_options(synchronize_session=False))).rowcount
        if taken != 1:
            raise Conflict(_("%(org)s 剩余名额或资金不足。", org=parent.name), code="quota_exceeded")
        # The child's row changes only if nobody changed it since we read it, and it still covers what it gave.
        changed = cast(CursorResult[Any], session.execute(update(Quota).where(
            Quota.id == row.id, Quota.places == before_places, Quota.budget_yuan == before_budget,
            Quota.handed_out + Quota.used <= places, Quota.budget_handed_out + Quota.spent <= budget_yuan,
        ).values(places=places, budget_yuan=budget_yuan).execution_options(synchronize_session=False))).rowcount
        if changed != 1:
            raise Conflict(_("%(org)s 已向下分配或使用的名额、资金多于新的数额，或刚被他人修改。", org=child.name),
                           code="quota_in_use")
    change = QuotaChange(quota_id=row.id, actor_id=actor.id, places_before=before_places, places_after=places,
                         budget_before=before_budget, budget_after=budget_yuan)
    session.add(change)
    session.flush()
    events.announce(session, events.QUOTA_CHANGED, change.id, durable=False)  # the funds ledger posts the money moved
    session.refresh(row)
    session.refresh(parent_row)
    return row


def may_view_table(actor: User | None, org: Organisation) -> bool:
    """A quota table is a union's, shown to those who may read its reports."""
    return org.kind == OrgKind.union and can(actor, "report.view", org)


def allocate_to_child(session: Session, actor: User, plan: Plan, parent: Organisation, child_code: str | None,
                      places: int, budget_yuan: int) -> Quota:
    """Allocate from `parent`'s table to the child union picked by its code."""
    require(actor, "quota.allocate", parent)
    child = next((c for c in parent.children if c.code == child_code), None)
    if child is None:
        raise Invalid(_("请选择下一级工会。"), fields={"org": _("请选择下一级工会。")})
    return allocate(session, actor, plan, child, places, budget_yuan)


def set_top_up(session: Session, actor: User, plan: Plan, org: Organisation, yuan: int) -> Quota:
    """A city or county's own top-up per granted subsidy (配套资金)."""
    require(actor, "quota.top_up", org)
    if yuan < 0:
        raise Invalid(_("配套金额不能为负数。"), fields={"top_up_yuan": _("不能为负数。")})
    if yuan > MAX_STANDARD_YUAN:  # per person, as a plan's own standards (the column is a 32-bit INTEGER)
        message = _("数额过大，不能超过 %(n)d。", n=MAX_STANDARD_YUAN)
        raise Invalid(message, fields={"top_up_yuan": message})
    row = quota_of(session, plan, org)
    if row is None:
        raise Conflict(_("%(org)s 还没有收到本年度名额。", org=org.name), code="no_quota")
    row.top_up_yuan = yuan
    session.flush()
    return row


def take_place(session: Session, plan_id: int, county_id: int) -> None:
    """One county place for a verified application, or Conflict when none is left."""
    done = cast(CursorResult[Any], session.execute(update(Quota).where(
        Quota.plan_id == plan_id, Quota.org_id == county_id, Quota.handed_out + Quota.used + 1 <= Quota.places,
    ).values(used=Quota.used + 1).execution_options(synchronize_session=False))).rowcount
    if done != 1:
        raise Conflict(_("本县（市、区）的名额已用完，无法通过审核。"), code="quota_full")


def release_place(session: Session, plan_id: int, county_id: int) -> None:
    session.execute(update(Quota).where(Quota.plan_id == plan_id, Quota.org_id == county_id, Quota.used > 0)
                    .values(used=Quota.used - 1).execution_options(synchronize_session=False))


def release_replaced(session: Session, row: dict[str, Any]) -> None:
    """An application replaced by its twin when two accounts of one person are merged (app.accounts.merge) gives
    back the county place it held: a reviewer found the place lost, the next applicant refused as quota_full."""
    if row["holds_quota"]:
        release_place(session, row["plan_id"], row["county_id"])


def spend(session: Session, plan_id: int, county_id: int, yuan: int) -> None:
    """Take province money from the county's share for a subsidy; Conflict when the share is spent."""
    done = cast(CursorResult[Any], session.execute(update(Quota).where(
        Quota.plan_id == plan_id, Quota.org_id == county_id,
        Quota.budget_handed_out + Quota.spent + yuan <= Quota.budget_yuan,
    ).values(spent=Quota.spent + yuan).execution_options(synchronize_session=False))).rowcount
    if done != 1:
        raise Conflict(_("本县（市、区）的省级补贴资金不足。"), code="budget_exceeded")


def history(session: Session, plan: Plan, org: Organisation) -> list[QuotaChange]:
    """Changes to `org`'s share and to the shares of the unions directly below it, newest first."""
    ids = [org.id] + [c.id for c in org.children]
    return list(session.scalars(select(QuotaChange).join(Quota, Quota.id == QuotaChange.quota_id)
                                .where(Quota.plan_id == plan.id, Quota.org_id.in_(ids))
                                .order_by(QuotaChange.id.desc())))


STAGES = ("applied", "verified", "admitted", "enrolled", "graduated")


@dataclass
class RegionTotals:
    """Live figures for one union's region: its share and how far its applicants have got."""

    org: Organisation
    quota: Quota | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))


def _stage_counts(session: Session, plan: Plan) -> dict[int, dict[str, int]]:
    """Per county: applications that reached each stage (a later stage counts as every earlier one)."""
    reach = {AppStatus.applied: 0, AppStatus.verified: 1, AppStatus.admitted: 2, AppStatus.enrolled: 3}
    result: dict[int, dict[str, int]] = {}
    rows = session.execute(select(Application.county_id, Application.status, func.count())
                           .where(Application.plan_id == plan.id).group_by(Application.county_id, Application.status))
    for county_id, status, count in rows:
        counts = result.setdefault(county_id, dict.fromkeys(STAGES, 0))
        if status in reach:
            for stage in STAGES[:reach[status] + 1]:
                counts[stage] += count
    graduated = session.execute(select(Application.county_id, func.count()).join(EnrolmentRecord)
                                .where(Application.plan_id == plan.id, EnrolmentRecord.graduated_on.is_not(None))
                                .group_by(Application.county_id))
    for county_id, count in graduated:
        result.setdefault(county_id, dict.fromkeys(STAGES, 0))["graduated"] += count
    return result


def totals(session: Session, plan: Plan, org: Organisation) -> list[RegionTotals]:
    """`org` first, then each union directly below it, each with its quota row and rolled-up counts."""
    by_county = _stage_counts(session, plan)
    counties = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(by_county)))}
    regions = [org] + [c for c in org.children if c.kind == OrgKind.union]
    quotas = {q.org_id: q for q in session.scalars(select(Quota).where(
        Quota.plan_id == plan.id, Quota.org_id.in_([r.id for r in regions])))}
    out = []
    for region in regions:
        item = RegionTotals(region, quotas.get(region.id))
        for county_id, counts in by_county.items():
            if counties[county_id].is_within(region):
                for stage in STAGES:
                    item.counts[stage] += counts[stage]
        out.append(item)
    return out
