"""Opening a programme year (年度计划): the province union sets the notice date, the target of funded
places, the budget, subsidy standards and the application window. Opening a plan also gives the
province union its quota row, from which everything below is handed out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import require
from app.errors import Conflict, Invalid, NotFound
from programme.models import Attainment, Plan, Quota

STANDARD_FIELDS = tuple(f"std_{a.value}" for a in Attainment)


@dataclass
class PlanInput:
    year: int
    notice_date: date
    opens_on: date
    closes_on: date
    target_places: int = 10_000
    budget_yuan: int = 10_000_000
    standards: dict[str, int] | None = None  # std_dazhuan ... std_senior_technician; model defaults otherwise


def province(session: Session) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.kind == OrgKind.union,
                                                    Organisation.level == OrgLevel.province))
    if org is None:
        raise NotFound(_("还没有省总工会。"))
    return org


def _validate(data: PlanInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 2000 <= data.year <= 2100:
        errors["year"] = _("年度应在2000至2100之间。")
    if data.target_places <= 0:
        errors["target_places"] = _("资助名额应为正整数。")
    if data.budget_yuan < 0:
        errors["budget_yuan"] = _("预算不能为负数。")
    if data.closes_on < data.opens_on:
        errors["closes_on"] = _("截止日期不能早于开始日期。")
    for name, value in (data.standards or {}).items():
        if name not in STANDARD_FIELDS:
            errors[name] = _("未知的补贴标准。")
        elif value < 0:
            errors[name] = _("补贴标准不能为负数。")
    return errors


def open_plan(session: Session, actor: User, data: PlanInput) -> Plan:
    """Validate everything, then create the year and the province's quota row holding all of it."""
    prov = province(session)
    require(actor, "plan.manage", prov)
    errors = _validate(data)
    if errors:
        raise Invalid(_("年度计划有误，请按提示修改。"), fields=errors)
    if session.scalar(select(Plan.id).where(Plan.year == data.year)):
        raise Conflict(_("%(y)d 年度计划已存在。", y=data.year), code="plan_exists", fields={"year": _("已存在")})
    plan = Plan(year=data.year, notice_date=data.notice_date, opens_on=data.opens_on, closes_on=data.closes_on,
                target_places=data.target_places, budget_yuan=data.budget_yuan, created_by_id=actor.id,
                **(data.standards or {}))
    session.add(plan)
    session.flush()
    session.add(Quota(plan_id=plan.id, org_id=prov.id, places=plan.target_places, budget_yuan=plan.budget_yuan,
                      handed_out=0, used=0, budget_handed_out=0, spent=0, top_up_yuan=0))
    session.flush()
    return plan


def update_standards(session: Session, actor: User, plan: Plan, values: dict[str, Any]) -> Plan:
    require(actor, "plan.manage", province(session))
    errors = {k: _("补贴标准不能为负数。") for k, v in values.items() if k in STANDARD_FIELDS and int(v) < 0}
    if errors:
        raise Invalid(_("补贴标准有误。"), fields=errors)
    for key in STANDARD_FIELDS:
        if key in values:
            setattr(plan, key, int(values[key]))
    session.flush()
    return plan


def get_plan(session: Session, year: int) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.year == year))
    if plan is None:
        raise NotFound(_("没有 %(y)d 年度计划。", y=year))
    return plan


def current_plan(session: Session, today: date | None = None) -> Plan | None:
    """This year's plan if there is one, else the latest."""
    today = today or date.today()
    return (session.scalar(select(Plan).where(Plan.year == today.year))
            or session.scalar(select(Plan).order_by(Plan.year.desc()).limit(1)))


def all_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.year.desc())))
