"""Demo media: every video lesson the demo submits gets a ready, playable clip first (one transcode, hard-linked
per lesson), so the demo publishes nothing unplayable."""

from __future__ import annotations

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from media import demo
from media.models import AssetStatus, MediaAsset
from tests.catalog.helpers import make
from tests.media.conftest import fetch


def test_no_lessons_no_clips(app):
    with app.app_context():
        assert demo.ready_clips(db.session, []) == 0
        assert demo.load(db.session) == {"demo clips": 0}


def test_ready_clips_make_every_lesson_playable_and_publishable(app, client):
    with app.app_context():
        course = make("INST-T1", title="第一门", kind="course", lesson_count=2, media=False)
        assert len(catalog_service.unplayable_lessons(course)) == 2
        durations = [lesson.duration_s for lesson in course.lessons]
        assert demo.ready_clips(db.session, list(course.lessons), seconds=2) == 2
        assert catalog_service.unplayable_lessons(course) == []
        assert [lesson.duration_s for lesson in course.lessons] == durations  # the demo's lengths stay
        catalog_service.publish_directly(db.session, SYSTEM, course, "演示")
        db.session.commit()
        assets = [db.session.get(MediaAsset, lesson.media_asset_id) for lesson in course.lessons]
        assert [a.status for a in assets] == [AssetStatus.ready] * 2 and assets[0].output_key != assets[1].output_key
        storage = app.extensions["media"].storage
        first, second = (storage.path(f"{a.output_key}/master.m3u8") for a in assets)
        assert first.stat().st_ino == second.stat().st_ino  # one transcode, linked, not copied
        master = f"/media/{assets[1].id}/{assets[1].output_key.rsplit('/', 1)[1]}/master.m3u8"
    playlist = fetch(client, master)  # a visitor plays the published demo lesson
    assert playlist.status_code == 200 and b"#EXTM3U" in playlist.data
