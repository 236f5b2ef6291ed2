"""Demo media: clips made by ffmpeg's test sources, attached to published video lessons, queued for the worker."""

from __future__ import annotations

from app.extensions import db
from media import demo, ffmpeg
from media.models import AssetStatus, MediaAsset
from tests.catalog.helpers import make


def test_no_lessons_no_clips(app):
    with app.app_context():
        assert demo.load(db.session) == {"demo clips": 0}


def test_demo_clips_go_to_published_video_lessons_one_per_resource(app, tmp_path):
    with app.app_context():
        first = make("INST-T1", title="第一门", kind="course", publish=True, lesson_count=2)
        second = make("INST-T2", title="第二门", publish=True)
        draft = make("INST-T1", title="草稿")
        assert demo.load(db.session, seconds=2) == {"demo clips": 2}
        db.session.commit()
        assert [lesson.media_asset_id is not None for lesson in first.lessons] == [True, False]
        assert second.lessons[0].media_asset_id and draft.lessons[0].media_asset_id is None
        asset = db.session.get(MediaAsset, second.lessons[0].media_asset_id)
        assert asset.status == AssetStatus.queued and asset.org_id == second.provider_id and asset.job_id
        source = app.extensions["media"].storage.path(asset.source_key)
        found = ffmpeg.probe(source)
        assert (found.width, found.height, found.has_audio) == (1280, 720, True)
        assert found.duration_s is not None and abs(found.duration_s - 2) < 0.2
