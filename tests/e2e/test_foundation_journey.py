"""A new user on a phone: registers, logs in, gets the ID number wrong, then right, switches
language and logs out."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_new_user_registers_fills_profile_switches_language_and_logs_out(app, page):
    from tests.app.sms_codes import last_code

    page.goto("/")
    assert page.locator(".tabbar .tab").count() == 5
    page.get_by_role("link", name="免费注册").first.click()
    page.get_by_label("手机号").fill("139 1234 5678")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state()
    page.get_by_label("短信验证码").fill(last_code(app, "13912345678"))  # as the embedded gateway sent it
    page.get_by_label("密码（至少8位）").fill("short")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_text("密码至少需要8个字符")).to_be_visible()
    page.get_by_label("密码（至少8位）").fill("a-good-password")
    page.get_by_role("button", name="注册", exact=True).click()
    page.wait_for_url(lambda url: url.endswith("/"))
    expect(page.get_by_text("注册成功")).to_be_visible()

    # log out and back in, through the 我的 tab
    page.locator(".tabbar").get_by_text("我的").click()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("密码", exact=True).fill("a-good-password")
    page.get_by_role("button", name="登录").click()
    page.goto("/me/profile")

    page.get_by_label("真实姓名").fill("王小明")
    page.get_by_label("身份证号码").fill("110105194912310021")
    page.get_by_label("工作单位").fill("萧山华成电器有限公司")
    page.get_by_label("劳动合同开始日期").fill("2025-09-01")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#id_number-error")
    assert "校验位" in error.inner_text()
    assert page.get_by_label("工作单位").input_value() == "萧山华成电器有限公司"  # nothing typed is lost

    page.get_by_label("身份证号码").fill("11010519491231002X")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("个人资料已保存")).to_be_visible()
    assert "1101**********002X" in page.content() and "11010519491231002X" not in page.content()

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    assert page.get_by_text("Your profile has been saved").count() == 0
    page.locator(".tabbar").get_by_text("Me", exact=True).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    # every page fits the phone: nothing wider than 360 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == [] and page.outside_requests == []
