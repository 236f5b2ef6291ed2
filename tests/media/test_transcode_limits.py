"""What a transcode may store is bounded, whatever the source claims: the duration limit holds for what is
transcoded (a Matroska file declaring 2 s and holding 10 s passed a 4 s limit and was transcoded whole, its lesson
told 2 s), and the renditions count against the organisation's quota (a small low-bitrate source passed the upload's
check, then its ladder stored several times its size)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from app.accounts import organisations
from app.extensions import db
from catalog.models import Lesson
from media import tus
from media.models import AssetStatus, MediaAsset
from media.service import MediaSettings
from tests.catalog.helpers import make
from tests.media.conftest import api_token, make_clip, quick_worker, tus_upload


def _understated(path: Path, claimed_ms: float) -> bytes:
    """A real Matroska clip whose Segment/Info/Duration (an 8-byte float, in ms) is rewritten to `claimed_ms`."""
    data = bytearray(make_clip(path, seconds=10, size="160x120", rate=5).read_bytes())
    at = data.find(b"\x44\x89\x88")
    assert at > 0
    data[at + 3:at + 11] = struct.pack(">d", claimed_ms)
    return bytes(data)


def _run_worker(app) -> None:
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()


def test_a_file_understating_its_length_is_transcoded_up_to_the_limit_only(app, client, auth, tmp_path):
    app.config["MEDIA_MAX_DURATION_S"] = 4
    app.extensions.pop("media", None)
    data = _understated(tmp_path / "real.mkv", 2000.0)
    auth.as_role("institution_staff")
    with app.app_context():
        resource = make("INST-T1", title="电工安全", media=False)
        db.session.commit()
        lesson_id = resource.lessons[0].id
    created = client.post("/api/v1/media", json={"upload_url": tus_upload(client, data, filename="a.mkv"),
                                                 "lesson_id": lesson_id}, headers={"X-CSRFToken": api_token(client)})
    assert created.status_code == 201, created.get_data(as_text=True)  # the container's claim passes the check
    _run_worker(app)
    with app.app_context():
        asset = db.session.get(MediaAsset, created.get_json()["id"])
        assert asset.status == AssetStatus.ready, (asset.status, asset.error)
        storage = MediaSettings.of(app).storage
        played = [sum(float(x) for x in re.findall(r"#EXTINF:([\d.]+)", storage.path(
            f"{asset.output_key}/{r.path}").read_text())) for r in asset.renditions if r.path.endswith(".m3u8")]
        lesson_s = db.session.get(Lesson, lesson_id).duration_s
        asset_s = asset.duration_s
    assert played and max(played) <= 4.5, played  # 10 s before
    assert asset_s == max(played) and lesson_s == round(max(played)) == 4  # what plays, not the claimed 2 s


def test_renditions_that_do_not_fit_the_quota_fail_the_asset_and_are_not_stored(app, client, auth, tmp_path):
    data = make_clip(tmp_path / "lecture.mp4", seconds=6, size="320x240", rate=10,
                     extra=("-crf", "40", "-b:a", "16k")).read_bytes()
    app.config["ORG_STORAGE_QUOTA"] = len(data) + 20_000  # room for this upload and a little more
    app.extensions.pop("media", None)
    auth.as_role("institution_staff")
    headers = {"X-CSRFToken": api_token(client)}
    created = client.post("/api/v1/media", json={"upload_url": tus_upload(client, data)}, headers=headers)
    assert created.status_code == 201
    asset_id = created.get_json()["id"]
    _run_worker(app)
    status = client.get(f"/api/v1/media/{asset_id}").get_json()
    assert status["status"] == "failed" and status["error"]["code"] == "quota_exceeded", status
    assert "存储空间" in status["error"]["message"] and status["renditions"] == []
    with app.app_context():
        org_id = organisations.get_by_code(db.session, "INST-T1").id
        asset = db.session.get(MediaAsset, asset_id)
        assert asset.renditions == [] and not asset.output_key
        assert tus.storage_used(db.session, org_id) <= app.config["ORG_STORAGE_QUOTA"]
        assert list(MediaSettings.of(app).storage.walk("assets")) == [asset.source_key]  # the source only

    app.config["ORG_STORAGE_QUOTA"] = 0  # room made (0: no quota): the kept source transcodes on a retry
    app.extensions.pop("media", None)
    assert client.post(f"/api/v1/media/{asset_id}/retry", headers=headers).status_code == 200
    _run_worker(app)
    assert client.get(f"/api/v1/media/{asset_id}").get_json()["status"] == "ready"
