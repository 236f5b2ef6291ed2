"""Journey, on a phone: the province opens a year and gives Hangzhou its quota; Hangzhou gives 西湖区 its
share; a worker checks eligibility on an offering and applies; 西湖区 verifies; the institution admits;
the worker sees each step with its date, claims a subsidy that 西湖区 pays once, and the public notice shows
the worker masked. Then Hangzhou publishes its open catalog and reads a dashboard that counts just that."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts import profiles
from app.accounts.models import User
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import declarations, plans
from programme.admissions.declarations import OfferingInput
from programme.money.models import SubsidyPayment
from tests import factories
from tests.catalog.helpers import make
from tests.programme.helpers import ELIGIBLE, graduation, id_number, org, staff

pytestmark = pytest.mark.browser
YEAR = beijing_today().year


def _declared_offering(app) -> int:
    with app.app_context():
        plan = plans.get_plan(db.session, YEAR)
        item = declarations.declare(db.session, staff("institution_staff"), plan, org(factories.INSTITUTION),
                                    OfferingInput(kind="academic", level="zhuanke", major="机电一体化", mode="业余",
                                                  years=3, tuition_yuan=6000, discount_yuan=1500, places=30))
        declarations.review(db.session, staff(code="330000"), item, "select", "")
        db.session.commit()
        return item.id


def _fill_profile(app, phone: str) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        profiles.update_profile(db.session, user, user, {**ELIGIBLE, "contract_start": f"{YEAR - 1}-01-01",
                                                         "contract_end": "", "id_number": id_number(42)})
        db.session.commit()


def _union_publishes_its_catalog(app, page, login) -> None:
    """Hangzhou builds its open catalog: a section, then a published course found by its title."""
    with app.app_context():
        make(title="低压电工作业安全培训", kind="course", publish=True)
        db.session.commit()
    login("union_staff", "330100")
    page.goto("/catalog/u/330100/edit")
    page.get_by_label("目录名称").fill("杭州市职工技能提升开放目录")
    page.get_by_role("button", name="建立本级目录").click()
    page.get_by_label("新栏目").fill("电工技能")
    page.get_by_role("button", name="添加栏目").click()
    page.get_by_label("资源标题").fill("电工")
    page.get_by_role("button", name="查找").click()
    found = page.locator("li", has_text="低压电工作业安全培训")
    found.get_by_label("栏目").select_option(label="电工技能")
    found.get_by_role("button", name="加入").click()
    assert "目录已更新" in page.content()
    page.context.clear_cookies()  # anyone sees it
    page.goto("/catalog/u/330100")
    section = page.locator("section", has=page.get_by_role("heading", name="电工技能"))
    expect(section.get_by_role("link", name="低压电工作业安全培训")).to_be_visible()


def _total(page, label: str) -> str:
    return page.locator(".facts li", has_text=f"{label}（").locator("strong").inner_text()


def _dashboard_counts_the_journey(app, page, login) -> None:
    """The dashboard's totals are the one application of this journey, at both levels it rolls up to."""
    with app.app_context():
        paid = sum(db.session.scalars(select(SubsidyPayment.amount)))
    assert paid > 0
    login("union_staff", "330100")
    page.goto("/reports/330100")
    expected = {"报读申请": "1", "录取": "1", "注册学籍": "1", "补贴发放": f"{paid:g}", "省级资金": "100000"}
    assert {label: _total(page, label) for label in expected} == expected
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("section", has=page.get_by_role("heading", name="下级工会")).locator("summary").click()  # folded
    page.get_by_role("link", name="西湖区总工会").click()
    expected["省级资金"] = "20000"
    assert {label: _total(page, label) for label in expected} == expected


