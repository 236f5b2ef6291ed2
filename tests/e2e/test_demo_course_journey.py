"""Issue 18's demo course, in a phone's browser: on the demo data `make run` loads, the demo worker 李小梅 signs in,
searches 安全用电 from the home page, taps 立即学习 on the short demo course, watches each lesson to its end at 1x
(real time: the heartbeat pace rule always accepts it), goes on through 学习下一课 until the course is done, then
finds the certificate among her credits, opens its verification link, and sees the course counted on the pathway.
Under TESTING the demo's clips are a few seconds long and the lessons last as long as their clips."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo as app_demo
from app.extensions import db
from catalog.demo_data import SHORT_COURSE, SHORT_LESSON_SECONDS
from catalog.models import Resource
from credits.models import Pathway
from learning.demo import WORKER_PHONE
from search.indexer import drain_all
from tests.waiting import wait_in_page

pytestmark = [pytest.mark.browser, pytest.mark.demo]
PATHWAY = "电工（高级工）技能提升路径"


def _demo(app) -> dict[str, object]:
    """The whole demo, loaded as `make run` does (short clips under TESTING; marker demo), the search index built."""
    with app.app_context():
        drain_all(db.session, app.extensions["search"])
        course = db.session.scalar(select(Resource).where(Resource.title == SHORT_COURSE))
        pathway = db.session.scalar(select(Pathway).where(Pathway.title == PATHWAY))
        lessons = [(lesson.id, lesson.title, lesson.media_asset_id) for lesson in course.lessons]
        assert [title for _id, title, _asset in lessons] == list(SHORT_LESSON_SECONDS)
        assert all(asset is not None for _id, _title, asset in lessons)  # every lesson has its (short) clip
        return {"course": course.id, "pathway": pathway.id, "lessons": [lesson_id for lesson_id, *_ in lessons]}


def _phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", base_url=live_server, service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    return context, page, errors


def _sign_in(page) -> None:
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(WORKER_PHONE)
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/auth/login" not in page.url


def _find_and_start(page, first_lesson: int) -> None:
    """From the home page: search 安全用电, open the short course, 立即学习 (enrols and plays the first lesson)."""
    page.goto("/")
    page.get_by_role("searchbox", name="搜索课程").fill("安全用电")
    page.get_by_role("searchbox", name="搜索课程").press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name=SHORT_COURSE).first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name=SHORT_COURSE)).to_be_visible()
    page.get_by_role("button", name="立即学习").click()
    page.wait_for_url(re.compile(rf".*/learning/lessons/{first_lesson}.*"))


def _watch_to_the_end(page) -> None:
    """Muted (headless Chromium has no speaker), at 1x; ▶ only if 立即学习's autoplay did not start it."""
    page.wait_for_selector("video")
    page.evaluate("document.querySelector('video').muted = true")
    start = page.get_by_role("button", name="播放")
    if start.is_visible():
        start.click()
    wait_in_page(page, "document.querySelector('video').currentTime > 0.2")
    assert page.evaluate("document.querySelector('video').playbackRate") == 1
    wait_in_page(page, "document.querySelector('video').ended", tries=600)  # a lesson is at most 4 s under TESTING


def _shown(page, which: str) -> None:
    wait_in_page(page, f"!document.querySelector('[data-celebrate=\"{which}\"]').hidden")


def test_demo_worker_finishes_the_short_demo_course_on_a_phone_and_gets_certificate_and_pathway_credit(
        app, browser, live_server):
    ids = _demo(app)
    context, page, errors = _phone(browser, live_server)
    try:
        _sign_in(page)
        lessons = ids["lessons"]
        _find_and_start(page, lessons[0])
        for index, lesson_id in enumerate(lessons):
            assert re.search(rf"/learning/lessons/{lesson_id}\b", page.url), page.url
            _watch_to_the_end(page)
            if index < len(lessons) - 1:  # the lesson's panel leads on to the next one
                _shown(page, "lesson")
                panel = page.locator('[data-celebrate="lesson"]')
                assert "本课已完成" in panel.inner_text()
                panel.get_by_role("link", name="学习下一课").click()
                page.wait_for_url(re.compile(rf".*/learning/lessons/{lessons[index + 1]}.*"))
        _shown(page, "course")
        done = page.locator('[data-celebrate="course"]')
        assert f"已完成《{SHORT_COURSE}》" in done.inner_text() and "获得 0.5 学分" in done.inner_text()

        done.get_by_role("link", name="查看学分和证书").click()
        page.wait_for_url("**/credits/")
        certificates = page.locator("section", has=page.get_by_role("heading", name="结业证书"))
        assert certificates.get_by_role("link", name=re.compile(re.escape(SHORT_COURSE))).count() == 1
        verify = certificates.get_by_role("link", name="验证链接（可发给用人单位）")
        assert verify.count() >= 1
        href = verify.first.get_attribute("href")
        assert "/verify/" in href
        page.goto(href)
        facts = page.locator("main").inner_text()
        assert "证书真实有效" in facts and SHORT_COURSE in facts

        page.goto(f"/credits/pathways/{ids['pathway']}")
        assert "已计 0.5 / 12 学分" in page.locator("main").inner_text()  # the short course counts on the pathway
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert errors == []
    finally:
        context.close()
