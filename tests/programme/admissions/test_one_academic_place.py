"""One funded academic place per person a year (the policy funds people: 每年资助1万人), never a level the worker
already holds (seed §三(一)), and a withdrawal crossing the county's verification gives the place back. The first
three follow a reviewer's attacks through the offering page."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.errors import Conflict
from app.extensions import db as _db
from programme.admissions import applications, declarations, plans, quotas
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import ACADEMIC, Application, AppStatus
from tests import factories
from tests.conftest import post_form
from tests.programme.helpers import OPEN_DAY, admitted_on, offering, open_year, org, staff, worker


def _open_now(plan):
    """The helpers' window (spring 2026) is over; keep the year open until the end of December."""
    plan.closes_on = date(2026, 12, 31)
    _db.session.flush()
    return plan


def _apply_page(client, offering_id: int):
    """The worker's POST to the offering page (the page hides the button from the ineligible; a POST still comes)."""
    return post_form(client, f"/programme/offerings/{offering_id}", {}, "/me/profile")


def _training(plan):
    item = declarations.declare(_db.session, staff("institution_staff", factories.INSTITUTION), plan,
                                org(factories.INSTITUTION),
                                OfferingInput(kind="training", major="焊工", mode="高级工", places=20))
    declarations.review(_db.session, staff(code="330000"), item, "select", "")
    return item


def _filed(user_id: int) -> list[Application]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(Application).where(Application.user_id == user_id)))


def test_one_worker_takes_one_county_place_a_year_whatever_the_level(app, db, client, auth):
    """The attack: a high-school worker applied to a 专科 and a 高起本 offering of the same year; both were accepted
    and the county's verification gave two places (and later two subsidies)."""
    plan = _open_now(open_year())
    zhuanke, gaoqiben = offering(plan, level="zhuanke"), offering(plan, level="gaoqiben")
    me = worker("张三明")
    phone = me.phone
    db.session.commit()
    auth.login(phone)
    assert _apply_page(client, zhuanke.id).status_code == 302
    second = _apply_page(client, gaoqiben.id)
    assert second.status_code == 409 and "每人每年只能报读一个学历层次" in second.get_data(as_text=True)
    live = [a for a in _filed(me.id) if a.active_level is not None]
    for application in live:
        applications.verify(db.session, staff(code="330106"), application, True)
    assert len(live) == 1 and live[0].active_level == ACADEMIC
    assert quotas.quota_of(db.session, plan, org("330106")).used == 1


def test_a_training_project_may_sit_beside_the_academic_place_and_a_withdrawal_frees_the_level(db):
    plan = open_year()
    zhuanke, gaoqiben, welding = offering(plan, level="zhuanke"), offering(plan, level="gaoqiben"), _training(plan)
    me = worker()
    first = applications.apply(db.session, me, zhuanke, OPEN_DAY)
    assert applications.apply(db.session, me, welding, OPEN_DAY).active_level == "training"
    with pytest.raises(Conflict) as refused:
        applications.apply(db.session, me, _training(plan), OPEN_DAY)  # one training project a year, as before
    assert refused.value.code == "already_applied"
    applications.withdraw(db.session, me, first)
    assert applications.apply(db.session, me, gaoqiben, OPEN_DAY).status == AppStatus.applied


def test_the_database_holds_one_academic_place_when_the_service_check_is_passed_by(db, monkeypatch):
    """Two requests at once both pass the service's read; the unique key on active_level = ACADEMIC stops one."""
    plan = open_year()
    zhuanke, gaoqiben = offering(plan, level="zhuanke"), offering(plan, level="gaoqiben")
    me = worker()
    applications.apply(db.session, me, zhuanke, OPEN_DAY)
    monkeypatch.setattr(applications, "_check_one_academic_place", lambda *args: None)
    with pytest.raises(Conflict) as refused:
        applications.apply(db.session, me, gaoqiben, OPEN_DAY)
    assert "每人每年只能报读一个学历层次" in refused.value.message
    assert len([a for a in _filed(me.id) if a.active_level is not None]) == 1


