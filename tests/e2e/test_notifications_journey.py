"""Issue 24 on a phone (360 px), on the demo data `make run` loads: the demo worker (13900000007) sees the bell
with her unread messages, opens the list (today's lunchtime reminder naming the next lesson among them), follows the
reminder to the lesson, finds her lunchtime slot and a week goal kept across rest days (two weeks in a row) on
the study plan, and marks the rest read until the bell shows no count."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo as app_demo
from app.accounts.models import User
from app.extensions import db
from app.notifications import service
from tests.browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.demo]
PHONE = "13900000007"


def test_the_demo_worker_reads_her_messages_and_follows_the_reminder_on_a_phone(app, page):
    with app.app_context():
        worker = db.session.scalar(select(User).where(User.phone == PHONE))
        unread = service.unread_count(db.session, worker.id)  # the demo's messages, and those other parts caused
    assert unread >= 4
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    bell = page.locator("[data-bell]")
    expect(bell).to_be_visible()
    expect(bell).to_have_attribute("aria-label", f"消息，{unread}条未读")
    expect(bell.locator(".badge")).to_have_text(str(unread))
    bell.click()
    expect(page).to_have_url(re.compile("/me/notifications$"))
    items = page.locator(".notice-list li")
    expect(items).to_have_count(unread)
    expect(page.locator(".notice-list li.unread")).to_have_count(unread)
    reminder = page.locator('.notice-list li[data-kind="reminder"]')
    expect(reminder).to_contain_text(re.compile(r"继续《.+》第\d+课，还剩\d+分钟"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notifications-360.png"), full_page=True)

    reminder.locator("a").click()
    expect(page).to_have_url(re.compile(r"/learning/lessons/\d+"))
    expect(page.locator("[data-bell] .badge")).to_have_text(str(unread - 1))

    page.goto("/learning/plan")
    expect(page.locator('input[name="window_1"]')).to_have_value("12:00-12:30")
    expect(page.locator("[data-streak-weeks]")).to_have_text("连续 2 周达标")
    expect(page.locator("li[data-reminder]")).to_contain_text("已打开")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "study-plan-360.png"), full_page=True)

    page.locator("[data-bell]").click()
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("[data-bell] .badge")).to_have_count(0)
    expect(page.locator(".notice-list li.unread")).to_have_count(0)
