"""Programme test data made through the services: a year, quotas down to 西湖区, a selected offering of
INST-T1 and eligible workers under 西湖区 (330106)."""

from __future__ import annotations

from datetime import date

from app.accounts import organisations, service
from app.extensions import db
from programme import declarations, plans, quotas
from programme.declarations import OfferingInput
from tests import factories

YEAR = 2026
NOTICE = date(2026, 3, 1)
OPEN_DAY = date(2026, 4, 1)
ELIGIBLE = {"real_name": "张三明", "job_level": "front_line", "union_member": True, "union_code": "330106",
            "employer_type": "enterprise", "contract_start": "2025-09-01", "contract_end": "2026-08-31",
            "education": "high_school"}


def org(code: str):
    return organisations.get_by_code(db.session, code)


def staff(role: str = "union_staff", code: str | None = None):
    return factories.user(role=role, org_code=code)


def open_year(places: int = 100, budget: int = 100_000) -> plans.Plan:
    """Province opens the year; Hangzhou gets `places`, 西湖区 half of them."""
    province = staff(code="330000")
    plan = plans.open_plan(db.session, province, plans.PlanInput(
        year=YEAR, notice_date=NOTICE, opens_on=date(2026, 3, 15), closes_on=date(2026, 6, 30)))
    quotas.allocate(db.session, province, plan, org("330100"), places, budget)
    quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), places // 2, budget // 2)
    return plan


def offering(plan, level: str = "zhuanke", places: int = 30, institution: str = factories.INSTITUTION):
    item = declarations.declare(db.session, staff("institution_staff", institution), plan, org(institution),
                                OfferingInput(kind="academic", level=level, major="机电一体化", mode="业余", years=3,
                                              tuition_yuan=6000, discount_yuan=1000, places=places))
    declarations.review(db.session, staff(code="330000"), item, "select", "")
    return item


def worker(name: str = "张三明", **changes):
    user = factories.user(name=name)
    service.update_profile(db.session, user, user, {**ELIGIBLE, "real_name": name, **changes})
    db.session.flush()
    return user
