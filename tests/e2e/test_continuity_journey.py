"""Journeys of issue 18 on a phone (360 px): a worker registers with phone, SMS code and password and lands ready
to study; a worker who lost the phone (and forgot the password) files a number change from the new phone,
union staff check the ID card and approve, the worker resets the password on the new number, logs in and finds
every credit still there. Codes are read as a support desk reads them: from the admins' page of recent SMS."""

from __future__ import annotations

import re

import pytest

from app.accounts import profiles
from app.extensions import db
from tests import factories
from tests.app.identities import identity_settled
from tests.app.test_profile import GOOD, VALID_ID
from tests.credits.credit_factories import complete, resource

pytestmark = pytest.mark.browser
NEW = "13766668888"


def _phone_context(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", base_url=live_server)
    return context, context.new_page()


def _log_in(page, phone: str, password: str = factories.PASSWORD) -> None:
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _code_from_support_desk(app, browser, live_server, phone: str) -> str:
    """An admin reads the latest code for the number on 最近发送的短信 (masked number + text)."""
    with app.app_context():
        admin = factories.user("admin").phone
        db.session.commit()
    context, desk = _phone_context(browser, live_server)
    try:
        _log_in(desk, admin)
        desk.goto("/me/sms")
        masked = f"{phone[:3]}****{phone[-4:]}"
        row = desk.locator("tr", has_text=masked).first
        return re.search(r"\d{6}", row.locator(".sms-text").inner_text()).group()
    finally:
        context.close()


def test_register_with_phone_code_and_password_lands_ready_to_study(app, page, browser, live_server):
    page.goto("/catalog/")
    page.goto("/auth/register?next=/catalog/")
    page.get_by_label("手机号").fill("139 0571 2468")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state()
    assert "验证码已发送" in page.content()
    code = _code_from_support_desk(app, browser, live_server, "13905712468")
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("密码（至少8位）").fill("a-good-password")
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url("**/catalog/")  # back where the worker was, not a long profile form
    assert "注册成功" in page.content()
    page.goto("/me")
    assert "学员2468" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == []


def test_a_lost_phone_keeps_every_credit(app, page, browser, live_server):
    with app.app_context():
        worker = factories.user(name="王小明")
        profiles.update_profile(db.session, worker, worker, {**GOOD, "union_code": "330106"})
        identity_settled(db.session, worker)  # filled in long ago: no hold on the move by ID card
        for credits, title in ((4, "安全用电"), (2, "电工仪表")):
            complete(worker, resource(credits, title))
        old = worker.phone
        staff = factories.user("union_staff", "330100").phone
        db.session.commit()
    _log_in(page, old)
    page.goto("/credits/")
    before = page.locator(".hero-number strong").inner_text()
    assert before == "6"
    page.context.clear_cookies()  # the phone is lost, and the password forgotten with it

    page.goto("/auth/login")
    page.get_by_role("link", name="忘记密码").click()
    page.get_by_role("link", name="申请更换手机号").click()
    page.get_by_label("原手机号（已停用）").fill(old)
    page.get_by_label("新手机号").fill(NEW)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state()
    page.get_by_label("新号码收到的验证码").fill(_code_from_support_desk(app, browser, live_server, NEW))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_load_state()
    assert "申请已提交" in page.content()

    context, union = _phone_context(browser, live_server)  # at the union's desk, the ID card in hand
    _log_in(union, staff)
    union.goto("/me")
    union.get_by_role("link", name="更换手机号申请").click()
    union.get_by_label("身份证号码").fill(VALID_ID)
    union.get_by_role("button", name="核实无误，更换").click()
    union.wait_for_load_state()
    assert "已更换手机号" in union.content()
    context.close()

    page.get_by_role("link", name="重设密码").click()
    page.get_by_label("手机号").fill(NEW)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state()
    page.get_by_label("短信验证码").fill(_code_from_support_desk(app, browser, live_server, NEW))
    page.get_by_label("新密码（至少8位）").fill("my-new-password")
    page.get_by_role("button", name="重设密码").click()
    page.wait_for_url("**/auth/login")
    _log_in(page, NEW, "my-new-password")
    page.goto("/credits/")
    assert page.locator(".hero-number strong").inner_text() == before
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == [] and page.outside_requests == []
