"""A worker on a 360 px phone searches the demo catalog: a Chinese word, then its pinyin, narrows the results
with a facet chip, picks an autocomplete title, and follows the "did you mean" of a typo."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from search import indexer

pytestmark = [pytest.mark.browser, pytest.mark.demo]


@pytest.fixture
def demo_index(app):
    with app.app_context():
        indexer.drain_all(db.session, app.extensions["search"])


def _search(page, text: str) -> None:
    box = page.locator("#search-q")
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()


def _total(page) -> int:
    return int(re.search(r"共 (\d+) 个结果", page.locator(".row-between").first.inner_text()).group(1))


def test_worker_searches_by_word_pinyin_chip_and_typo(page, demo_index):
    page.goto("/search")
    _search(page, "电工")
    titles = page.locator(".result-title")
    assert titles.first.inner_text() != "" and "电子工程导论（专科）" not in page.locator(".results").inner_text()
    assert page.locator(".results").get_by_text("低压电工作业安全技术").is_visible()
    assert page.locator(".result-title mark").first.inner_text() == "电工"

    _search(page, "diangong")  # pinyin finds the same courses, and marks the Chinese it stands for
    assert page.locator(".results").get_by_text("低压电工作业安全技术").is_visible()
    assert page.locator(".result-title mark").first.inner_text() == "电工"

    _search(page, "安全")
    before = _total(page)
    assert page.locator("#search-facets").is_hidden()  # results first; the facets sit behind one 筛选 button
    page.get_by_role("button", name="筛选").click()
    assert page.get_by_role("button", name="筛选").get_attribute("aria-expanded") == "true"
    chip = page.locator(".facet", has_text="类型").locator("a.chip", has_text="微课")
    micro = int(chip.locator(".count").inner_text())
    chip.click()
    page.wait_for_load_state()
    assert _total(page) == micro < before
    page.get_by_role("button", name="筛选 (1)").click()
    assert page.locator(".facet", has_text="类型").locator("a.chip.on", has_text="微课").is_visible()

    page.locator("#search-q").fill("")
    page.locator("#search-q").press_sequentially("chache", delay=30)  # autocomplete by pinyin
    page.locator("#search-suggestions li").first.wait_for()
    assert "叉车" in page.locator("#search-suggestions").inner_text()

    page.goto("/search")  # a new search, without the 微课 filter the form keeps
    _search(page, "母婴户理")  # a homophone typo
    hint = page.locator(".notice", has_text="您是不是要找")
    hint.get_by_role("link", name="母婴护理").click()
    page.wait_for_load_state()
    assert page.locator(".results").get_by_text("母婴护理员（月嫂）岗位技能").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.js_errors == [] and page.outside_requests == []
