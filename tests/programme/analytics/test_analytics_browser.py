"""Done when: the demo institution reads, on a chart on a 360 px phone, where learners drop off in its first video.
The page passes the checks every page does (tests/e2e/test_quality.py: width, no other host, axe-core, text size,
tap targets, no script errors) but the weight budget: Chart.js is 208 KB before compression (about 70 KB gzipped),
loaded on these staff pages only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_quality import SMALL_TARGETS, SMALL_TEXT, axe_violations

pytestmark = pytest.mark.browser


@pytest.mark.demo
def test_the_demo_institution_reads_where_learners_drop_off_in_its_first_video(app, page):
    from app import demo as app_demo
    from app.extensions import db
    from learning.analytics.demo import first_video

    with app.app_context():
        lesson = first_video(db.session)
        assert lesson is not None
        lesson_id, resource_id = lesson.id, lesson.resource_id
    page.goto("/auth/login")
    page.get_by_label("手机号").fill("13900000005")  # 杭州职业技术学院's course manager
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.goto(f"/catalog/manage/{resource_id}")
    page.get_by_role("link", name="学习分析").click()
    curve = page.locator(f'canvas[data-curve="{lesson_id}"]')
    expect(curve).to_be_visible()
    expect(page.locator(f"#curve-{lesson_id}")).to_contain_text("最多人停在")
    page.wait_for_function("c => window.Chart && window.Chart.getChart(c) !== undefined", arg=curve.element_handle())
    assert curve.bounding_box()["width"] > 200  # drawn across the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(SMALL_TEXT) == [] and page.evaluate(SMALL_TARGETS) == []
    assert axe_violations(page) == []
    assert page.outside_requests == [] and page.js_errors == []


def test_a_union_reads_its_roll_up_on_a_phone(app, page, login):
    from tests.programme.analytics.helpers import course_with_learners

    with app.app_context():
        course_with_learners()
    login("union_staff", "330100")
    page.goto("/programme/analytics")
    expect(page.get_by_role("heading", name="杭州市总工会 · 学习分析")).to_be_visible()
    funnel = page.locator('canvas[data-chart="funnel"]')
    expect(funnel).to_be_visible()
    page.wait_for_function("c => window.Chart && window.Chart.getChart(c) !== undefined", arg=funnel.element_handle())
    expect(page.get_by_role("link", name="安全用电")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []
    assert page.outside_requests == [] and page.js_errors == []
