"""Issue 22's "done when", on a phone: institution staff write a course description without HTML (the toolbar's
加粗 and 列表, then typing), see the server's preview, save, and the public page shows bold text and the list."""

import pytest
from playwright.sync_api import expect

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service
from catalog.models import Resource
from tests import factories
from tests.catalog.helpers import make

pytestmark = pytest.mark.browser
WRITTEN = "**安全第一**\n\n- 戴好安全帽\n- 系好安全带<script>alert(1)</script>"


def test_staff_write_bold_and_a_list_preview_save_and_the_public_sees_them(app, page, login):
    with app.app_context():
        resource_id = make(title="高处作业安全", provider=factories.INSTITUTION).id
        db.session.commit()
    login("institution_staff", factories.INSTITUTION)
    page.goto(f"/catalog/manage/{resource_id}")
    box = page.get_by_label("详细介绍")
    box.fill("")
    page.get_by_role("button", name="加粗").click()  # **加粗文字**, its words selected
    page.keyboard.type("安全第一")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="列表").click()  # "- 列表", its word selected
    page.keyboard.type("戴好安全帽")
    page.keyboard.press("Enter")
    page.keyboard.type("- 系好安全带<script>alert(1)</script>")
    expect(box).to_have_value(WRITTEN)
    page.get_by_role("tab", name="预览").click()
    preview = page.locator(".md-preview")
    expect(preview.locator("strong")).to_have_text("安全第一")
    expect(preview.locator("li")).to_have_text(["戴好安全帽", "系好安全带"])
    expect(box).to_be_hidden()
    assert preview.locator("script").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("tab", name="编辑").click()
    expect(box).to_be_visible()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    expect(page.get_by_label("详细介绍")).to_have_value(WRITTEN)  # the Markdown again, for the next edit
    with app.app_context():
        resource = db.session.get(Resource, resource_id)
        service.submit(db.session, SYSTEM, resource)
        service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()
    page.context.clear_cookies()
    page.goto(f"/catalog/r/{resource_id}")
    description = page.locator(".rich").first
    expect(description.locator("strong")).to_have_text("安全第一")
    expect(description.locator("li")).to_have_text(["戴好安全帽", "系好安全带"])
    assert description.locator("script").count() == 0
    assert page.js_errors == [] and page.outside_requests == []
