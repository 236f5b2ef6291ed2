"""Applying, verification with the county quota, admission to one's own offerings, enrolment and
withdrawal; one live application per worker, year and level."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications, quotas
from programme.admissions.models import Application, AppStatus
from tests import factories
from tests.programme.helpers import OPEN_DAY, admitted_on, at_once, offering, open_year, org, staff, worker


def test_the_whole_way_with_dates(db):
    plan = open_year()
    item, me = offering(plan), worker()
    app_ = applications.apply(db.session, me, item, OPEN_DAY)
    assert app_.county.code == "330106" and app_.status == AppStatus.applied
    applications.verify(db.session, staff(code="330106"), app_, True)
    applications.admit(db.session, staff("institution_staff"), app_, True)
    # a review's attack: enrolled "in 2010", a diploma of 2020 passed the claim's "attained since enrolling" check
    with pytest.raises(Invalid) as err:
        applications.enrol(db.session, staff("institution_staff"), app_, "2026001", date(2010, 9, 1))
    assert err.value.code == "enrolled_too_early" and app_.status == AppStatus.admitted
    admitted_on(app_, date(2026, 9, 1))
    record = applications.enrol(db.session, staff("institution_staff"), app_, "2026001", date(2026, 9, 1))
    assert app_.status == AppStatus.enrolled and record.student_number == "2026001"
    steps = applications.steps(app_)
    assert [label for label, _ in steps] == ["提交申请", "县级工会审核", "院校录取", "注册学籍"]
    assert all(when is not None for _, when in steps)


def test_ineligible_worker_is_told_every_reason(db):
    plan = open_year()
    item = offering(plan, level="zhuanshengben")
    colleague = worker("李四", contract_start="2026-01-01", contract_end="2026-06-30",
                       employer_type="public_institution")
    with pytest.raises(Invalid) as err:
        applications.apply(db.session, colleague, item, OPEN_DAY)
    assert err.value.code == "not_eligible"
    assert set(err.value.fields) == {"contract", "employer_type", "education"}


def test_outside_the_window_or_off_the_menu(db):
    plan = open_year()
    item = offering(plan)
    with pytest.raises(Invalid):
        applications.apply(db.session, worker(), item, date(2026, 7, 1))
    from programme.admissions import declarations
    from programme.admissions.declarations import OfferingInput
    draft = declarations.declare(db.session, staff("institution_staff"), plan, org(factories.INSTITUTION),
                                 OfferingInput(kind="academic", level="zhuanke", major="会计", mode="业余", years=3,
                                               places=5))
    with pytest.raises(Invalid):
        applications.apply(db.session, worker(), draft, OPEN_DAY)


def test_one_application_per_year_and_level_and_withdrawal_frees_the_place(db):
    plan = open_year()
    first, second = offering(plan), offering(plan)
    me = worker()
    app_ = applications.apply(db.session, me, first, OPEN_DAY)
    with pytest.raises(Conflict):
        applications.apply(db.session, me, second, OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), app_, True)
    assert quotas.quota_of(db.session, plan, org("330106")).used == 1
    applications.withdraw(db.session, me, app_)
    assert quotas.quota_of(db.session, plan, org("330106")).used == 0
    again = applications.apply(db.session, me, second, OPEN_DAY)  # withdrawn: the worker may apply again
    assert again.status == AppStatus.applied
    with pytest.raises(Forbidden):
        applications.withdraw(db.session, worker("王五"), again)


def test_the_quota_is_enforced_when_the_county_verifies(db):
    plan = open_year()
    quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), 1, 0)
    item = offering(plan)
    a, b = (applications.apply(db.session, worker(n), item, OPEN_DAY) for n in ("甲一", "乙二"))
    county = staff(code="330106")
    applications.verify(db.session, county, a, True)
    with pytest.raises(Conflict) as err:
        applications.verify(db.session, county, b, True)
    assert err.value.code == "quota_full"
    db.session.refresh(b)
    assert b.status == AppStatus.applied and not b.holds_quota  # the refusal left it as it was


def test_who_may_verify_and_admit(db):
    plan = open_year()
    app_ = applications.apply(db.session, worker(), offering(plan), OPEN_DAY)
    with pytest.raises(Forbidden):  # another county
        applications.verify(db.session, staff(code="330105"), app_, True)
    with pytest.raises(Invalid):  # refusing needs a reason
        applications.verify(db.session, staff(code="330106"), app_, False, "")
    applications.verify(db.session, staff(code="330100"), app_, True)  # the city above may act
    with pytest.raises(Forbidden):  # an institution admits only to its own offerings
        applications.admit(db.session, staff("institution_staff", factories.OTHER_INSTITUTION), app_, True)
    with pytest.raises(Forbidden):
        applications.admit(db.session, staff(code="330106"), app_, True)
    applications.admit(db.session, staff("institution_staff"), app_, False, "名额已满")
    assert app_.status == AppStatus.rejected and not app_.holds_quota
    assert quotas.quota_of(db.session, plan, org("330106")).used == 0


def test_concurrent_verification_never_exceeds_the_county_quota(app):
    with app.app_context():
        plan = open_year()
        quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), 3, 0)
        item = offering(plan)
        ids = [applications.apply(db.session, worker(f"工{n}"), item, OPEN_DAY).id for n in range(6)]
        clerk_id = staff(code="330106").id
        db.session.commit()

    def check(i: int):
        from app.accounts.models import User
        clerk, application = db.session.get(User, clerk_id), db.session.get(Application, ids[i])
        return lambda: applications.verify(db.session, clerk, application, True)

    outcomes = at_once(app, len(ids), check)
    with app.app_context():
        verified = db.session.scalars(select(Application).where(Application.status == AppStatus.verified)).all()
        assert outcomes.count("ok") == len(verified) == 3
        assert quotas.quota_of(db.session, db.session.get(Application, ids[0]).plan, org("330106")).used == 3


def test_graduation_is_recorded_and_counted(db):
    plan = open_year()
    app_ = applications.apply(db.session, worker(), offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), app_, True)
    applications.admit(db.session, staff("institution_staff"), app_, True)
    with pytest.raises(Conflict):
        applications.graduate(db.session, staff("institution_staff"), app_, date(2029, 7, 1))
    admitted_on(app_, date(2026, 9, 1))
    applications.enrol(db.session, staff("institution_staff"), app_, "S9", date(2026, 9, 1))
    with pytest.raises(Invalid):
        applications.graduate(db.session, staff("institution_staff"), app_, date(2026, 1, 1))
    with pytest.raises(Forbidden):
        applications.graduate(db.session, staff("institution_staff", factories.OTHER_INSTITUTION), app_,
                              date(2029, 7, 1))
    with pytest.raises(Invalid) as err:  # a graduation dated after today in Beijing
        applications.graduate(db.session, staff("institution_staff"), app_, beijing_today() + timedelta(days=1))
    assert err.value.code == "future_date"
    applications.graduate(db.session, staff("institution_staff"), app_, beijing_today())
    rows = {r.org.code: r for r in quotas.totals(db.session, plan, org("330100"))}
    assert rows["330100"].counts["graduated"] == 1 and rows["330106"].counts["enrolled"] == 1


def test_an_institution_admits_no_more_than_the_places_it_declared(db):
    plan = open_year()
    item = offering(plan, places=1)
    first, second = (applications.apply(db.session, worker(name), item, OPEN_DAY) for name in ("张三明", "李四光"))
    for application in (first, second):
        applications.verify(db.session, staff(code="330106"), application, True)
    applications.admit(db.session, staff("institution_staff"), first, True)
    with pytest.raises(Conflict) as err:
        applications.admit(db.session, staff("institution_staff"), second, True)
    assert err.value.code == "offering_full" and "已录满" in str(err.value)
    assert second.status == AppStatus.verified  # still waiting, and can be refused (freeing the county place)
    applications.admit(db.session, staff("institution_staff"), second, False, "名额已满")
    assert second.status == AppStatus.rejected
