"""Upload -> validate -> transcode job -> serve -> play, through the HTTP API with the real ffmpeg: what an
institution's staff member and then a worker's phone do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from catalog.models import Lesson, Resource
from media.models import AssetStatus, MediaAsset
from tests.catalog.helpers import make
from tests.media.conftest import api_token, fetch, quick_worker, tus_upload


def _lesson(app, *, publish: bool = False) -> int:
    with app.app_context():
        resource = make("INST-T1", title="电工安全", publish=publish, media=False)
        db.session.commit()
        return resource.lessons[0].id


def _create(client, upload_url: str, lesson_id: int | None = None):
    return client.post("/api/v1/media", json={"upload_url": upload_url, "lesson_id": lesson_id},
                       headers={"X-CSRFToken": api_token(client)})


def _transcoded(app, client, auth, data: bytes, *, publish: bool = False) -> tuple[dict, int]:
    auth.as_role("institution_staff")
    lesson_id = _lesson(app, publish=False)
    created = _create(client, tus_upload(client, data), lesson_id)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["status"] == "queued"
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    if publish:
        with app.app_context():
            resource = db.session.get(Lesson, lesson_id).resource
            catalog_service.submit(db.session, SYSTEM, resource)
            catalog_service.review(db.session, SYSTEM, resource, "select")
            db.session.commit()
    body = client.get(created.headers["Location"]).get_json()
    return body, lesson_id


def test_upload_transcode_and_status_then_the_lesson_has_its_duration(app, client, auth, clips):
    body, lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    assert (body["status"], body["progress"], body["error"]) == ("ready", 100.0, None)
    assert body["duration"] == pytest.approx(3.0, abs=0.1) and body["lesson_id"] == lesson_id
    kinds = {r["kind"]: r for r in body["renditions"]}
    assert set(kinds) == {"hls_240", "hls_360", "audio", "mp4_360", "poster", "thumb"}  # 360p source: no 720p
    assert kinds["hls_240"]["height"] == 240 and kinds["audio"]["bitrate"] < kinds["hls_240"]["bitrate"]
    assert body["poster"] and body["master"].endswith("/master.m3u8") and "/media/s/" in body["master"]
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_id)
        assert (lesson.duration_s, lesson.media_asset_id) == (3, body["id"])
        asset = db.session.get(MediaAsset, body["id"])
        assert asset.source_key.startswith(f"assets/{asset.id}/source.") and asset.title == "lecture.mp4"


def test_range_etag_and_caching_of_public_media(app, client, auth, clips):
    body, _lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes(), publish=True)
    urls = {r["kind"]: r["url"] for r in body["renditions"]}
    assert "/media/s/" not in urls["mp4_360"]  # published: plain public URLs
    auth.logout()  # a visitor, not logged in
    whole = fetch(client, urls["mp4_360"])
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    data = whole.data
    part = fetch(client, urls["mp4_360"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.data == data[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
    tail = fetch(client, urls["mp4_360"], headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.data == data[-500:]
    assert whole.headers["ETag"] and whole.headers["Last-Modified"]
    again = fetch(client, urls["mp4_360"], headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    assert whole.headers["Cache-Control"] == "public, max-age=3600" and whole.headers["Content-Type"] == "video/mp4"
    playlist = fetch(client, urls["hls_360"])
    assert playlist.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    segment_name = re.search(r"^seg_\d+\.ts$", playlist.get_data(as_text=True), re.MULTILINE).group(0)
    segment = fetch(client, urls["hls_360"].rsplit("/", 1)[0] + "/" + segment_name)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/mp2t"
    assert segment.headers["Cache-Control"] == "public, max-age=3600"  # never immutable: it may be unpublished
    download = fetch(client, urls["mp4_360"] + "?download=1")
    assert "attachment" in download.headers["Content-Disposition"]

    app.config["MEDIA_ACCEL"] = "nginx"  # behind nginx: the app checks access, nginx sends the bytes
    accel = fetch(client, urls["mp4_360"])
    assert accel.headers["X-Accel-Redirect"].startswith("/internal-media/assets/") and accel.data == b""
    assert accel.headers["Content-Type"] == "video/mp4" and accel.headers["Cache-Control"] == "public, max-age=3600"
    app.config["MEDIA_ACCEL"] = "sendfile"
    sendfile = fetch(client, urls["mp4_360"])
    assert Path(sendfile.headers["X-Sendfile"]).read_bytes() == data and sendfile.data == b""


def test_unpublished_media_only_through_signed_expiring_urls(app, client, auth, clips):
    body, _lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    signed = body["master"]
    public = re.sub(r"/media/s/[^/]+/", "/media/", signed)
    asset_id = body["id"]
    auth.logout()
    assert fetch(client, signed).status_code == 200  # the signature is the permission
    assert fetch(client, public).status_code == 404  # nobody without it
    assert client.get(f"/api/v1/media/{asset_id}").status_code == 404
    tampered = re.sub(r"/media/s/([^/]+)/", lambda m: f"/media/s/{m.group(1)[:-2]}xx/", signed)
    assert fetch(client, tampered).status_code == 403
    other_asset = re.sub(r"/media/s/([^/]+)/\d+/", lambda m: f"/media/s/{m.group(1)}/{asset_id + 1}/", signed)
    assert fetch(client, other_asset).status_code == 403
    app.config["MEDIA_URL_TTL_S"] = -1  # every signature is now too old
    expired = fetch(client, signed)
    assert expired.status_code == 403 and "过期" in expired.get_data(as_text=True)


def test_a_signed_url_stops_working_when_the_resource_changes_status_and_is_cached_no_longer_than_it_lives(
        app, client, auth, clips):
    """The attack: keep a signed URL (given to staff, or leaked from a page) and use it after the lesson's
    resource was unpublished. It is bound to the publication state, so it is refused at once; while it works,
    caches may keep the file only privately and only for what the signature has left."""
    from media import lessons, serving

    assert app.config["MEDIA_URL_TTL_S"] <= 15 * 60  # minutes, not hours
    body, lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes(), publish=True)
    public = body["master"]
    with app.app_context():
        asset = db.session.get(MediaAsset, body["id"])
        signature = serving.sign(app, asset.id, lessons.publication_state(db.session, asset))
    signed = public.replace("/media/", f"/media/s/{signature}/", 1)
    auth.logout()
    first = fetch(client, signed)
    assert first.status_code == 200
    cache = first.headers["Cache-Control"]
    assert cache.startswith("private, max-age=") and "immutable" not in cache and "public" not in cache
    assert int(cache.rsplit("=", 1)[1]) <= app.config["MEDIA_URL_TTL_S"]
    # the published copy a CDN or browser keeps must also lapse after unpublishing: bounded, never immutable
    kept = fetch(client, public).headers["Cache-Control"]
    assert "immutable" not in kept and int(kept.rsplit("=", 1)[1]) <= app.config["MEDIA_PUBLIC_MAX_AGE_S"] <= 3600
    with app.app_context():
        resource = db.session.get(Lesson, lesson_id).resource
        catalog_service.unpublish(db.session, SYSTEM, resource, "内容有误")
        db.session.commit()
    refused = fetch(client, signed)
    assert refused.status_code == 403 and "过期" in refused.get_data(as_text=True)
    assert fetch(client, public).status_code == 404  # and the public URL is gone for visitors


def test_the_status_api_gives_the_player_fresh_signed_urls_for_every_choice(app, client, auth, clips):
    """What the player asks for when a signed URL lapses in the middle of a long video."""
    body, _lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    assert {m["key"] for m in body["modes"]} == {"auto", "saver", "audio"}
    assert all("/media/s/" in m["url"] for m in body["modes"])
    app.config["MEDIA_URL_TTL_S"] = -1  # every earlier signature is now too old ...
    assert fetch(client, body["modes"][0]["url"]).status_code == 403
    app.config["MEDIA_URL_TTL_S"] = 60
    fresh = client.get(f"/api/v1/media/{body['id']}").get_json()  # ... the player asks again
    for mode in fresh["modes"]:
        playlist = fetch(client, mode["url"])
        assert playlist.status_code == 200 and int(playlist.headers["Cache-Control"].rsplit("=", 1)[1]) <= 60


def test_the_source_and_other_files_are_never_served(app, client, auth, clips):
    body, _lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    asset_id = body["id"]
    with app.app_context():
        asset = db.session.get(MediaAsset, asset_id)
        source_rest = asset.source_key.split("/", 2)[2]
        output_token = asset.output_key.rsplit("/", 1)[1]
    base = body["master"].split(f"/{asset_id}/")[0] + f"/{asset_id}/"
    assert fetch(client, base + source_rest).status_code == 404
    assert fetch(client, base + f"{output_token}/../{source_rest}").status_code == 404
    assert fetch(client, base + f"{output_token}/master.m3u8").status_code == 200


def test_player_shows_each_choice_with_its_data_size(app, client, auth, clips):
    body, lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes(), publish=True)
    auth.logout()
    with app.test_request_context("/"):
        from flask import render_template_string

        lesson = db.session.get(Lesson, lesson_id)
        html = render_template_string('{% from "media/player.html" import player %}{{ player(lesson=lesson) }}',
                                      lesson=lesson)
    buttons = re.findall(r'data-mode="(\w+)" data-src="([^"]+)".*?<small>(.*?)</small>', html, re.S)
    assert [b[0] for b in buttons] == ["auto", "saver", "audio"]
    sizes = {mode: text for mode, _src, text in buttons}
    assert sizes["auto"].startswith("最多约") and sizes["audio"].startswith("约")

    def kb(text):
        number, unit = re.search(r"([\d.]+) (KB|MB)", text).groups()
        return float(number) * (1024 if unit == "MB" else 1)

    assert kb(sizes["audio"]) < kb(sizes["saver"]) < kb(sizes["auto"])
    assert "hls.min." in html and "player." in html and "download" in html and "0.75×" in html
    assert buttons[2][1].endswith("audio/index.m3u8")


def test_player_is_empty_for_people_who_may_not_see_unpublished_media(app, client, auth, clips):
    _body, lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    auth.logout()
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{% from "media/player.html" import player %}{{ player(lesson=lesson) }}',
                                      lesson=db.session.get(Lesson, lesson_id))
    assert "data-player" not in html and "/media/" not in html


def test_audio_upload_gets_only_the_audio_rendition(app, client, auth, clips):
    auth.as_role("institution_staff")
    created = _create(client, tus_upload(client, clips["audio"].read_bytes(), filename="讲座.m4a"))
    assert created.status_code == 201, created.get_data(as_text=True)
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    body = client.get(created.headers["Location"]).get_json()
    assert body["status"] == "ready" and [r["kind"] for r in body["renditions"]] == ["audio"]
    assert body["poster"] is None and "audio/index.m3u8" in fetch(client, body["master"]).get_data(as_text=True)


@pytest.mark.parametrize(("case", "code"), [("text", "media_not_recognised"), ("empty", "media_empty"),
                                            ("truncated", "media_undecodable"), ("long", "media_too_long"),
                                            ("picture", "media_not_recognised")])
def test_files_that_are_not_usable_media_are_rejected_with_a_clear_message(app, client, auth, clips, case, code):
    if case == "text":
        data = "第一章 安全生产\n这是一份讲义，不是视频。\n".encode() * 50
    elif case == "empty":
        data = b""
    elif case == "truncated":
        whole = clips["hd"].read_bytes()  # faststart: the header is complete, the frames are cut off
        data = whole[:whole.index(b"mdat") + 400]
    elif case == "long":
        app.config["MEDIA_MAX_DURATION_S"] = 2
        app.extensions.pop("media", None)
        data = clips["small"].read_bytes()
    else:
        from tests.catalog.helpers import png

        data = png()
    auth.as_role("institution_staff")
    upload_url = tus_upload(client, data)
    response = _create(client, upload_url)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (400, code)
    assert re.search(r"[\u4e00-\u9fff]", error["message"])  # a sentence in Chinese for the uploader
    assert client.head(upload_url, headers={"Tus-Resumable": "1.0.0"}).status_code == 404  # bytes dropped
    with app.app_context():
        assert db.session.query(MediaAsset).count() == 0


def test_only_staff_who_may_edit_the_lesson_can_attach(app, client, auth, clips):
    with app.app_context():
        other = make("INST-T2", title="别校的课", media=False)
        db.session.commit()
        foreign_lesson = other.lessons[0].id
    auth.as_role("institution_staff")
    upload_url = tus_upload(client, clips["small"].read_bytes())
    response = _create(client, upload_url, foreign_lesson)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Resource, other.id).lessons[0].media_asset_id is None


def test_cancel_stops_the_transcode_and_retry_finishes_it(app, client, auth, clips):
    import time

    from app import jobs
    from tests.media.test_ffmpeg import ffmpeg_children

    app.config.update(MEDIA_X264_PRESET="medium", MEDIA_FFMPEG_THREADS=1)  # slow enough to catch mid-way
    app.extensions.pop("media", None)
    auth.as_role("institution_staff")
    created = _create(client, tus_upload(client, clips["long"].read_bytes(), chunk=1024 * 1024))
    asset_id = created.get_json()["id"]
    worker = quick_worker(app).start()
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/media/{asset_id}").get_json()["progress"] <= 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(f"/api/v1/media/{asset_id}").get_json()["status"] == "processing"
    cancelled = client.post(f"/api/v1/media/{asset_id}/cancel", headers={"X-CSRFToken": api_token(client)})
    assert cancelled.status_code == 200
    while client.get(f"/api/v1/media/{asset_id}").get_json()["status"] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(f"/api/v1/media/{asset_id}").get_json()["status"] == "cancelled"
    ffmpeg_alive = ffmpeg_children()
    worker.stop()
    assert ffmpeg_alive == []
    with app.app_context():
        asset = db.session.get(MediaAsset, asset_id)
        assert db.session.get(jobs.Job, asset.job_id).state == jobs.JobState.cancelled
        assert asset.output_key == "" and not list(app.extensions["media"].storage.tmp.glob("job-*"))
    app.config.update(MEDIA_X264_PRESET="veryfast", MEDIA_FFMPEG_THREADS=0)
    app.extensions.pop("media", None)
    assert client.post(f"/api/v1/media/{asset_id}/retry", headers={"X-CSRFToken": api_token(client)}).status_code \
        == 200
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    with app.app_context():
        assert db.session.get(MediaAsset, asset_id).status == AssetStatus.ready


def test_subtitles_srt_in_webvtt_out(app, client, auth, clips):
    body, _lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes())
    srt = "1\r\n00:00:00,500 --> 00:00:02,000\r\n<font color=red>注意安全</font>\r\n\r\n2\r\n00:00:02,100 --> " \
          "00:00:02,900\r\n戴好安全帽\r\n".encode("gbk")
    import io

    response = client.post(f"/api/v1/media/{body['id']}/subtitles",
                           data={"language": "zh-CN", "file": (io.BytesIO(srt), "字幕.srt")},
                           headers={"X-CSRFToken": api_token(client)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    track = response.get_json()["subtitles"][0]
    assert (track["language"], track["label"]) == ("zh-CN", "中文")
    vtt = fetch(client, track["url"])
    assert vtt.headers["Content-Type"].startswith("text/vtt")
    assert vtt.get_data(as_text=True) == ("WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n注意安全\n\n"
                                          "00:00:02.100 --> 00:00:02.900\n戴好安全帽\n")
