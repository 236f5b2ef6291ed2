"""The data figure on each quality button is what pressing play really moves: measured in Chromium as the bytes
of every playlist, segment and script fetched from the press of 播放 to the end of the lesson (bodies as sent,
compressed where they are, plus headers), within ±15% of the figure shown. First with hls.js still to come (the
figure includes it), then on the next visit, when the phone holds it (the figure leaves it out)."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.learning.test_offline_browser import _playable_course
from tests.waiting import wait_in_page

pytestmark = pytest.mark.browser


def _kb(text: str) -> float:
    number, unit = re.search(r"([\d.]+) (B|KB|MB)", text).groups()
    return float(number) * {"B": 1 / 1024, "KB": 1, "MB": 1024}[unit]


def _play_and_measure(page, mode_button) -> tuple[float, float]:
    """(the figure shown on the button, in KB; the KB moved from 播放 to the end)."""
    mode_button.click()
    shown = _kb(mode_button.locator("small").inner_text())
    moved: list[int] = []

    def count(request):
        if request.method == "GET" and ("/media/" in request.url or "/static/" in request.url):
            sizes = request.sizes()
            moved.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

    page.on("requestfinished", count)
    page.evaluate("document.querySelector('video').muted = true")
    page.get_by_role("button", name="播放").click()
    wait_in_page(page, "document.querySelector('video').ended", tries=400)
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", count)
    print("data figure", mode_button.get_attribute("data-mode"), shown, "KB shown,", sum(moved) / 1024, "KB moved")
    return shown, sum(moved) / 1024


def test_the_figure_shown_is_what_playing_moves(app, browser, live_server, tmp_path):
    resource_id, lesson_id = _playable_course(app, tmp_path)
    with app.app_context():
        from app.extensions import db
        from learning import enrolment

        worker = factories.user("worker")
        enrolment.enrol(db.session, worker, resource_id)  # enrolled already: 立即学习 would autoplay, loading hls.js
        phone = worker.phone
        db.session.commit()
    # Without the service worker, so every byte is seen on the page's own requests (it only adds a cache).
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", base_url=live_server, service_workers="block")
    try:
        page = context.new_page()
        page.goto("/auth/login")
        page.get_by_label("手机号").fill(phone)
        page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        page.goto(f"/learning/lessons/{lesson_id}")

        modes = page.locator(".player-mode")
        keys = [modes.nth(i).get_attribute("data-mode") for i in range(modes.count())]
        assert "audio" in keys
        shown, moved = _play_and_measure(page, page.locator('.player-mode[data-mode="audio"]'))
        assert abs(moved - shown) <= 0.15 * shown, (shown, moved)  # hls.js included: it came with this play
        assert moved > 20  # (hls.js alone is tens of KB even compressed: it was counted)

        other = next(k for k in keys if k != "audio")
        page.reload()  # the next visit: hls.js is on the phone now, and the figure says so
        button = page.locator(f'.player-mode[data-mode="{other}"]')
        shown_again, moved_again = _play_and_measure(page, button)
        assert abs(moved_again - shown_again) <= 0.15 * shown_again, (other, shown_again, moved_again)
        assert shown_again < shown or other != "audio"
    finally:
        context.close()
