"""An enterprise's own subsidy on top of the union's (企业补贴): per year, an amount for each approved claim, the
attainments it rewards, further conditions in words, and a budget. The claims flow (programme/money/subsidies.py)
asks `commit_for` when the union approves a claim: the worker's link to the enterprise must be confirmed and
their consent given (the enterprise learns of every claim it tops up: its committed total moves), the attainment
listed, and the budget must still hold the amount, taken by a conditional UPDATE (and held by the
table's CHECK), so two approvals at once never overspend. When the budget is used up, the union's part is paid
as before and the enterprise's part is 0, said on the claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.errors import Invalid
from app.sanitize import clean_text
from programme.admissions.models import Attainment, Plan
from programme.enterprises.models import EnterpriseLink, EnterpriseSubsidy, LinkStatus

CONDITIONS_MAX = 500
AMOUNT_MAX = 100_000  # yuan per claim; more is a typing slip
BUDGET_MAX = 100_000_000


@dataclass(frozen=True)
class SubsidyInput:
    amount_yuan: int
    budget_yuan: int
    attainments: tuple[str, ...]
    conditions: str = ""


def of_year(session: Session, enterprise: Organisation, plan: Plan) -> EnterpriseSubsidy | None:
    return session.scalar(select(EnterpriseSubsidy).where(EnterpriseSubsidy.enterprise_id == enterprise.id,
                                                          EnterpriseSubsidy.plan_id == plan.id))


def _validate(data: SubsidyInput, committed: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 0 <= data.amount_yuan <= AMOUNT_MAX:
        errors["amount_yuan"] = _("每人补贴金额应为0到%(n)d元的整数。", n=AMOUNT_MAX)
    if not 0 <= data.budget_yuan <= BUDGET_MAX:
        errors["budget_yuan"] = _("预算应为0到%(n)d元的整数。", n=BUDGET_MAX)
    elif data.budget_yuan < committed:
        errors["budget_yuan"] = _("已承诺%(n)d元，预算不能少于这个数。", n=committed)
    if not data.attainments or not set(data.attainments) <= set(Attainment):
        errors["attainments"] = _("请至少选择一项补贴的学历或证书。")
    if len(clean_text(data.conditions)) > CONDITIONS_MAX:
        errors["conditions"] = _("条件说明最多%(n)d字。", n=CONDITIONS_MAX)
    return errors


def set_subsidy(session: Session, actor: User, enterprise: Organisation, plan: Plan,
                data: SubsidyInput) -> EnterpriseSubsidy:
    """Create or change the year's top-up; the budget never drops below what approved claims already hold."""
    require(actor, "enterprise.manage", enterprise)
    row = of_year(session, enterprise, plan)
    errors = _validate(data, row.committed_yuan if row is not None else 0)
    if errors:
        raise Invalid(_("企业补贴没有保存，请按提示修改。"), code="subsidy_invalid", fields=errors)
    if row is None:
        row = EnterpriseSubsidy(enterprise_id=enterprise.id, plan_id=plan.id, committed_yuan=0)
        session.add(row)
    row.amount_yuan, row.budget_yuan = data.amount_yuan, data.budget_yuan
    row.attainments = ",".join(a for a in Attainment if a in data.attainments)
    row.conditions, row.updated_by_id = clean_text(data.conditions), actor.id
    session.flush()
    audit.record(session, actor, "enterprise.subsidy", "enterprise_subsidy", row.id, org_id=enterprise.id,
                 amount=row.amount_yuan, budget=row.budget_yuan, attainments=row.attainments)
    return row


def enterprise_of(session: Session, user_id: int) -> Organisation | None:
    """The enterprise that confirmed the worker as theirs, if the worker shares their learning with it now: its
    subsidy page shows what is committed, so a claim drawn for anyone else told it of their claim and amount."""
    link = session.scalar(select(EnterpriseLink).where(EnterpriseLink.user_id == user_id,
                                                       EnterpriseLink.status == LinkStatus.confirmed,
                                                       EnterpriseLink.consent_at.is_not(None)))
    return link.enterprise if link is not None else None


def commit_for(session: Session, user_id: int, plan_id: int, attainment: str) -> tuple[Organisation | None, int]:
    """(enterprise, amount) the worker's enterprise adds to an approved claim, its budget taken now; (…, 0) when
    there is no top-up, the attainment is not one it rewards, or what is left of the budget is too little."""
    enterprise = enterprise_of(session, user_id)
    if enterprise is None:
        return None, 0
    row = session.scalar(select(EnterpriseSubsidy).where(EnterpriseSubsidy.enterprise_id == enterprise.id,
                                                         EnterpriseSubsidy.plan_id == plan_id))
    if row is None or row.amount_yuan <= 0 or attainment not in row.attainment_list:
        return enterprise, 0
    amount = row.amount_yuan
    taken = cast(CursorResult[Any], session.execute(
        update(EnterpriseSubsidy).where(EnterpriseSubsidy.id == row.id,
                                        EnterpriseSubsidy.committed_yuan + amount <= EnterpriseSubsidy.budget_yuan)
        .values(committed_yuan=EnterpriseSubsidy.committed_yuan + amount)
        .execution_options(synchronize_session=False))).rowcount
    session.refresh(row)
    return enterprise, amount if taken == 1 else 0
