"""On a phone-sized Chromium: staff upload a clip with tus-js-client and watch one progress bar through upload
and transcoding, attach it to a lesson, then a worker plays it, picks 仅音频 and sees the smaller data size."""

from __future__ import annotations

import re

import pytest

from app.accounts.policy import SYSTEM
from app.extensions import db
from app.security import CSP
from catalog import service as catalog_service
from catalog.models import Lesson
from media.models import MediaAsset, Rendition, RenditionKind
from media.tus import human_size
from tests.catalog.helpers import make
from tests.e2e.test_quality import MAX_BYTES, SMALL_TARGETS, SMALL_TEXT, TRANSFERRED, axe_violations
from tests.media.conftest import quick_worker

pytestmark = [pytest.mark.browser, pytest.mark.no_service_worker]  # it answers /player-test with page.route


def _kb(text: str) -> float:
    number, unit = re.search(r"([\d.]+) (KB|MB)", text).groups()
    return float(number) * (1024 if unit == "MB" else 1)


def test_upload_transcode_attach_and_play_audio_only(app, page, login, clips):
    with app.app_context():
        lesson_id = make("INST-T1", title="安全用电", media=False).lessons[0].id
        db.session.commit()
    worker = quick_worker(app).start()
    try:
        login("institution_staff", "INST-T1")
        page.goto("/media/upload")
        page.get_by_label("用于课时（可稍后再选）").select_option(str(lesson_id))
        page.get_by_label("选择文件").set_input_files(str(clips["small"]))
        page.get_by_role("button", name="开始上传").click()
        page.wait_for_selector(".upload-done:not([hidden])", timeout=120_000)
        assert page.locator(".upload-bar").get_attribute("value") == "100"
        assert "转码完成" in page.locator(".upload-phase").inner_text()
        page.locator(".upload-link").click()
        page.wait_for_url(re.compile(r".*/media/assets/\d+"))
        assert "安全用电" in page.locator(".facts").inner_text()  # attached to the lesson
    finally:
        worker.stop()
    assert page.js_errors == [] and page.outside_requests == []

    with app.app_context():
        resource = db.session.get(Lesson, lesson_id).resource
        catalog_service.submit(db.session, SYSTEM, resource)
        catalog_service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()
    page.context.clear_cookies()  # a worker, not logged in, on the published lesson's player
    page.goto(f"/media/assets/{page.url.rsplit('/', 1)[1]}")  # the asset page needs a login ...
    assert "/auth/login" in page.url
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    html = _player_page(app, lesson_id)  # ... so show the player the way the lesson page includes it
    page.route("**/player-test", lambda route: route.fulfill(body=html, content_type="text/html",
                                                             headers={"Content-Security-Policy": CSP}))
    page.goto("/player-test")
    audio, auto = page.locator('.player-mode[data-mode="audio"]'), page.locator('.player-mode[data-mode="auto"]')
    assert auto.get_attribute("aria-pressed") == "true"
    assert _kb(audio.inner_text()) < _kb(auto.inner_text())
    assert not any(url.endswith((".ts", ".m3u8")) or "hls.min." in url for url in requests)  # nothing before play
    audio.click()
    assert audio.get_attribute("aria-pressed") == "true"
    page.locator(".player-speed", has_text="1.5×").click()
    page.evaluate("document.querySelector('video').muted = true")
    page.get_by_role("button", name="播放").click()
    for _ in range(600):  # (wait_for_function evaluates strings, which the CSP rightly forbids)
        if page.evaluate("document.querySelector('video').currentTime") > 0.5:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('video').currentTime") > 0.5
    assert page.evaluate("window.Hls.isSupported()")  # Chromium played through hls.js (Media Source Extensions)
    assert any(url.endswith("audio/index.m3u8") for url in requests)
    assert not any(re.search(r"hls_\d+/seg_", url) for url in requests)  # only audio segments came down
    assert page.evaluate("document.querySelector('video').playbackRate") == 1.5
    page.reload()
    assert page.locator('.player-mode[data-mode="audio"]').get_attribute("aria-pressed") == "true"  # remembered
    assert page.js_errors == []


def _player_page(app, lesson_id: int) -> str:
    with app.test_request_context("/"):
        from flask import render_template_string

        return render_template_string(
            '{% extends "base.html" %}{% from "media/player.html" import player %}'
            '{% block content %}{{ player(lesson=lesson) }}{% endblock %}', lesson=db.session.get(Lesson, lesson_id))