def test_a_worker_still_studying_for_last_year_s_place_takes_no_second_one(db):
    province = staff(code="330000")
    earlier = plans.open_plan(db.session, province, plans.PlanInput(
        year=2025, notice_date=date(2025, 3, 1), opens_on=date(2025, 3, 15), closes_on=date(2025, 6, 30)))
    quotas.allocate(db.session, province, earlier, org("330100"), 10, 10_000)
    quotas.allocate(db.session, staff(code="330100"), earlier, org("330106"), 5, 5_000)
    me = worker(contract_start="2024-09-01", contract_end="")
    last_year = applications.apply(db.session, me, offering(earlier), date(2025, 4, 1))
    applications.verify(db.session, staff(code="330106"), last_year, True)
    applications.admit(db.session, staff("institution_staff"), last_year, True)
    admitted_on(last_year, date(2025, 9, 1))
    applications.enrol(db.session, staff("institution_staff"), last_year, "S1", date(2025, 9, 1))
    plan = open_year()
    with pytest.raises(Conflict) as refused:
        applications.apply(db.session, me, offering(plan, level="gaoqiben"), OPEN_DAY)
    assert refused.value.code == "still_studying" and "毕业后才能再报读" in refused.value.message
    assert applications.apply(db.session, me, _training(plan), OPEN_DAY).status == AppStatus.applied
    applications.graduate(db.session, staff("institution_staff"), last_year, date(2025, 12, 31))
    assert applications.apply(db.session, me, offering(plan, level="gaoqiben"), OPEN_DAY).status == \
        AppStatus.applied


@pytest.mark.parametrize(("education", "level"), [
    ("benke", "zhuanke"), ("benke", "zhuanshengben"), ("postgraduate", "gaoqiben"), ("zhuanke", "zhuanke"),
    ("zhuanke", "gaoqiben")])
def test_a_worker_holding_the_level_is_not_funded_to_take_it_again(app, db, client, auth, education, level):
    """The attack: a 本科 holder applied to 专科 and to 专升本 on the offering page, a 专科 holder to 专科 again,
    each taking a funded place (the entry rule had only a lower bound)."""
    plan = _open_now(open_year())
    item = offering(plan, level=level)
    holder = worker("李本科", education=education)
    phone = holder.phone
    db.session.commit()
    auth.login(phone)
    response = _apply_page(client, item.id)
    assert response.status_code == 400 and "不能报读" in response.get_data(as_text=True)
    assert _filed(holder.id) == []


def test_a_junior_college_holder_may_still_take_zhuanshengben(db):
    plan = open_year()
    assert applications.apply(db.session, worker(education="zhuanke"), offering(plan, level="zhuanshengben"),
                              OPEN_DAY).status == AppStatus.applied


def test_a_withdrawal_crossing_a_verification_gives_the_place_back(app):
    """The worker's request loads the application (applied, no place); the county's verification commits (place
    taken); the withdrawal then moved verified → withdrawn on its stale holds_quota=False and released nothing: the
    county's `used` stayed 1 with no live application, a place lost for the year."""
    with app.app_context():
        plan = open_year()
        me = worker("张三明")
        application = applications.apply(_db.session, me, offering(plan), OPEN_DAY)
        ids = (me.id, application.id, staff(code="330106").id)
        _db.session.commit()
    loaded, verified = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def worker_request():
        try:
            with app.app_context():
                person, item = _db.session.get(User, ids[0]), _db.session.get(Application, ids[1])
                assert not item.holds_quota
                loaded.set()
                verified.wait(10)
                applications.withdraw(_db.session, person, item)
                _db.session.commit()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
            loaded.set()

    def clerk_request():
        try:
            loaded.wait(10)
            with app.app_context():
                applications.verify(_db.session, _db.session.get(User, ids[2]),
                                    _db.session.get(Application, ids[1]), True)
                _db.session.commit()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            verified.set()

    threads = [threading.Thread(target=worker_request), threading.Thread(target=clerk_request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        item = _db.session.get(Application, ids[1])
        used = quotas.quota_of(_db.session, item.plan, org("330106")).used
        assert not errors and item.status == AppStatus.withdrawn, (errors, item.status)
        assert used == 0 and not item.holds_quota, used
