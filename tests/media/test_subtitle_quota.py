"""Subtitles count against the organisation's storage quota: the attack that stored them beyond it, two added at
once, the figure on the upload page, and the migration that gives subtitles kept before it their sizes."""

from __future__ import annotations

import io

import pytest
from flask_migrate import downgrade, upgrade

from app import create_app
from app.accounts import organisations
from app.accounts.models import User
from app.extensions import db
from media import service, tus
from media.models import MediaAsset, Subtitle
from tests import factories
from tests.conftest import TEST_DATABASE_URL, post_form
from tests.media.conftest import api_token
from tests.media.races import first_holds_second_waits

QUOTA = 60_000
TUS = {"Tus-Resumable": "1.0.0"}


def _cues(n: int) -> bytes:
    """An SRT of n cues, about 60 bytes each once stored as WebVTT."""
    return "".join(f"{i}\n00:00:{i % 60:02d},000 --> 00:00:{i % 60:02d},500\nline {i:05d} of the lecture\n\n"
                   for i in range(1, n + 1)).encode()


def _asset(app, source_bytes: int) -> int:
    """A video the organisation uploaded earlier: its source's bytes are already counted."""
    with app.app_context():
        asset = MediaAsset(org=organisations.get_by_code(db.session, factories.INSTITUTION), title="lecture.mp4",
                           source_bytes=source_bytes)
        db.session.add(asset)
        db.session.commit()
        return asset.id


def _add(client, asset_id: int, language: str, data: bytes):
    return client.post(f"/api/v1/media/{asset_id}/subtitles", content_type="multipart/form-data",
                       data={"language": language, "file": (io.BytesIO(data), "subs.srt")},
                       headers={"X-CSRFToken": api_token(client)})


def _stored_subtitles(app, asset_id: int) -> list[str]:
    with app.app_context():
        return list(service.MediaSettings.of(app).storage.walk(f"assets/{asset_id}/subs"))


@pytest.mark.app_config(ORG_STORAGE_QUOTA=QUOTA)
def test_subtitles_cannot_take_an_organisation_past_its_quota(app, client, auth):
    """Eight languages per video, each up to 2 MB (and more once stored: GBK becomes UTF-8), on as many videos as
    the quota lets be uploaded: subtitles were stored beyond it. The quota is nearly full: a subtitle that would
    pass it is refused as an upload is (413 quota_exceeded) and nothing is stored; one that fits is kept, counted
    on the upload page, and counted against the next upload."""
    auth.as_role("institution_staff")
    asset_id = _asset(app, 10_000)
    pending = client.post("/api/v1/uploads/", headers={**TUS, "Upload-Length": "40000"})  # the quota nearly full
    assert pending.status_code == 201
    first = _add(client, asset_id, "zh-CN", _cues(100))
    assert first.status_code == 201, first.get_data(as_text=True)
    with app.app_context():
        kept = db.session.get(MediaAsset, asset_id).subtitles[0]
        size = kept.size_bytes
        assert size == service.MediaSettings.of(app).storage.size(kept.path) and 5_000 < size < QUOTA - 50_000
    over = _add(client, asset_id, "en", _cues(100))  # 50,000 + two of them > 60,000
    assert over.status_code == 413 and over.get_json()["error"]["code"] == "quota_exceeded"
    assert "存储空间已用完" in over.get_json()["error"]["message"]
    by_form = post_form(client, f"/media/assets/{asset_id}/subtitles", source=f"/media/assets/{asset_id}",
                        data={"language": "en", "file": (io.BytesIO(_cues(100)), "subs.srt")},
                        content_type="multipart/form-data", follow_redirects=True)  # the asset page's form
    assert "存储空间已用完" in by_form.get_data(as_text=True)
    assert len(_stored_subtitles(app, asset_id)) == 1
    with app.app_context():
        assert [s.language for s in db.session.get(MediaAsset, asset_id).subtitles] == ["zh-CN"]
    page = client.get("/media/upload").get_data(as_text=True)
    assert f"已用存储空间 {tus.human_size(50_000 + size)}，上限 {tus.human_size(QUOTA)}" in page
    room = QUOTA - 50_000 - size
    refused = client.post("/api/v1/uploads/", headers={**TUS, "Upload-Length": str(room + 1)})
    assert refused.status_code == 413 and refused.get_json()["error"]["code"] == "quota_exceeded"
    replaced = _add(client, asset_id, "zh-CN", _cues(120))  # the old file goes with it: only the difference counts
    assert replaced.status_code == 201, replaced.get_data(as_text=True)


@pytest.mark.app_config(ORG_STORAGE_QUOTA=QUOTA)
def test_two_subtitles_added_together_cannot_both_pass_the_quota(app):
    """Each fits what is left, both together do not: the first one's check and insert come before the second
    one's sum, as for two uploads started together (media.tus.make_room)."""
    settings = service.MediaSettings.of(app)
    with app.app_context():
        staff_id = factories.user("institution_staff", factories.INSTITUTION).id
        db.session.commit()
    assets = {"first": _asset(app, 50_000), "second": _asset(app, 0)}
    def add(name: str) -> None:
        actor, asset = db.session.get(User, staff_id), db.session.get(MediaAsset, assets[name])
        service.add_subtitle(db.session, settings, actor, asset, "zh-CN", _cues(100))

    answers = first_holds_second_waits(app, add)
    assert answers == {"first": "created", "second": "quota_exceeded"}
    assert _stored_subtitles(app, assets["second"]) == []
    with app.app_context():
        db.engine.dispose()


def test_the_migration_gives_subtitles_kept_before_it_their_stored_sizes(tmp_path):
    """0030 counts subtitles stored before it by their files; a file that is gone counts nothing."""
    if TEST_DATABASE_URL:
        from tests.conftest import _reset_postgres

        _reset_postgres(TEST_DATABASE_URL)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "m"), "SECRET_KEY": "x",
                      "DATABASE_URL": TEST_DATABASE_URL, "SHARED_PARTS_LISTEN": False})
    with app.app_context():
        upgrade()
        factories.seed_orgs()
        asset = MediaAsset(org=organisations.get_by_code(db.session, factories.INSTITUTION), title="a.mp4")
        db.session.add(asset)
        db.session.flush()
        stored = "assets/1/subs/zh-cn-0000.vtt"
        service.MediaSettings.of(app).storage.put(stored, io.BytesIO(b"WEBVTT\n\n" + b"x" * 1234))
        asset.subtitles += [Subtitle(language="zh-CN", label="中文", path=stored),
                            Subtitle(language="en", label="English", path="assets/1/subs/en-gone.vtt")]
        db.session.commit()
        db.session.remove()
        downgrade(revision="0029_certificate_numbers")
        upgrade()
        sizes = {s.language: s.size_bytes for s in db.session.query(Subtitle)}
        db.session.remove()
        db.engine.dispose()
    assert sizes == {"zh-CN": 8 + 1234, "en": 0}
