"""On a phone-sized Chromium: a worker enrols in one tap, plays a real (tiny, transcoded) lesson, loses the
connection while it plays, sees that progress is waiting to sync, and when the connection returns the queued
heartbeat is replayed and the server holds the lesson as complete."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from learning.models import LessonProgress
from tests.e2e.test_quality import check_page
from tests.learning.conftest import make_course
from tests.waiting import wait_in_page

pytestmark = pytest.mark.browser


def _playable_course(app, tmp_path) -> tuple[int, int]:
    from app.jobs import Worker
    from media import ffmpeg, lessons, service
    from media.models import AssetStatus, MediaAsset
    from media.service import MediaSettings
    from tests.media.conftest import make_clip

    with app.app_context():
        resource = make_course(title="离线学习", videos=("0:06",), reading=False, external=False)
        lesson = resource.lessons[0]
        clip = make_clip(tmp_path / "clip.mp4", seconds=6, size="320x180", rate=10)
        probe = ffmpeg.probe(clip)
        settings = MediaSettings.of(app)
        asset = MediaAsset(org_id=resource.provider_id, title="clip.mp4", status=AssetStatus.queued,
                           duration_s=probe.duration_s, width=probe.width, height=probe.height,
                           has_video=True, has_audio=True)
        db.session.add(asset)
        db.session.flush()
        asset.source_key = f"assets/{asset.id}/source.mp4"
        asset.source_bytes = settings.storage.move_in(asset.source_key, clip)
        service.queue_transcode(db.session, asset)
        lessons.link(db.session, lesson, asset)
        db.session.commit()
        Worker(app, periodic=False).run_until_idle()
        return resource.id, lesson.id


def test_offline_progress_is_queued_then_replayed(app, page, login, tmp_path):
    resource_id, lesson_id = _playable_course(app, tmp_path)
    login("worker")
    page.goto(f"/catalog/r/{resource_id}")
    page.get_by_role("button", name="立即学习").click()
    page.wait_for_url(re.compile(rf".*/learning/lessons/{lesson_id}.*"))
    page.goto(f"/learning/lessons/{lesson_id}")  # as opened from 我的学习: no autoplay, so hls.js waits for 播放
    check_page(page, page.url)  # the study page itself: 360 px, text and targets, axe
    page.evaluate("document.querySelector('video').muted = true")
    page.get_by_role("button", name="播放").click()
    wait_in_page(page, "(() => { const v = document.querySelector('video'); return v.currentTime > 0.3 && "
                "v.buffered.length && v.buffered.end(v.buffered.length - 1) >= v.duration - 0.3; })()")
    page.context.set_offline(True)
    wait_in_page(page, "document.querySelector('video').ended", tries=200)
    status = page.locator(".progress-status")
    wait_in_page(page, "document.querySelector('.progress-status').textContent.includes('等待同步')")
    assert "联网后会自动上传" in status.inner_text()
    with app.app_context():  # the end of the lesson has not reached the server (a 15 s beat may have, if slow)
        rows = db.session.query(LessonProgress).filter_by(lesson_id=lesson_id).all()
        assert all(row.completed_at is None for row in rows)

    page.context.set_offline(False)
    wait_in_page(page, "document.querySelector('.progress-status').textContent.includes('本课已完成')")
    with app.app_context():
        row = db.session.query(LessonProgress).filter_by(lesson_id=lesson_id).one()
        assert row.completed_at is not None and row.covered_s >= 0.9 * row.lesson.duration_s
    page.goto(f"/learning/lessons/{lesson_id}?t=3")  # 继续学习 on another device starts at the second given
    page.evaluate("document.querySelector('video').muted = true")
    page.get_by_role("button", name="播放").click()
    wait_in_page(page, "document.querySelector('video').currentTime > 0")
    assert page.evaluate("document.querySelector('video').currentTime") >= 2.9  # started there, not at 0
    page.goto("/learning")  # 我的学习 lists it as done
    assert "离线学习" in page.locator("main").inner_text() and "已完成" in page.locator("main").inner_text()
    assert page.js_errors == [] and page.outside_requests == []


def test_a_reading_lesson_completes_when_read_to_the_end(app, page, login):
    from app.accounts.policy import SYSTEM
    from learning import completion, quizzes
    from tests.learning.test_completion import QUESTIONS

    with app.app_context():
        resource = make_course(title="图文学习", videos=(), reading=True, external=False)
        completion.save_rules(db.session, SYSTEM, resource, "90", "2")  # two seconds on the page is enough here
        quizzes.save_quiz(db.session, SYSTEM, resource, {"title": "测验", "pass_mark": "50", "questions": QUESTIONS})
        db.session.commit()
        resource_id, lesson_id = resource.id, resource.lessons[0].id
    login("worker")
    page.goto(f"/catalog/r/{resource_id}")
    page.get_by_role("button", name="立即学习").click()
    page.wait_for_url(re.compile(rf".*/learning/lessons/{lesson_id}.*"))
    page.locator(".progress-end").scroll_into_view_if_needed()
    wait_in_page(page, "document.querySelector('.progress-status').textContent.includes('本课已完成')")
    with app.app_context():
        row = db.session.query(LessonProgress).filter_by(lesson_id=lesson_id).one()
        assert row.reached_end and row.completed_at is not None
    assert page.js_errors == [] and page.outside_requests == []
    for url in (f"/learning/lessons/{lesson_id}", "/learning", f"/learning/r/{resource_id}/quiz"):
        check_page(page, url)  # 360 px, text and targets, axe, no outside requests
    page.context.clear_cookies()
    login("institution_staff")
    check_page(page, f"/learning/r/{resource_id}/quiz/edit")
