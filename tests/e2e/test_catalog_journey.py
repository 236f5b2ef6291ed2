"""A visitor on a phone browses the menu to a section, opens a resource and its lessons; the union's
review makes a submitted resource appear in its public catalog."""

import pytest
from playwright.sync_api import expect

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service
from tests.catalog.helpers import make

pytestmark = pytest.mark.browser


@pytest.fixture
def resources(app):
    with app.app_context():
        published = make(title="建筑施工安全基础", kind="course", category="skills-construction", publish=True,
                         lesson_count=3)
        submitted = make(title="塔吊司机岗前培训", category="skills-construction")
        service.submit(db.session, SYSTEM, submitted)
        db.session.commit()
        return published.id, submitted.id


def test_visitor_browses_menu_section_resource_and_lesson(page, resources):
    page.goto("/")
    page.locator(".tabbar").get_by_text("目录").click()
    page.get_by_role("link", name="岗位技能").first.click()
    page.get_by_role("link", name="建筑施工安全基础").first.click()
    expect(page.get_by_role("heading", name="建筑施工安全基础")).to_be_visible()
    assert page.locator('script[type="application/ld+json"]').count() == 1
    page.get_by_role("link", name="第2课").click()
    expect(page.get_by_role("heading", name="第2课")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == [] and page.outside_requests == []


def test_union_selects_a_submitted_resource_and_the_public_sees_it(page, login, resources):
    _published, submitted = resources
    page.goto(f"/catalog/r/{submitted}")
    assert "页面不存在" in page.content() or "不存在" in page.content()  # not public yet
    login("union_staff", "330100")
    page.goto("/catalog/review")
    expect(page.get_by_text("塔吊司机岗前培训").first).to_be_visible()
    page.locator(f'form[action="/catalog/review/{submitted}"]').get_by_role("button", name="遴选发布").click()
    page.wait_for_load_state()
    page.context.clear_cookies()
    page.goto(f"/catalog/r/{submitted}")
    expect(page.get_by_role("heading", name="塔吊司机岗前培训")).to_be_visible()
    assert page.js_errors == []


def test_resource_and_lesson_pages_pass_the_phone_checks(page, resources):
    from tests.e2e.test_quality import check_page

    published, _submitted = resources
    check_page(page, f"/catalog/r/{published}")
    page.get_by_role("link", name="第1课").click()
    check_page(page, page.url)
