"""Journey (b), on a phone: an institution writes a micro-course, uploads its video with the progress bar,
waits for transcoding and submits it; the city union selects it; a visitor then finds it in search."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from search import indexer
from tests.media.conftest import clips, quick_worker  # noqa: F401 - `clips` is a fixture

pytestmark = pytest.mark.browser
TITLE = "叉车起步与平稳停车"


def test_institution_publishes_a_video_course_that_the_union_selects_and_search_finds(app, page, login, clips):  # noqa: F811
    worker = quick_worker(app, periodic=True, duties=[indexer.DUTY]).start()  # jobs and the search indexer
    try:
        login("institution_staff", "INST-T1")
        page.goto("/catalog/manage/new?org=INST-T1")
        page.get_by_label("标题").fill(TITLE)
        page.get_by_label("类型").select_option("micro_course")
        page.get_by_label("简介").fill("场内叉车驾驶员岗前微课：起步、加速和平稳停车的要领。")
        page.locator('input[name="category"]').first.check()
        page.get_by_role("button", name="保存").click()
        page.wait_for_url(re.compile(r".*/catalog/manage/\d+/lessons$"))  # saved: on to its lessons
        resource_url = page.url.removesuffix("/lessons")
        page.get_by_label("课时标题").last.fill("起步与停车要领")
        page.get_by_label("时长").last.fill("3:00")
        page.get_by_role("button", name="添加课时").click()
        page.get_by_role("link", name="上传视频").click()
        page.get_by_label("选择文件").set_input_files(str(clips["small"]))
        page.get_by_role("button", name="开始上传").click()
        page.wait_for_selector(".upload-done:not([hidden])", timeout=120_000)  # upload then transcoding
        assert page.locator(".upload-bar").get_attribute("value") == "100"
        assert "转码完成" in page.locator(".upload-phase").inner_text()

        page.goto(resource_url)
        page.get_by_role("button", name="提交审核").click()
        page.wait_for_load_state()
        assert "已提交" in page.content() or "待审核" in page.content()

        page.context.clear_cookies()
        login("union_staff", "330100")
        page.goto("/catalog/review")
        page.locator("section.card", has_text=TITLE).get_by_role("button", name="遴选发布").first.click()
        page.wait_for_load_state()

        page.context.clear_cookies()  # a visitor searches for it, in Chinese and in pinyin initials
        for query in ("叉车停车", "chache"):
            for _ in range(50):  # the indexer drains the outbox a moment after the commit
                page.goto(f"/search?q={query}")
                if page.get_by_role("link", name=TITLE).count():
                    break
                page.wait_for_timeout(100)
            page.get_by_role("link", name=TITLE).first.click()
            expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        page.get_by_role("link", name="起步与停车要领").first.click()
        expect(page.locator("video")).to_have_count(1)  # the public lesson page plays the transcoded video
    finally:
        worker.stop()
    assert page.js_errors == [] and page.outside_requests == []
