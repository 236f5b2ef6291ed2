"""Upload -> transcode -> play with MEDIA_STORAGE in a real S3 server (SeaweedFS): the source and every rendition
end in the bucket, the web host sends playlists with presigned segment URLs and redirects for the rest, so a
player fetches the video bytes from the store; nothing of it stays in the host's media folder."""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import pytest

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from catalog.models import Lesson
from media.models import MediaAsset
from tests.catalog.helpers import make
from tests.media.conftest import api_token, quick_worker, tus_upload
from tests.s3_server import get as _get
from tests.s3_server import raw_client
from tests.s3_server import status as _status

pytestmark = pytest.mark.xdist_group("s3")  # one test process, so one SeaweedFS server


def _lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_upload_transcode_and_play_through_presigned_urls(s3_app, s3_server, client, auth, clips):
    app = s3_app
    auth.as_role("institution_staff")
    with app.app_context():
        lesson_id = make("INST-T1", title="电工安全", media=False).lessons[0].id
        db.session.commit()
    created = client.post("/api/v1/media", json={"upload_url": tus_upload(client, clips["small"].read_bytes()),
                                                 "lesson_id": lesson_id}, headers={"X-CSRFToken": api_token(client)})
    assert created.status_code == 201, created.get_data(as_text=True)
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    body = client.get(created.headers["Location"]).get_json()
    assert body["status"] == "ready" and "/media/s/" in body["master"]  # unpublished: signed app URLs

    master = client.get(body["master"])
    assert master.status_code == 200 and master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    variants = _lines(master.get_data(as_text=True))
    assert variants and all(v.endswith("index.m3u8") and "://" not in v for v in variants)  # back to the app
    variant = client.get(body["master"].rsplit("/", 1)[0] + "/" + variants[0])
    assert variant.status_code == 200 and variant.headers["Cache-Control"].startswith("private, max-age=")
    segments = _lines(variant.get_data(as_text=True))
    assert segments and all("X-Amz-Signature=" in s for s in segments)  # every line a presigned URL
    first = _get(segments[0])
    assert first[:1] == b"\x47" and len(first) > 1000  # an MPEG-TS segment, from the store

    subtitles = client.post(f"/api/v1/media/{body['id']}/subtitles", content_type="multipart/form-data",
                            data={"language": "zh-CN", "file": (io.BytesIO(b"1\n00:00:00,500 --> 00:00:02,000\nA\n"),
                                                                "a.srt")}, headers={"X-CSRFToken": api_token(client)})
    assert subtitles.status_code == 201, subtitles.get_data(as_text=True)
    vtt = client.get(subtitles.get_json()["subtitles"][0]["url"])  # from this origin, for <track>
    assert vtt.status_code == 200 and vtt.headers["Content-Type"].startswith("text/vtt")
    assert vtt.get_data(as_text=True).startswith("WEBVTT")

    poster = client.get(body["poster"])
    assert poster.status_code == 302 and _get(poster.headers["Location"])[:2] == b"\xff\xd8"
    mp4 = next(r["url"] for r in body["renditions"] if r["kind"] == "mp4_360")
    download = client.get(mp4 + "?download=1")
    assert download.status_code == 302 and "attachment" in urllib.request.unquote(download.headers["Location"])

    with app.app_context():
        asset = db.session.get(MediaAsset, body["id"])
        source_key, output_key = asset.source_key, asset.output_key
        resource = db.session.get(Lesson, lesson_id).resource
        catalog_service.submit(db.session, SYSTEM, resource)
        catalog_service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()
    bucket, _sep, prefix = app.config["MEDIA_STORAGE"][len("s3://"):].partition("/")
    names = {o["Key"] for o in raw_client(s3_server).list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}
    assert f"{prefix}/media/{source_key}" in names and f"{prefix}/media/{output_key}/master.m3u8" in names
    assert _status(f"{s3_server.endpoint}/{bucket}/{prefix}/media/{source_key}") == 403  # never public
    assert client.get(f"/media/{body['id']}/{source_key.rsplit('/', 1)[1]}").status_code == 404  # nor served
    local = Path(app.config["DATA_DIR"]) / "media"
    assert not (local / "assets").exists() and not list((local / "uploads").glob("*"))  # no media on the host

    auth.logout()  # published: a visitor plays the public URLs, presigned for the public cache bound
    public = client.get(created.headers["Location"]).get_json()
    assert "/media/s/" not in public["master"]
    variant = client.get(public["master"].rsplit("/", 1)[0] + "/" + variants[0])
    assert variant.headers["Cache-Control"].startswith("public, max-age=")
    assert _get(_lines(variant.get_data(as_text=True))[-1])[:1] == b"\x47"
