"""Quotas flow province → city → county: never more than was received, also under concurrent saves;
every change is kept; live totals roll up the tree."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from programme.admissions import plans, quotas
from programme.admissions.models import Quota, QuotaChange
from tests.programme.helpers import YEAR, at_once, open_year, org, staff


def test_opening_a_year_gives_the_province_all_of_it(db):
    plan = plans.open_plan(db.session, staff(code="330000"), plans.PlanInput(
        year=YEAR, notice_date=date(2026, 3, 1), opens_on=date(2026, 3, 1), closes_on=date(2026, 6, 30)))
    assert (plan.target_places, plan.budget_yuan) == (10_000, 10_000_000)
    row = quotas.quota_of(db.session, plan, org("330000"))
    assert (row.places, row.budget_yuan, row.remaining) == (10_000, 10_000_000, 10_000)


@pytest.mark.parametrize(("changes", "field"), [
    ({"target_places": 0}, "target_places"), ({"budget_yuan": -1}, "budget_yuan"),
    ({"closes_on": date(2026, 1, 1)}, "closes_on"), ({"year": 1999}, "year"),
    ({"standards": {"std_benke": -5}}, "std_benke")])
def test_bad_plans_are_refused_field_by_field(db, changes, field):
    data = {"year": YEAR, "notice_date": date(2026, 3, 1), "opens_on": date(2026, 3, 1), "closes_on": date(2026, 6, 30),
            **changes}
    with pytest.raises(Invalid) as err:
        plans.open_plan(db.session, staff(code="330000"), plans.PlanInput(**data))
    assert field in err.value.fields


def test_only_the_province_opens_a_year_and_only_once(db):
    data = plans.PlanInput(year=YEAR, notice_date=date(2026, 3, 1), opens_on=date(2026, 3, 1),
                           closes_on=date(2026, 6, 30))
    with pytest.raises(Forbidden):
        plans.open_plan(db.session, staff(code="330100"), data)
    plans.open_plan(db.session, staff(code="330000"), data)
    with pytest.raises(Conflict):
        plans.open_plan(db.session, staff(code="330000"), data)


def test_a_level_never_hands_out_more_than_it_holds(db):
    plan = open_year(places=100, budget=100_000)
    city = staff(code="330100")
    with pytest.raises(Conflict):  # Hangzhou holds 100 and gave 西湖区 50
        quotas.allocate(db.session, city, plan, org("330105"), 51, 0)
    quotas.allocate(db.session, city, plan, org("330105"), 50, 50_000)
    assert quotas.quota_of(db.session, plan, org("330100")).remaining == 0
    # Lowering a share returns it to the giver
    quotas.allocate(db.session, city, plan, org("330105"), 20, 10_000)
    hangzhou = quotas.quota_of(db.session, plan, org("330100"))
    assert (hangzhou.remaining, hangzhou.budget_remaining) == (30, 40_000)


def test_a_share_cannot_drop_below_what_was_passed_on(db):
    plan = open_year(places=100)
    with pytest.raises(Conflict):  # Hangzhou already gave 50 to 西湖区
        quotas.allocate(db.session, staff(code="330000"), plan, org("330100"), 40, 100_000)


def test_a_county_never_spends_a_citys_quota(db):
    plan = open_year()
    with pytest.raises(Forbidden):
        quotas.allocate(db.session, staff(code="330106"), plan, org("330105"), 1, 0)
    with pytest.raises(Forbidden):  # another city cannot hand out Hangzhou's
        quotas.allocate(db.session, staff(code="330200"), plan, org("330105"), 1, 0)
    with pytest.raises(Conflict):  # 宁波 has received nothing, so it has nothing to give
        quotas.allocate(db.session, staff(code="330000"), plan, org("330205"), 1, 0)
    with pytest.raises(Invalid):
        quotas.allocate(db.session, staff(code="330100"), plan, org("330105"), -1, 0)


def test_every_reallocation_is_kept(db):
    plan = open_year(places=100)
    city = staff(code="330100")
    quotas.allocate(db.session, city, plan, org("330106"), 30, 10_000)
    changes = quotas.history(db.session, plan, org("330100"))
    assert [(c.places_before, c.places_after) for c in changes][:2] == [(50, 30), (0, 50)]
    assert changes[0].actor_id == city.id


def test_concurrent_allocations_never_overspend(app):
    """Eight clerks give 10 places each to eight counties at once from a city holding 50."""
    with app.app_context():
        plan = open_year(places=100)
        quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), 0, 0)
        quotas.allocate(db.session, staff(code="330000"), plan, org("330100"), 50, 0)
        clerk_id = staff(code="330100").id
        counties = [o.id for o in org("330100").children][:8]
        db.session.commit()
        plan_id = plan.id

    def give(i: int):
        from app.accounts.models import Organisation, User
        clerk, county = db.session.get(User, clerk_id), db.session.get(Organisation, counties[i])
        plan = db.session.get(plans.Plan, plan_id)
        return lambda: quotas.allocate(db.session, clerk, plan, county, 10, 0)

    results = at_once(app, len(counties), give)
    with app.app_context():
        city = db.session.scalar(select(Quota).where(Quota.plan_id == plan_id, Quota.org_id == org("330100").id))
        given = db.session.scalar(select(func.sum(Quota.places)).where(
            Quota.plan_id == plan_id, Quota.org_id.in_(counties)))
        assert results.count("ok") == 5 and len(results) == 8
        assert city.handed_out == given == 50 and city.remaining == 0
        assert db.session.scalar(select(func.count(QuotaChange.id))) >= 5 + 3


def test_live_totals_roll_up(db):
    from programme.admissions import applications
    from tests.programme.helpers import offering, worker

    plan = open_year()
    item = offering(plan)
    app_ = applications.apply(db.session, worker(), item, date(2026, 4, 1))
    applications.verify(db.session, staff(code="330106"), app_, True)
    rows = {r.org.code: r for r in quotas.totals(db.session, plan, org("330000"))}
    assert rows["330000"].counts["verified"] == 1 and rows["330100"].counts["applied"] == 1
    assert rows["330200"].counts["applied"] == 0
    assert rows["330100"].quota.places == 100
    assert quotas.quota_of(db.session, plan, org("330106")).used == 1


def test_merging_two_accounts_gives_back_the_place_of_the_application_it_replaces(db):
    """A reviewer's attack: one person with two accounts, each holding a verified application of the same year and
    level; the merge deleted the one it replaced but kept its county place taken, and the next real applicant was
    refused as quota_full."""
    from app.accounts import merge
    from programme.admissions import applications
    from programme.admissions.models import Application
    from tests import factories
    from tests.app.identities import identity_settled
    from tests.programme.helpers import OPEN_DAY, offering, worker

    plan = open_year(places=4)  # 西湖区 gets 2 places
    item = offering(plan)
    first, second = worker("钱二号"), worker("钱二号")  # registered again
    for who in (first, second):
        applications.verify(db.session, staff(code="330106"), applications.apply(db.session, who, item, OPEN_DAY),
                            True)
        identity_settled(db.session, who)  # filled in long ago: no hold on a merge by ID card
    number = second.profile.id_number
    first.profile.id_number = None  # as an account that applied before an ID number was required (none on file)
    db.session.flush()
    assert quotas.quota_of(db.session, plan, org("330106")).used == 2
    merge.merge(db.session, factories.user("admin"), second, first, id_number=number)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Application.id)).where(Application.holds_quota.is_(True))) == 1
    assert quotas.quota_of(db.session, plan, org("330106")).used == 1
    third = applications.apply(db.session, worker("孙三"), item, OPEN_DAY)
    assert applications.verify(db.session, staff(code="330106"), third, True).holds_quota
