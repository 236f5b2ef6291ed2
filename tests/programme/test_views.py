"""The programme's pages as a worker and staff use them: the verdict on the offering page, applying and
following the steps, every form's bad input answered with a message and nothing saved, masked notices."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications, plans
from programme.admissions.models import Application, Offering, Plan
from programme.voice import notices
from tests import factories
from tests.conftest import post_form
from tests.programme.helpers import ELIGIBLE, fresh_id_number, offering, org, staff

THIS_YEAR = beijing_today().year


def open_now(app) -> int:
    """A plan open today with quotas down to 西湖区 and one selected offering; returns the offering id."""
    with app.app_context():
        province = staff(code="330000")
        plan = plans.open_plan(db.session, province, plans.PlanInput(
            year=THIS_YEAR, notice_date=date(THIS_YEAR, 1, 1), opens_on=date(THIS_YEAR, 1, 1),
            closes_on=date(THIS_YEAR, 12, 31)))
        from programme.admissions import quotas
        quotas.allocate(db.session, province, plan, org("330100"), 10, 10_000)
        quotas.allocate(db.session, province, plan, org("330106"), 5, 5_000)
        item = offering(plan)
        db.session.commit()
        return item.id


def log_in_worker(app, auth, **changes) -> str:
    from app.accounts import profiles

    with app.app_context():
        user = factories.user(name="张三明")
        profiles.update_profile(db.session, user, user, {**ELIGIBLE, "contract_start": f"{THIS_YEAR - 1}-01-01",
                                                         "contract_end": "", "id_number": fresh_id_number(),
                                                         **changes})
        db.session.commit()
        phone = user.phone
    auth.login(phone)
    return phone


def test_worker_sees_every_rule_applies_and_follows_the_steps(app, client, auth):
    offering_id = open_now(app)
    log_in_worker(app, auth)
    page = client.get(f"/programme/offerings/{offering_id}").get_data(as_text=True)
    assert page.count('data-passed="yes"') == 5 and "符合资助条件" in page
    response = post_form(client, f"/programme/offerings/{offering_id}", {})
    assert response.status_code == 302
    mine = client.get("/programme/mine").get_data(as_text=True)
    assert "已提交，待县级工会审核" in mine and "县级工会审核" in mine and beijing_today().isoformat() in mine
    again = post_form(client, f"/programme/offerings/{offering_id}", {})  # one per year and level
    assert again.status_code == 409 and "只能报读一个" in again.get_data(as_text=True)


def test_colleague_with_six_month_contract_sees_why(app, client, auth):
    offering_id = open_now(app)
    log_in_worker(app, auth, contract_start=f"{THIS_YEAR}-01-01", contract_end=f"{THIS_YEAR}-06-30")
    page = client.get(f"/programme/offerings/{offering_id}").get_data(as_text=True)
    assert 'data-rule="contract" data-passed="no"' in page and "不满一年" in page
    assert "提交报读申请" not in page
    response = post_form(client, f"/programme/offerings/{offering_id}", {}, source="/me/profile")
    assert response.status_code == 400 and "不满一年" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 0


def test_bad_plan_form_says_why_and_saves_nothing(app, client, auth):
    auth.as_role("union_staff", "330000")
    response = post_form(client, "/programme/plans", {"year": "abc", "notice_date": "2026-02-30",
                                                      "opens_on": "2026-03-01", "closes_on": "2026-02-01"})
    assert response.status_code == 400 and "请填写日期" in response.get_data(as_text=True)
    response = post_form(client, "/programme/plans", {"year": str(THIS_YEAR), "notice_date": "2026-03-01",
                                                      "opens_on": "2026-03-01", "closes_on": "2026-02-01",
                                                      "target_places": "-3"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "截止日期不能早于开始日期" in body and "资助名额应为正整数" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Plan.id))) == 0


def test_bad_declaration_and_overdrawn_quota(app, client, auth):
    open_now(app)
    auth.as_role("institution_staff")
    response = post_form(client, "/programme/declare", {"kind": "academic", "level": "boshi", "major": "",
                                                        "places": "0", "discount_yuan": "99", "tuition_yuan": "10"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert all(m in body for m in ("请选择层次", "请填写专业", "招生名额应为正整数", "学费减免应在0与学费之间"))
    with app.app_context():
        assert db.session.scalar(select(func.count(Offering.id))) == 1
    auth.logout()
    auth.as_role("union_staff", "330100")
    response = post_form(client, "/programme/quotas/330100", {"child": "330105", "places": "6", "budget_yuan": "0"})
    assert response.status_code == 409 and "剩余名额或资金不足" in response.get_data(as_text=True)
    response = post_form(client, "/programme/quotas/330100", {"child": "330105", "places": "5", "budget_yuan": "0"})
    assert response.status_code == 302
    page = client.get("/programme/quotas/330100").get_data(as_text=True)
    assert 'data-org="330105"' in page and "名额 0 → 5" in page


def test_county_staff_cannot_allocate_from_the_city_page(app, client, auth):
    open_now(app)
    auth.as_role("union_staff", "330106")
    assert client.get("/programme/quotas/330100").status_code == 403
    response = post_form(client, "/programme/quotas/330106", {"child": "330105", "places": "1", "budget_yuan": "0"})
    assert response.status_code == 403


def test_public_notices_show_people_masked(app, client):
    offering_id = open_now(app)
    with app.app_context():
        from app.accounts import profiles
        applicant = factories.user(name="张三明")
        profiles.update_profile(db.session, applicant, applicant, {
            **ELIGIBLE, "contract_start": f"{THIS_YEAR - 1}-01-01", "contract_end": "", "id_number": fresh_id_number()})
        item = db.session.get(Offering, offering_id)
        application = applications.apply(db.session, applicant, item, beijing_today())
        applications.verify(db.session, staff(code="330106"), application, True)
        applications.admit(db.session, staff("institution_staff"), application, True)
        notice = notices.publish(db.session, staff(code="330106"), item.plan, org("330106"), "admissions",
                                 date(THIS_YEAR, 1, 10), objection_days=7, today=date(THIS_YEAR, 1, 10))
        db.session.commit()
        phone, notice_id = applicant.phone, notice.id
    for path in ("/programme/notices", f"/programme/notices/{notice_id}", "/programme/",
                 f"/programme/offerings/{offering_id}"):
        body = client.get(path).get_data(as_text=True)
        assert "张三明" not in body and phone not in body, path
    body = client.get(f"/programme/notices/{notice_id}").get_data(as_text=True)
    assert "张*明" in body and f"{phone[:3]}****{phone[-4:]}" in body
    assert f"{THIS_YEAR}-01-10 至 {THIS_YEAR}-01-16" in body  # publication date and objection period
