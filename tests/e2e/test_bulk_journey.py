"""Bulk work on a phone (360 px): union staff tick two submitted resources, select them with one comment into a
section of their catalog, and the public catalog shows both; then they hide one catalog entry in bulk and the
public catalog no longer lists it. No page scrolls sideways; "全选" ticks in place with the script."""

import pytest
from playwright.sync_api import expect

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service, union_catalogs
from tests.catalog.helpers import make
from tests.e2e.test_quality import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted(app):
    with app.app_context():
        union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"),
                                      inherit=False)
        ids = []
        for title in ("塔吊司机岗前培训", "电工安全操作", "焊工入门"):
            resource = make(title=title, category="skills-construction")
            service.submit(db.session, SYSTEM, resource)
            ids.append(resource.id)
        db.session.commit()
        return ids


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_union_reviews_and_publishes_in_bulk_then_hides_an_entry(page, login, submitted):
    crane, electric, welding = submitted
    login("union_staff", "330100")
    check_page(page, "/catalog/review")  # phone checks: width, text and tap target sizes, axe
    page.locator(f'input[name="ids"][value="{crane}"]').check()
    page.locator(f'input[name="ids"][value="{electric}"]').check()
    expect(page.get_by_text("已选2项")).to_be_visible()
    page.get_by_label("统一意见（退回时必填）").fill("内容完整，同意发布")
    page.get_by_label("遴选的同时加入本级目录栏目").select_option(index=1)
    page.get_by_role("button", name="遴选发布所选").click()
    expect(page.get_by_text("已处理2项。")).to_be_visible()
    expect(page.get_by_role("link", name="焊工入门")).to_be_visible()  # not ticked: still waiting
    expect(page.get_by_role("link", name="塔吊司机岗前培训")).to_have_count(0)
    page.get_by_role("button", name="全选").click()
    expect(page.locator(f'input[name="ids"][value="{welding}"]')).to_be_checked()
    _fits(page)

    page.goto("/catalog/u/330100")
    expect(page.get_by_text("塔吊司机岗前培训").first).to_be_visible()
    expect(page.get_by_text("电工安全操作").first).to_be_visible()
    _fits(page)

    check_page(page, "/catalog/u/330100/edit")
    page.locator("details", has=page.get_by_label("选择 电工安全操作")).last.locator("summary").first.click()
    page.get_by_label("选择 电工安全操作").check()
    page.get_by_role("button", name="隐藏所选").click()
    expect(page.get_by_text("已处理1项。")).to_be_visible()
    _fits(page)

    page.context.clear_cookies()
    page.goto("/catalog/u/330100")
    expect(page.get_by_text("塔吊司机岗前培训").first).to_be_visible()
    expect(page.get_by_text("电工安全操作")).to_have_count(0)
    page.goto(f"/catalog/r/{electric}")  # hidden from the union's catalog, still published in the open directory
    expect(page.get_by_role("heading", name="电工安全操作")).to_be_visible()
    assert page.js_errors == [] and page.outside_requests == []


def test_institution_reruns_failed_transcodes_in_bulk(app, page, login):
    from media.models import AssetStatus, MediaAsset
    from tests import factories

    with app.app_context():
        org_id = organisations.get_by_code(db.session, factories.INSTITUTION).id
        for title in ("第一课.mp4", "第二课.mp4"):
            asset = MediaAsset(org_id=org_id, title=title, status=AssetStatus.failed, error="转码失败")
            db.session.add(asset)
            db.session.flush()
            asset.source_key = f"assets/{asset.id}/source.mp4"
        db.session.commit()
    login("institution_staff")
    check_page(page, "/media/failed")
    page.get_by_role("button", name="全选").click()
    page.get_by_role("button", name="重新转码所选").click()
    expect(page.get_by_text("已处理2项。")).to_be_visible()
    expect(page.get_by_text("没有转码失败的视频。")).to_be_visible()
    _fits(page)
