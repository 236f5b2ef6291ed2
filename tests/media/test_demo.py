"""Demo media: every video lesson the demo publishes has a ready, playable asset (checked with ffprobe on the HLS
output and through the app's file routes), each clip is transcoded once and shared by the lessons using it, the
lessons last as long as what they play, and the listening lessons get sound only."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select

from app import jobs
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from catalog.demo_data import AUDIO_ONLY, SHORT_COURSE, SHORT_LESSON_SECONDS
from catalog.models import Lesson, LessonType, Resource, ResourceStatus
from media import demo, ffmpeg
from media.models import AssetStatus, MediaAsset
from media.service import MediaSettings
from tests.catalog.helpers import make
from tests.media.conftest import fetch


def test_no_lessons_no_clips(app):
    with app.app_context():
        assert demo.ready_clips(db.session, []) == 0
        assert demo.load(db.session) == {"demo clips": 0}


def test_ready_clips_share_one_transcode_and_lessons_take_its_length(app, client):
    with app.app_context():
        course = make("INST-T1", title="第一门", kind="course", lesson_count=2, media=False)
        assert len(catalog_service.unplayable_lessons(course)) == 2
        assert demo.ready_clips(db.session, list(course.lessons)) == 2
        assert catalog_service.unplayable_lessons(course) == []
        catalog_service.submit(db.session, SYSTEM, course, "演示")
        catalog_service.review(db.session, SYSTEM, course, "select", "演示")
        db.session.commit()
        assets = [db.session.get(MediaAsset, lesson.media_asset_id) for lesson in course.lessons]
        assert [a.status for a in assets] == [AssetStatus.ready] * 2
        assert assets[0].output_key == assets[1].output_key and assets[0].content_hash == assets[1].content_hash
        assert [lesson.duration_s for lesson in course.lessons] == [round(a.duration_s) for a in assets]
        assert db.session.scalar(select(jobs.Job).where(jobs.Job.state == jobs.JobState.queued)) is None
        token = assets[1].output_key.rsplit("/", 1)[1]
        master = f"/media/{assets[1].id}/{token}/master.m3u8"
    playlist = fetch(client, master)  # a visitor plays the published demo lesson, under its own asset id
    assert playlist.status_code == 200 and b"#EXTM3U" in playlist.data


def _ffprobe(path) -> dict:
    out = subprocess.run([ffmpeg.ffprobe_exe(), "-v", "error", "-show_entries", "stream=codec_type:format=duration",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.demo
def test_every_published_demo_video_lesson_plays(app, client):
    with app.app_context():
        storage = MediaSettings.of(app).storage  # the demo was loaded by another app (marker demo)
        lessons = db.session.scalars(select(Lesson).join(Resource).where(
            Resource.status == ResourceStatus.published, Lesson.type == LessonType.video)).all()
        assert len(lessons) > 50
        outputs: dict[str, tuple[MediaAsset, bool]] = {}
        for lesson in lessons:
            asset = db.session.get(MediaAsset, lesson.media_asset_id)
            assert asset is not None and asset.status == AssetStatus.ready and asset.lesson_id == lesson.id, lesson
            assert lesson.duration_s == round(asset.duration_s), lesson.title  # what the catalog says is what plays
            assert asset.has_video == (lesson.resource.title not in AUDIO_ONLY), lesson.resource.title
            outputs.setdefault(asset.output_key, (asset, asset.has_video))
        assert len(outputs) < 12  # a few clips, shared: not one transcode per lesson
        for key, (_asset, has_video) in outputs.items():
            found = _ffprobe(storage.path(f"{key}/master.m3u8"))
            kinds = {stream["codec_type"] for stream in found["streams"]}
            assert ("video" in kinds) == has_video and "audio" in kinds, key
            assert float(found["format"]["duration"]) > 1
        short = db.session.scalar(select(Resource).where(Resource.title == SHORT_COURSE))
        assert short.status == ResourceStatus.published and short.credits > 0
        assert [lesson.title for lesson in short.lessons] == list(SHORT_LESSON_SECONDS)
        assert sum(SHORT_LESSON_SECONDS.values()) < 5 * 60  # the real clips (make run): minutes, at 1x
        urls = [f"/media/{a.id}/{a.output_key.rsplit('/', 1)[1]}/master.m3u8" for a, _v in outputs.values()]
    for url in urls:  # and a visitor's player gets each through the app
        response = fetch(client, url)
        assert response.status_code == 200 and b"#EXTM3U" in response.data
