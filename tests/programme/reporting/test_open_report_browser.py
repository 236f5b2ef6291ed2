"""The public yearly report on a 360 px phone, signed out, with the checks of tests/e2e/test_quality.py (width,
weight, no other host, axe-core, 16 px text, 44 px targets): its table reads as cards, a withheld cell says so."""

import pytest
from playwright.sync_api import expect

from app.extensions import db as _db
from tests.catalog.helpers import make
from tests.e2e.test_quality import check_page
from tests.programme.reporting.test_open_report import FLOOR, learners

pytestmark = pytest.mark.browser


def test_the_public_report_fits_a_phone(app, page):
    with app.app_context():
        course = make(publish=True, title="安全生产")
        learners("330106", FLOOR + 2, course)
        learners("330203", FLOOR - 1, course)
        learners("330302", FLOOR, course)  # 温州市: withheld on the province's page to cover 宁波, not 杭州
        _db.session.commit()
    check_page(page, "/open/report/2025")
    expect(page.locator("table.open-report-table")).to_be_visible()
    expect(page.locator("table.open-report-table")).to_contain_text(f"不足{FLOOR}人")
    check_page(page, "/open/report/2025/330100")  # 西湖区's seven are shown, and drawn
    expect(page.locator("svg.chart").first).to_be_visible()
    expect(page.get_by_role("link", name="下载 PDF")).to_be_visible()
    check_page(page, "/open/report")
    check_page(page, "/open/quality/2025/INST-T1")  # an institution's quality report, the same table
