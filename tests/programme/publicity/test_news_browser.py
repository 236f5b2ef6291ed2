"""A county union's staff write a story on a phone, publish it, and a visitor finds it on the home page, opens it
and its share QR: nothing wider than the 360 px screen, no script errors, nothing from another host."""

import pytest
from playwright.sync_api import expect

from tests.waiting import wait_in_page

pytestmark = pytest.mark.browser


def test_staff_publish_a_story_and_a_visitor_reads_and_shares_it(page, login):
    login("union_staff", "330106")
    page.goto("/me")
    page.get_by_role("link", name="新闻管理").click()
    page.get_by_role("link", name="写新文章").click()
    page.get_by_label("类别").select_option("story")
    page.get_by_label("标题").fill("装配工王师傅的专科路")
    page.get_by_label("摘要（分享卡片上显示）").fill("十二年的装配工拿到专科文凭")
    page.locator("#f-body").fill("王师傅每天下班后学习半小时。\n\n**碎片时间也能学出名堂。**")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="发布").click()
    expect(page.get_by_text("已发布，首页和新闻列表中可以看到。")).to_be_visible()
    page.goto("/")
    page.get_by_role("link", name="装配工王师傅的专科路").click()
    expect(page.get_by_role("heading", name="装配工王师傅的专科路")).to_be_visible()
    expect(page.locator(".rich strong")).to_have_text("碎片时间也能学出名堂。")
    page.get_by_text("分享", exact=True).click()
    expect(page.get_by_role("img", name="本页二维码")).to_be_visible()
    # the QR is drawn by this site: it loads (lazily, once the box is open)
    wait_in_page(page, "document.querySelector('.share-qr').complete"
                       " && document.querySelector('.share-qr').naturalWidth > 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == [] and page.outside_requests == []
