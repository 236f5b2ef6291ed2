"""Issue 24 item 7 on a phone (360 px), demo data: the demo worker turns 简易模式 on with one tap in the top bar,
hears a recommendation read aloud (the browser's own speech synthesis, zh-CN), moves around by the tab bar's
icons with the mode kept, and turns it off again in /me. Headless Chromium may have no voices, so the page's
speechSynthesis.speak is wrapped to record what was said; the UI's speaking state is what the worker sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import demo as app_demo

pytestmark = [pytest.mark.browser, pytest.mark.demo]
PHONE = "13900000007"
RECORD = """
window.__spoken = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = function (u) { window.__spoken.push({ text: u.text, lang: u.lang }); };
}
"""


def _spoken(page) -> list[dict]:
    return page.evaluate("window.__spoken || []")


def test_easy_mode_reads_aloud_and_navigates_by_icons_on_a_phone(app, page):
    page.add_init_script(RECORD)
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(PHONE)
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    page.goto("/")

    toggle = page.locator(".topbar [data-easy-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html.easy")).to_have_count(1)
    expect(toggle).to_have_attribute("aria-pressed", "true")

    first = page.locator(".next-course").first
    expect(first).to_be_visible()
    title = first.locator("strong").inner_text()
    expect(first.locator(".easy-speak svg use")).to_have_count(1)  # the site's own icon: no emoji font needed
    first.locator(".easy-speak").click()
    bar = page.locator(".easy-speaking")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("正在朗读")
    expect(first.locator(".easy-speak.speaking")).to_have_count(1)
    said = _spoken(page)[-1]
    assert title in said["text"] and said["lang"] == "zh-CN"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    bar.get_by_role("button", name="停止").click()
    expect(bar).to_be_hidden()

    page.locator(".tabbar a.tab").nth(1).click()  # the 目录 icon
    expect(page).to_have_url(re.compile("/catalog/?$"))
    expect(page.locator("html.easy")).to_have_count(1)  # remembered on this phone for this person
    page.locator(".tabbar a.tab").nth(3).click()  # the 学习 icon
    expect(page).to_have_url(re.compile("/learning$"))
    heading = page.locator("main h1").first
    heading.locator(".easy-speak").click()
    expect(bar).to_be_visible()
    assert _spoken(page)[-1]["text"].startswith(heading.inner_text().replace("🔊", "").strip()[:4])

    page.locator(".tabbar a.tab").nth(4).click()  # the 我的 icon
    switch = page.locator("main [data-easy-toggle]")
    expect(switch).to_have_attribute("aria-pressed", "true")
    switch.click()
    expect(page.locator("html.easy")).to_have_count(0)
    page.reload()
    expect(page.locator("html.easy")).to_have_count(0)
    expect(page.locator(".easy-speak")).to_have_count(0)
    assert page.js_errors == [] and page.outside_requests == []


def test_voice_search_only_where_the_browser_can_listen(page):
    page.goto("/search")
    page.locator(".topbar [data-easy-toggle]").click()
    listens = page.evaluate("!!(window.SpeechRecognition || window.webkitSpeechRecognition)")
    expect(page.locator("form[role=search] .easy-mic")).to_have_count(1 if listens else 0)
    deaf = page.context.new_page()
    deaf.add_init_script("delete window.webkitSpeechRecognition; delete window.SpeechRecognition;")
    deaf.goto("/search")
    expect(deaf.locator("form[role=search]").first).to_be_visible()
    expect(deaf.locator(".easy-mic")).to_have_count(0)


def test_reading_aloud_and_the_lesson_player_take_turns(app, page):
    """With the audio-only data saver or any quality: speech pauses what plays, and playing stops the speech."""
    page.add_init_script(RECORD)
    page.goto("/")
    page.locator(".topbar [data-easy-toggle]").click()
    bar = page.locator(".easy-speaking")
    expect(bar).to_be_visible()  # "已打开简易模式……" is being said
    # a media element standing in for the player (what static/js/player.js plays, in 音频 mode too)
    page.evaluate("""() => { const a = document.createElement('audio'); a.id = 'lesson-audio';
        document.querySelector('main').appendChild(a); a.dispatchEvent(new Event('play')); }""")
    expect(bar).to_be_hidden()
    page.evaluate("""() => { const a = document.getElementById('lesson-audio');
        Object.defineProperty(a, 'paused', {get: () => false}); a.pause = () => { a.dataset.paused = '1'; }; }""")
    page.locator("main h1").first.locator(".easy-speak").click()
    expect(bar).to_be_visible()
    expect(page.locator("#lesson-audio[data-paused='1']")).to_have_count(1)
