"""A video lesson turned into a reading (or link) lesson lets its video go: the union reviews a text lesson, and the
video (unreviewed, not even transcoded yet) must not become public with the resource. Media plays only on a video
lesson: one kept pointing at its former video (rows from before this rule) publishes nothing."""

from __future__ import annotations

import io

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import lessons as catalog_lessons
from catalog import service as catalog_service
from catalog.models import LessonType
from media import lessons as media_lessons
from media import service as media_service
from media.models import AssetStatus, MediaAsset
from media.service import MediaSettings
from tests import factories
from tests.catalog.helpers import make


def _queued_video(db, staff, lesson) -> MediaAsset:
    """An upload still waiting for its transcode, attached while the lesson was a video lesson."""
    asset = MediaAsset(org_id=organisations.get_by_code(db.session, "INST-T1").id, title="x.mp4",
                       status=AssetStatus.queued, has_video=True, has_audio=True, duration_s=60.0)
    db.session.add(asset)
    db.session.flush()
    media_service.attach(db.session, staff, asset, lesson.id)
    return asset


def _finish_transcode(app, db, asset: MediaAsset) -> None:
    asset.status, asset.output_key = AssetStatus.ready, f"assets/{asset.id}/abcdef0123"
    MediaSettings.of(app).local.put(f"{asset.output_key}/master.m3u8", io.BytesIO(b"#EXTM3U\n"))
    db.session.commit()


def _anyone_sees(client, asset_id: int) -> int:
    """The status API, signed out."""
    return client.get(f"/api/v1/media/{asset_id}").status_code


def test_a_lesson_made_a_reading_lesson_publishes_without_its_former_video(app, db, client):
    staff = factories.user("institution_staff", "INST-T1")
    resource = make("INST-T1", title="安全生产常识", media=False, actor=staff)
    lesson = resource.lessons[0]
    asset = _queued_video(db, staff, lesson)
    catalog_lessons.update_lesson(db.session, staff, lesson, {"title": "第1课", "type": "reading",
                                                              "body": "一段无害的文字"})
    assert lesson.media_asset_id is None
    catalog_service.submit(db.session, staff, resource)
    catalog_service.review(db.session, SYSTEM, resource, "select")  # the union read a text lesson
    _finish_transcode(app, db, asset)  # the transcode ends after publication
    assert not media_lessons.is_public(db.session, db.session.get(MediaAsset, asset.id))
    assert _anyone_sees(client, asset.id) == 404


def test_media_still_pointed_at_by_a_reading_lesson_is_not_public(app, db, client):
    staff = factories.user("institution_staff", "INST-T1")
    resource = make("INST-T1", title="安全生产常识", media=False, actor=staff)
    lesson = resource.lessons[0]
    asset = _queued_video(db, staff, lesson)
    lesson.type, lesson.body_md, lesson.body_html = LessonType.reading, "文字", "<p>文字</p>"  # an older row
    db.session.flush()
    catalog_service.submit(db.session, staff, resource)
    catalog_service.review(db.session, SYSTEM, resource, "select")
    _finish_transcode(app, db, asset)
    asset = db.session.get(MediaAsset, asset.id)
    assert lesson.media_asset_id == asset.id and resource.is_published
    assert media_lessons.resource_of(db.session, asset) is None and not media_lessons.is_public(db.session, asset)
    assert _anyone_sees(client, asset.id) == 404
