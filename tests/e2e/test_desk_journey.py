"""Issue 22's desk, on a phone (360 px): on the demo data `make run` loads, 杭州职业技术学院's course manager
(13900000005) taps 工作台 beside their name, sees three items waiting (王建国's application to admit, 李小梅's
recognition request, the resource the union returned), and settles each in a tap or two from the desk, until the
desk and the navigation say nothing waits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import demo as app_demo

pytestmark = [pytest.mark.browser, pytest.mark.demo]
PHONE = "13900000005"


def test_the_demo_institution_handles_its_desk_on_a_phone(app, page):
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    link = page.locator("[data-desk-link]")
    expect(link).to_have_text(re.compile(r"工作台\s*3"))
    link.click()
    desk = page.locator("section.desk[data-role=institution_staff]")
    expect(desk.get_by_role("heading", name=re.compile("院校工作台"))).to_be_visible()
    items = desk.locator(".desk-items li")
    expect(items).to_have_count(3)
    for queue in ("programme.admit", "credits.recognition", "catalog.returned"):
        expect(desk.locator(f'.desk-items li[data-queue="{queue}"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    # 1. the application: one tap opens it on the admissions page, one tap admits
    desk.locator('li[data-queue="programme.admit"] a').click()
    card = page.locator("article[data-application]", has_text="王建国").filter(has=page.get_by_role(
        "button", name="录取", exact=True))
    card.get_by_role("button", name="录取", exact=True).click()
    expect(page.get_by_text("已保存。")).to_be_visible()

    # 2. the recognition request: open it, choose 通过, submit
    page.locator("[data-desk-link]").click()
    expect(items).to_have_count(2)
    page.locator('li[data-queue="credits.recognition"] a').click()
    page.get_by_label("结论").select_option("approve")
    page.get_by_role("button", name="提交审核结果").click()
    expect(page.locator(".flash-success")).to_be_visible()

    # 3. the returned resource: open it, submit it again
    page.locator("[data-desk-link]").click()
    expect(items).to_have_count(1)
    page.locator('li[data-queue="catalog.returned"] a').click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.locator("[data-desk-link]").click()
    expect(page.get_by_text("没有等待处理的事项。")).to_be_visible()
    expect(page.locator("[data-desk-link] .badge")).to_have_count(0)
