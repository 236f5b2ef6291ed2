"""Issue 18's six taps: from the home page of a phone (360×640, a slow 1.6 Mbps / 150 ms link emulated through the
DevTools protocol) to a lesson actually playing, for the three common entries: a search, a menu category and a
recruitment QR link (a visitor who registers on the way and comes back to the same lesson, playing).

Every tap goes through `Taps.tap`, which counts it (pressing the keyboard's search key counts as one; typing
into a field does not). A journey fails past 6 taps, or when a page's transferred weight (video excluded)
grows past its budget: what was measured when the journey was cut to its taps, plus 20%."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from app.extensions import db
from learning.models import Enrolment
from search.indexer import drain_all
from tests.app.sms_codes import last_code
from tests.e2e.test_quality import TRANSFERRED
from tests.e2e.test_worker_journey import _with_video
from tests.learning.conftest import make_course

pytestmark = pytest.mark.browser
MAX_TAPS = 6
# Bytes measured on each page of the journeys (brotli, a fresh phone without the service worker's cache; hls.js,
# 190 KB of the lesson page, comes down with the first play), plus 20%. Measured again on 2026-12-03 at 15:55 UTC
# after issues 23 and 24 put the bell, the 简易模式 switch, the public report's footer link and their styles on
# every page (home 6,941 → 10,208 bytes, search 8,589 → 11,896, resource 7,378 → 10,888: about 3 KB, 15 ms on
# slow 3G); the staff-only styles could still move to a sheet of their own.
BUDGET = {name: int(measured * 1.2) for name, measured in {
    "home": 10_208, "search": 11_896, "menu": 11_346, "resource": 10_888, "lesson": 219_689, "auth": 9_946}.items()}
SLOW_3G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8}


class Taps:
    """Clicks that count; and the weight of each page the journey passes through."""

    def __init__(self, page) -> None:
        self.page, self.count, self.weights = page, 0, []

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()
        self.page.wait_for_load_state()

    def enter(self, locator) -> None:  # the search key of the phone's keyboard
        self.count += 1
        locator.press("Enter")
        self.page.wait_for_load_state()

    def weigh(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        weight = self.page.evaluate(TRANSFERRED)
        self.weights.append((name, weight))
        assert weight <= BUDGET[name], f"{name} page weighs {weight} bytes, over its budget of {BUDGET[name]}"


def _phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", base_url=live_server,
                                  service_workers="block")  # a fresh phone's bytes: the worker only adds a cache
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    return context, page, errors


@pytest.fixture
def login_as(app):
    """A worker who signed in on this phone earlier (the sign-in is not part of the journey's taps)."""
    from tests import factories

    def _login(page) -> None:
        with app.app_context():
            user = factories.user("worker")
            phone = user.phone
            db.session.commit()
        page.goto("/auth/login")
        page.get_by_label("手机号").fill(phone)
        page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

    return _login


def _course(app, tmp_path, title: str) -> int:
    """A published one-lesson course with a real transcoded clip, indexed for search."""
    from app.jobs import Worker
    from tests.media.conftest import make_clip

    with app.app_context():
        clip = make_clip(tmp_path / "clip.mp4", seconds=6, size="320x180", rate=10)
        course = make_course(title=title, videos=("0:06",), reading=False, external=False)
        copy = tmp_path / f"clip-{course.id}.mp4"
        shutil.copyfile(clip, copy)
        _with_video(app, course, copy)
        db.session.commit()
        Worker(app, periodic=False).run_until_idle()
        drain_all(db.session, app.extensions["search"])
        return course.id


def _playing(taps: Taps) -> None:
    """On the lesson page: it plays by itself after 立即学习; if the browser wants a gesture first, one tap on ▶."""
    page = taps.page
    page.wait_for_url(re.compile(r".*/learning/lessons/\d+.*"))
    taps.weigh("lesson")
    start = page.locator(".player-start")
    for _ in range(600):  # (wait_for_function evaluates strings, which the CSP rightly forbids)
        if page.evaluate("document.querySelector('video').currentTime") > 0.5:
            return
        if start.is_visible() and page.evaluate("!document.querySelector('video').currentTime"):
            taps.tap(start)
        page.wait_for_timeout(100)
    raise AssertionError("the lesson never played")


def _above_the_fold(page, name: str) -> None:
    box = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640 - 56, f"{name} is below the fold: {box}"


def _finish(app, taps: Taps, started: float, errors: list[str], resource_id: int) -> None:
    elapsed = time.monotonic() - started
    print(f"\n{taps.count} taps, {elapsed:.1f} s, pages: {taps.weights}")
    assert taps.count <= MAX_TAPS, f"{taps.count} taps"
    assert errors == []
    with app.app_context():
        assert db.session.query(Enrolment).filter_by(resource_id=resource_id).count() == 1  # enrolled on the way


@pytest.mark.parametrize("query", ["电工", "叉车", "育婴"])
def test_search_to_a_playing_lesson(app, browser, live_server, login_as, tmp_path, query):
    resource_id = _course(app, tmp_path, {"电工": "电工安全操作", "叉车": "叉车驾驶入门", "育婴": "育婴员基础"}[query])
    context, page, errors = _phone(browser, live_server)
    login_as(page)
    taps, started = Taps(page), time.monotonic()
    page.goto("/")
    taps.weigh("home")
    page.get_by_role("searchbox").first.fill(query)
    taps.enter(page.get_by_role("searchbox").first)
    taps.weigh("search")
    assert page.locator(".results").bounding_box()["y"] < 640  # results first on a phone, facets behind 筛选
    assert page.locator("#search-facets").is_hidden()
    taps.tap(page.locator(".result-title").first)
    taps.weigh("resource")
    _above_the_fold(page, "立即学习")
    taps.tap(page.get_by_role("button", name="立即学习"))
    _playing(taps)
    _finish(app, taps, started, errors, resource_id)
    context.close()


def test_menu_category_to_a_playing_lesson(app, browser, live_server, login_as, tmp_path):
    resource_id = _course(app, tmp_path, "建筑电工实操")
    context, page, errors = _phone(browser, live_server)
    login_as(page)
    taps, started = Taps(page), time.monotonic()
    page.goto("/")
    taps.weigh("home")
    taps.tap(page.get_by_role("link", name=re.compile("岗位技能")).first)
    taps.weigh("menu")
    taps.tap(page.get_by_role("link", name=re.compile("建筑电工实操")).first)
    taps.weigh("resource")
    _above_the_fold(page, "立即学习")
    taps.tap(page.get_by_role("button", name="立即学习"))
    _playing(taps)
    _finish(app, taps, started, errors, resource_id)
    context.close()


def test_recruitment_qr_link_registers_and_comes_back_playing(app, browser, live_server, tmp_path):
    """A fresh phone scans a union's poster: search, 立即学习, register (the form's fields are typing, its
    button a tap) and back on the same lesson, whose first play (a tap on ▶: a link alone enrols nobody) enrols
    the new worker."""
    resource_id = _course(app, tmp_path, "育婴员基础")
    context, page, errors = _phone(browser, live_server)
    taps, started = Taps(page), time.monotonic()
    page.goto("/catalog/u/330100?via=330100")  # what programme/qrcodes.py puts in the QR code
    page.get_by_role("searchbox").first.fill("育婴")
    taps.enter(page.get_by_role("searchbox").first)
    taps.tap(page.locator(".result-title").first)
    _above_the_fold(page, "立即学习")
    taps.tap(page.get_by_role("link", name="立即学习"))
    assert "/auth/register" in page.url and "next=" in page.url  # the poster brought a newcomer: register
    taps.weigh("auth")
    page.get_by_label("手机号").fill("139 0571 8642")
    taps.tap(page.get_by_role("button", name="获取验证码"))
    page.get_by_label("短信验证码").fill(last_code(app, "13905718642"))  # the text message the phone received
    page.get_by_label("密码（至少8位）").fill("a-good-password")
    taps.tap(page.get_by_role("button", name="注册", exact=True))
    _playing(taps)
    _finish(app, taps, started, errors, resource_id)
    with app.app_context():
        from app.accounts import organisations
        from app.accounts.models import User

        worker = db.session.query(User).filter(User.phone == "13905718642").one()
        assert worker.referred_by_id == organisations.get_by_code(db.session, "330100").id  # the poster counts
    context.close()
