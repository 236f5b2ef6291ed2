"""Subsidies: the amount is the province standard plus city and county top-ups; paid in dated batches
from the county's share; never twice, even when two clerks press the button at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications, quotas
from programme.money import subsidies
from programme.money.models import ClaimStatus, SubsidyClaim, SubsidyPayment
from tests.programme.helpers import OPEN_DAY, admitted_on, at_once, graduation, offering, open_year, org, staff, worker


def enrolled(plan, name: str = "张三明"):
    me = worker(name)
    app_ = applications.apply(db.session, me, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), app_, True)
    applications.admit(db.session, staff("institution_staff"), app_, True)
    admitted_on(app_, date(2026, 9, 1))
    return me, applications.enrol(db.session, staff("institution_staff"), app_, "S1", date(2026, 9, 1))


def test_claim_approve_and_pay_once(db):
    plan = open_year()
    quotas.set_top_up(db.session, staff(code="330100"), plan, org("330100"), 200)
    quotas.set_top_up(db.session, staff(code="330106"), plan, org("330106"), 300)
    me, record = enrolled(plan)
    graduation(me, "ZJ-2028-001")  # the institution's result: what the claim rests on
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-2028-001", "浙江开放大学 2028-07")
    with pytest.raises(Conflict):
        subsidies.claim(db.session, staff("institution_staff"), record, "dazhuan", "ZJ-2028-001", "")
    county = staff(code="330106")
    subsidies.decide(db.session, county, claim, True)
    assert (claim.province_part, claim.city_part, claim.county_part, claim.amount) == (1000, 200, 300, 1500)
    batch = subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())
    assert claim.status == ClaimStatus.paid and batch.paid_on == beijing_today()
    with pytest.raises(Conflict):
        subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())
    assert quotas.quota_of(db.session, plan, org("330106")).spent == 1000
    spent = subsidies.spending(db.session, plan, org("330100"))
    assert (spent.province_paid, spent.city_top_ups, spent.county_top_ups, spent.total_paid) == (1000, 200, 300, 1500)


@pytest.mark.parametrize(("attainment", "number", "field"), [("zhongji", "X1", "attainment"),
                                                             ("dazhuan", "  ", "certificate_number")])
def test_bad_claims_are_refused(db, attainment, number, field):
    plan = open_year()
    me, record = enrolled(plan)
    with pytest.raises(Invalid) as err:
        subsidies.claim(db.session, me, record, attainment, number, "")
    assert field in err.value.fields


def test_who_may_claim_decide_and_pay(db):
    plan = open_year()
    me, record = enrolled(plan)
    with pytest.raises(Forbidden):
        subsidies.claim(db.session, worker("旁人"), record, "benke", "N1", "")
    claim = subsidies.claim(db.session, staff("institution_staff"), record, "senior_worker", "N1", "")
    with pytest.raises(Forbidden):
        subsidies.decide(db.session, staff(code="330105"), claim, True)
    with pytest.raises(Invalid):
        subsidies.decide(db.session, staff(code="330106"), claim, False, "")
    with pytest.raises(Conflict):  # not approved yet
        subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], beijing_today())
    with pytest.raises(Forbidden):
        subsidies.pay(db.session, staff(code="330105"), plan, org("330106"), [claim.id], beijing_today())


def test_no_clerk_pays_their_own_claim(db):
    """A county clerk who is also a learner in the programme: their application and claim are decided above their
    union (never by a desk neighbour), and paid by another clerk, never by themselves (the whole batch refused)."""
    from app.accounts import profiles
    from tests.programme.helpers import ELIGIBLE, id_number

    plan = open_year()
    clerk = staff(code="330106")
    profiles.update_profile(db.session, clerk, clerk, {**ELIGIBLE, "real_name": clerk.name,
                                                       "id_number": id_number(901)})
    mine = applications.apply(db.session, clerk, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330100"), mine, True)
    applications.admit(db.session, staff("institution_staff"), mine, True)
    admitted_on(mine, date(2026, 9, 1))
    record = applications.enrol(db.session, staff("institution_staff"), mine, "S9", date(2026, 9, 1))
    graduation(clerk, "ZJ-2028-009")
    claim = subsidies.claim(db.session, clerk, record, "dazhuan", "ZJ-2028-009", "")
    subsidies.decide(db.session, staff(code="330100"), claim, True)
    other, other_record = enrolled(plan, "李四")
    graduation(other, "ZJ-2028-010")
    theirs = subsidies.claim(db.session, other, other_record, "dazhuan", "ZJ-2028-010", "")
    subsidies.decide(db.session, staff(code="330106"), theirs, True)
    with pytest.raises(Forbidden) as err:
        subsidies.pay(db.session, clerk, plan, org("330106"), [theirs.id, claim.id], beijing_today())
    assert err.value.code == "own_claim"
    assert (claim.status, theirs.status) == (ClaimStatus.approved, ClaimStatus.approved)
    subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], beijing_today())
    assert claim.status == ClaimStatus.paid


def test_a_claim_is_never_paid_twice_under_concurrency(app):
    with app.app_context():
        plan = open_year()
        me, record = enrolled(plan)
        graduation(me, "B-1", level="专升本")
        claim = subsidies.claim(db.session, me, record, "benke", "B-1", "")
        subsidies.decide(db.session, staff(code="330106"), claim, True)
        clerks = [staff(code="330106").id for _ in range(4)]
        db.session.commit()
        ids = (plan.id, org("330106").id, claim.id)

    def pay(i: int):
        from app.accounts.models import Organisation, User
        from programme.admissions.models import Plan
        clerk, plan, county = (db.session.get(User, clerks[i]), db.session.get(Plan, ids[0]),
                               db.session.get(Organisation, ids[1]))
        return lambda: subsidies.pay(db.session, clerk, plan, county, [ids[2]], beijing_today())

    outcomes = at_once(app, len(clerks), pay)
    with app.app_context():
        assert outcomes.count("ok") == 1
        assert db.session.scalar(select(func.count(SubsidyPayment.id))) == 1
        assert db.session.get(SubsidyClaim, ids[2]).status == ClaimStatus.paid


def test_the_database_itself_refuses_a_second_payment_row(db):
    from sqlalchemy.exc import IntegrityError

    from programme.money.models import PaymentBatch

    plan = open_year()
    me, record = enrolled(plan)
    claim = subsidies.claim(db.session, me, record, "benke", "B-2", "")
    batch = PaymentBatch(plan_id=plan.id, org_id=org("330106").id, paid_on=date(2028, 8, 1))
    db.session.add(batch)
    db.session.flush()
    db.session.add(SubsidyPayment(claim_id=claim.id, batch_id=batch.id, amount=1, paid_on=batch.paid_on))
    db.session.flush()
    db.session.add(SubsidyPayment(claim_id=claim.id, batch_id=batch.id, amount=1, paid_on=batch.paid_on))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_refused_batch_leaves_nothing_behind(db):
    from programme.money.models import PaymentBatch

    plan = open_year()
    me, record = enrolled(plan)
    claim = subsidies.claim(db.session, me, record, "benke", "B-3", "")
    with pytest.raises(Conflict):  # not approved: the batch is refused whole
        subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], beijing_today())
    assert db.session.scalar(select(func.count(PaymentBatch.id))) == 0
    assert claim.status == ClaimStatus.claimed