def test_upload_page_and_player_meet_the_phone_quality_bar(app, page, login, clips):
    """As tests/e2e/test_quality.py checks every main page: axe, 16 px text, 44 px targets, ≤ 150 KB."""
    with app.app_context():
        lesson_id = make("INST-T1", title="安全用电", publish=True).lessons[0].id
        db.session.commit()
    login("institution_staff", "INST-T1")
    page.goto("/media/upload")
    assert axe_violations(page) == [] and page.evaluate(SMALL_TEXT) == [] and page.evaluate(SMALL_TARGETS) == []
    assert page.evaluate(TRANSFERRED) <= MAX_BYTES

    with app.app_context():  # a ready asset without transcoding: rows are enough for the page
        lesson = db.session.get(Lesson, lesson_id)
        asset = MediaAsset(org_id=lesson.resource.provider_id, status="ready", output_key="assets/1/abc",
                           duration_s=600, has_video=True, has_audio=True, lesson_id=lesson_id)
        for kind, bitrate in (("hls_240", 300_000), ("hls_720", 1_800_000), ("audio", 55_000), ("mp4_360", 600_000)):
            asset.renditions.append(Rendition(kind=RenditionKind(kind), path=f"{kind}/index.m3u8", bitrate=bitrate,
                                              size_bytes=bitrate * 75))
        db.session.add(asset)
        db.session.flush()
        lesson.media_asset_id = asset.id
        db.session.commit()
    html = _player_page(app, lesson_id)
    page.route("**/player-test", lambda route: route.fulfill(body=html, content_type="text/html",
                                                             headers={"Content-Security-Policy": CSP}))
    page.goto("/player-test")
    assert axe_violations(page) == [] and page.evaluate(SMALL_TEXT) == [] and page.evaluate(SMALL_TARGETS) == []
    assert page.evaluate(TRANSFERRED) <= MAX_BYTES  # hls.js waits for the first play
    sizes = [page.locator(f'.player-mode[data-mode="{m}"] small').inner_text() for m in ("auto", "saver", "audio")]
    hls = int(page.locator("[data-player]").get_attribute("data-hls-bytes"))  # not on this phone yet: counted
    assert hls > 100_000
    assert sizes == [f"最多约 {human_size(1_800_000 * 75 + hls)}", f"约 {human_size(300_000 * 75 + hls)}",
                     f"约 {human_size(55_000 * 75 + hls)}"]  # bitrate × 600 s, plus hls.js


def test_the_player_asks_for_fresh_signed_urls_when_the_ones_on_the_page_stop_working(app, page, login, clips):
    """Staff preview an unpublished lesson; meanwhile its signed URLs stop working (here: the resource was
    submitted, which voids them at once, as a lapsed lifetime would). Pressing play gets 403, the player asks
    the status API for fresh URLs and plays."""
    import shutil

    from flask_login import login_user

    from media import lessons, service
    from media.models import AssetStatus
    from media.service import MediaSettings
    from tests import factories

    with app.app_context():
        resource = make("INST-T1", title="预览课", media=False)
        lesson = resource.lessons[0]
        asset = MediaAsset(org_id=resource.provider_id, title="clip.mp4", status=AssetStatus.queued)
        db.session.add(asset)
        db.session.flush()
        copy = clips["small"].parent / f"preview-{asset.id}.mp4"
        shutil.copyfile(clips["small"], copy)
        asset.source_key = f"assets/{asset.id}/source.mp4"
        asset.source_bytes = MediaSettings.of(app).storage.move_in(asset.source_key, copy)
        service.queue_transcode(db.session, asset)
        lessons.link(db.session, lesson, asset)
        lesson_id, asset_id = lesson.id, asset.id
        db.session.commit()
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    with app.test_request_context("/"):
        from flask import render_template_string

        login_user(factories.user("institution_staff", "INST-T1"))
        html = render_template_string('{% extends "base.html" %}{% from "media/player.html" import player %}'
                                      '{% block content %}{{ player(lesson=lesson) }}{% endblock %}',
                                      lesson=db.session.get(Lesson, lesson_id))
        db.session.commit()
        assert "/media/s/" in html
        resource = db.session.get(Lesson, lesson_id).resource
        catalog_service.submit(db.session, SYSTEM, resource)  # the page's signatures are void from here on
        db.session.commit()
    login("institution_staff", "INST-T1")
    statuses: dict[str, int] = {}
    page.on("response", lambda res: statuses.__setitem__(res.url, res.status))
    page.route("**/player-test", lambda route: route.fulfill(body=html, content_type="text/html",
                                                             headers={"Content-Security-Policy": CSP}))
    page.goto("/player-test")
    page.evaluate("document.querySelector('video').muted = true")
    page.get_by_role("button", name="播放").click()
    for _ in range(600):  # (wait_for_function evaluates strings, which the CSP rightly forbids)
        if page.evaluate("document.querySelector('video').currentTime") > 0.5:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('video').currentTime") > 0.5
    assert 403 in [status for url, status in statuses.items() if "/media/s/" in url]  # the stale URL refused
    assert statuses.get(f"{page.url.split('/player-test')[0]}/api/v1/media/{asset_id}") == 200  # fresh ones
    assert page.js_errors == []
