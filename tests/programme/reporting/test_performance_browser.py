"""Performance evaluation on a 360 px phone: the province sees Hangzhou lagging (红灯) on a page that fits the
phone, sends a 督办, and Hangzhou's staff answer it from their desk's queue."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.timefmt import beijing_today
from programme.reporting import performance
from tests.e2e.test_quality import check_page
from tests.programme.helpers import open_year, org, staff

pytestmark = pytest.mark.browser


def test_province_supervises_a_lagging_city_that_answers(app, page, login):
    with app.app_context():
        plan = open_year()
        performance.set_target(db.session, staff(code="330000"), plan, org("330100"), {"admissions": 10})
        db.session.commit()
    login("union_staff", "330000")
    check_page(page, "/reports/330000/performance?year=2026")
    row = page.locator("#unit-330100")
    expect(row.get_by_text("红灯")).to_be_visible()
    row.get_by_text("发出督办").first.click()
    row.get_by_label("督办内容").fill("杭州市录取进度滞后，请说明原因并加快推进。")
    row.get_by_label("回复期限").fill((beijing_today() + timedelta(days=7)).isoformat())
    row.get_by_role("button", name="发出督办").click()
    expect(page.get_by_text("督办已发出。")).to_be_visible()
    page.context.clear_cookies()
    login("union_staff", "330100")
    check_page(page, "/supervision")
    page.get_by_role("link", name="杭州市录取进度滞后").click()
    page.get_by_label("回复内容").fill("已约谈各区县，本月底前完成录取。")
    page.get_by_role("button", name="提交回复").click()
    expect(page.get_by_text("已约谈各区县，本月底前完成录取。")).to_be_visible()
    expect(page.get_by_role("button", name="提交回复")).to_have_count(0)