def test_province_to_county_quota_then_apply_verify_admit(app, page, login):
    login("union_staff", "330000")
    page.goto("/programme/plans")
    page.get_by_label("发文日期（合同条件按此日判断）").fill(f"{YEAR}-01-01")
    page.get_by_label("报读开始日期").fill(f"{YEAR}-01-01")
    page.get_by_label("报读截止日期").fill(f"{YEAR}-12-31")
    page.get_by_role("button", name="创建年度计划").click()
    page.get_by_label("杭州市总工会名额").fill("100")
    page.get_by_label("杭州市总工会资金").fill("100000")
    page.locator("form", has=page.get_by_label("杭州市总工会名额")).get_by_role("button", name="保存").click()
    assert page.locator('tr[data-org="330100"] .places').inner_text() == "100"

    page.context.clear_cookies()
    login("union_staff", "330100")
    page.goto("/programme/quotas/330100")
    page.get_by_label("西湖区总工会名额").fill("20")
    page.get_by_label("西湖区总工会资金").fill("20000")
    page.locator("form", has=page.get_by_label("西湖区总工会名额")).get_by_role("button", name="保存").click()
    assert page.locator('tr[data-org="330106"] .places').inner_text() == "20"
    assert page.locator('tr[data-org="330100"] .remaining').first.inner_text() == "80"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the wide table scrolls in its card

    offering_id = _declared_offering(app)
    page.context.clear_cookies()
    phone = login("worker")
    _fill_profile(app, phone)
    page.goto("/programme/")
    page.get_by_role("link", name="机电一体化").click()
    expect(page.locator('[data-passed="yes"]')).to_have_count(5)
    page.get_by_role("button", name="提交报读申请").click()
    assert "已提交，待县级工会审核" in page.content()

    page.context.clear_cookies()
    login("union_staff", "330106")
    page.goto("/programme/verify")
    page.get_by_role("button", name="审核通过", exact=True).click()
    assert "已保存审核结果" in page.content()

    page.context.clear_cookies()
    login("institution_staff", factories.INSTITUTION)
    page.goto("/programme/admissions")
    page.get_by_role("button", name="录取", exact=True).click()
    page.get_by_label("学号").fill(f"{YEAR}0001")
    page.get_by_role("button", name="注册学籍").click()
    assert f"学号 {YEAR}0001" in page.content()

    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/programme/mine")
    timeline = page.locator("[data-application] .timeline").inner_text()
    assert "待办" not in timeline and timeline.count(beijing_today().isoformat()) == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert offering_id

    # the worker attains the diploma and claims, forgetting the number first: the form comes back on the phone
    # with the note still typed and the reason beside the field; 西湖区 approves, pays once and publishes
    page.get_by_label("说明（发证机构、日期）").fill("浙江开放大学 2026年7月")
    page.get_by_label("证书编号").fill(" ")
    page.get_by_role("button", name="提交补贴申请").click()
    assert "请填写毕业证书" in page.locator("[data-application] .error").inner_text()
    assert page.get_by_label("说明（发证机构、日期）").input_value() == "浙江开放大学 2026年7月"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("证书编号").fill("ZJ-DZ-0001")
    page.get_by_role("button", name="提交补贴申请").click()
    with app.app_context():  # the institution's graduation result, which the claim rests on, arrives
        graduation(db.session.scalar(select(User).where(User.phone == phone)), "ZJ-DZ-0001")
        db.session.commit()
    page.context.clear_cookies()
    login("union_staff", "330106")
    page.goto("/programme/subsidies")
    page.get_by_role("button", name="核准").click()
    page.get_by_role("button", name="登记发放").click()
    assert "已登记发放批次（1 笔）" in page.content()
    page.goto("/programme/notices/new")
    page.get_by_label("类别").select_option("subsidies")
    page.get_by_role("button", name="发布").click()
    page.context.clear_cookies()
    page.goto("/programme/notices")
    page.get_by_role("link", name="补贴发放").click()
    body = page.content()
    assert "张*明" in body and "张三明" not in body and phone not in body

    _union_publishes_its_catalog(app, page, login)
    page.context.clear_cookies()
    _dashboard_counts_the_journey(app, page, login)
    assert page.js_errors == [] and page.outside_requests == []
