"""The same bytes uploaded twice are stored and transcoded once (issue 18): through tus and the media API, with
the real ffmpeg and worker. The second asset shares the first one's source, job and output folder; deleting one
of them leaves the other playable; a shared folder is reachable only under the assets that share it."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app import jobs
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from catalog.models import Lesson
from media.models import AssetStatus, MediaAsset
from media.service import TRANSCODE
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.media.conftest import api_token, fetch, quick_worker, tus_upload


def _lessons(app, count: int) -> list[int]:
    with app.app_context():
        ids = [make("INST-T1", title=f"同一段视频{n}", media=False).lessons[0].id for n in range(count)]
        db.session.commit()
        return ids


def _upload(client, data: bytes, lesson_id: int) -> dict:
    created = client.post("/api/v1/media", json={"upload_url": tus_upload(client, data), "lesson_id": lesson_id},
                          headers={"X-CSRFToken": api_token(client)})
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.get_json()


def _run_worker(app) -> None:
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()


def _publish(app, lesson_id: int) -> None:
    with app.app_context():
        resource = db.session.get(Lesson, lesson_id).resource
        catalog_service.submit(db.session, SYSTEM, resource)
        catalog_service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()


def _plays(client, asset_id: int) -> None:
    """What the phone's player does: the status gives the master playlist; fetch it, a variant and a segment."""
    body = client.get(f"/api/v1/media/{asset_id}").get_json()
    assert body["status"] == "ready", body
    master = fetch(client, body["master"])
    assert master.status_code == 200 and b"#EXTM3U" in master.data
    variant_name = next(line for line in master.data.decode().splitlines() if line.endswith(".m3u8"))
    variant_url = body["master"].rsplit("/", 1)[0] + "/" + variant_name
    variant = fetch(client, variant_url)
    assert variant.status_code == 200
    segment = next(line for line in variant.data.decode().splitlines() if line.endswith(".ts"))
    got = fetch(client, variant_url.rsplit("/", 1)[0] + "/" + segment)
    assert got.status_code == 200 and len(got.data) > 1000


def _transcode_jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(jobs.Job).where(jobs.Job.kind == TRANSCODE))


def test_the_same_bytes_uploaded_twice_make_one_transcode_job_and_both_lessons_play(app, client, auth, clips):
    auth.as_role("institution_staff")
    first_lesson, second_lesson, third_lesson = _lessons(app, 3)
    data = clips["small"].read_bytes()
    first = _upload(client, data, first_lesson)
    second = _upload(client, data, second_lesson)  # while the first still waits for its transcode
    with app.app_context():
        assert _transcode_jobs() == 1
        a, b = db.session.get(MediaAsset, first["id"]), db.session.get(MediaAsset, second["id"])
        assert a.content_hash == b.content_hash and len(a.content_hash) == 64 and a.job_id == b.job_id
        assert a.source_key == b.source_key
        storage = app.extensions["media"].storage
        assert len(list(storage.path("uploads").glob("*.part"))) == 0  # the second upload's bytes are gone
    _run_worker(app)
    third = _upload(client, data, third_lesson)  # after it is ready: ready at once, no job at all
    assert third["status"] == "ready"
    with app.app_context():
        assert _transcode_jobs() == 1
        outputs = {db.session.get(MediaAsset, body["id"]).output_key for body in (first, second, third)}
        assert len(outputs) == 1
        lessons = [db.session.get(Lesson, lesson_id) for lesson_id in (first_lesson, second_lesson, third_lesson)]
        assert {lesson.duration_s for lesson in lessons} == {3}  # each lesson takes the media's length
    for lesson_id in (first_lesson, second_lesson, third_lesson):
        _publish(app, lesson_id)
    auth.logout()
    for body in (first, second, third):
        _plays(client, body["id"])  # a visitor plays each published lesson


def test_different_bytes_are_not_shared(app, client, auth, clips):
    auth.as_role("institution_staff")
    one, two = _lessons(app, 2)
    _upload(client, clips["small"].read_bytes(), one)
    _upload(client, clips["hd"].read_bytes(), two)
    with app.app_context():
        assert _transcode_jobs() == 2


def test_deleting_one_of_two_sharing_assets_leaves_the_other_playable(app, client, auth, clips):
    auth.as_role("institution_staff")
    kept_lesson, gone_lesson = _lessons(app, 2)
    data = clips["small"].read_bytes()
    kept, gone = _upload(client, data, kept_lesson), _upload(client, data, gone_lesson)
    _run_worker(app)
    _publish(app, kept_lesson)
    token = api_token(client)
    refused = client.delete(f"/api/v1/media/{kept['id']}", headers={"X-CSRFToken": token})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "media_in_use"  # it plays
    assert client.delete(f"/api/v1/media/{gone['id']}", headers={"X-CSRFToken": token}).status_code == 204
    with app.app_context():
        assert db.session.get(MediaAsset, gone["id"]) is None
        assert db.session.get(Lesson, gone_lesson).media_asset_id is None  # that lesson needs a video again
        asset = db.session.get(MediaAsset, kept["id"])
        storage = app.extensions["media"].storage
        assert storage.path(f"{asset.output_key}/master.m3u8").is_file() and storage.path(asset.source_key).is_file()
    auth.logout()
    _plays(client, kept["id"])


def test_the_last_asset_of_the_bytes_takes_its_files_with_it(app, client, auth, clips):
    auth.as_role("institution_staff")
    one, two = _lessons(app, 2)
    data = clips["small"].read_bytes()
    first, second = _upload(client, data, one), _upload(client, data, two)
    _run_worker(app)
    with app.app_context():
        asset = db.session.get(MediaAsset, first["id"])
        storage = app.extensions["media"].storage
        folder, source = storage.path(asset.output_key), storage.path(asset.source_key)
    token = api_token(client)
    assert client.delete(f"/api/v1/media/{first['id']}", headers={"X-CSRFToken": token}).status_code == 204
    assert folder.is_dir() and source.is_file()  # still the second one's
    assert client.delete(f"/api/v1/media/{second['id']}", headers={"X-CSRFToken": token}).status_code == 204
    assert not folder.exists() and not source.exists()


def test_deleting_the_asset_whose_transcode_others_wait_for_hands_the_job_over(app, client, auth, clips):
    auth.as_role("institution_staff")
    one, two = _lessons(app, 2)
    data = clips["small"].read_bytes()
    first, second = _upload(client, data, one), _upload(client, data, two)
    assert client.delete(f"/api/v1/media/{first['id']}",
                         headers={"X-CSRFToken": api_token(client)}).status_code == 204
    _run_worker(app)
    _publish(app, two)
    auth.logout()
    _plays(client, second["id"])


def test_a_shared_folder_is_served_only_under_the_assets_that_share_it(app, client, auth, clips):
    """The attack: name another asset's output folder under an asset you may read (a published one)."""
    auth.as_role("institution_staff")
    public_lesson, private_lesson = _lessons(app, 2)
    public = _upload(client, clips["small"].read_bytes(), public_lesson)
    private = _upload(client, clips["audio"].read_bytes(), private_lesson)  # other bytes, never published
    _run_worker(app)
    _publish(app, public_lesson)
    with app.app_context():
        hidden = db.session.get(MediaAsset, private["id"]).output_key
    auth.logout()
    folder = hidden.rsplit("/", 1)[1]
    for rest in (f"{folder}/master.m3u8", f"../{private['id']}/{folder}/master.m3u8",
                 f"..%2F{private['id']}%2F{folder}%2Fmaster.m3u8"):
        assert fetch(client, f"/media/{public['id']}/{rest}").status_code == 404
    assert re.fullmatch(r"assets/\d+/[0-9a-f]+", hidden)


def test_cancelling_an_asset_that_shares_a_job_leaves_the_job_for_the_other(app, client, auth, clips):
    auth.as_role("institution_staff")
    one, two = _lessons(app, 2)
    data = clips["small"].read_bytes()
    first, second = _upload(client, data, one), _upload(client, data, two)
    response = client.post(f"/api/v1/media/{second['id']}/cancel", headers={"X-CSRFToken": api_token(client)})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    _run_worker(app)
    with app.app_context():
        assert db.session.get(MediaAsset, first["id"]).status == AssetStatus.ready
        assert db.session.get(MediaAsset, second["id"]).status == AssetStatus.cancelled
    retried = client.post(f"/api/v1/media/{second['id']}/retry", headers={"X-CSRFToken": api_token(client)})
    assert retried.status_code == 200 and retried.get_json()["status"] == "ready"  # shares it: no second transcode
    with app.app_context():
        assert _transcode_jobs() == 1


def test_deleting_an_asset_while_it_transcodes_for_nobody_else_cancels_its_job(app, client, auth, clips):
    auth.as_role("institution_staff")
    [lesson] = _lessons(app, 1)
    body = _upload(client, clips["small"].read_bytes(), lesson)
    assert client.delete(f"/api/v1/media/{body['id']}", headers={"X-CSRFToken": api_token(client)}).status_code == 204
    with app.app_context():
        [job] = db.session.scalars(select(jobs.Job).where(jobs.Job.kind == TRANSCODE)).all()
        assert job.state == jobs.JobState.cancelled
        assert not list(app.extensions["media"].storage.path("assets").rglob("source.*"))  # its bytes are gone


def test_the_asset_page_deletes_and_says_why_it_will_not(app, client, auth, clips):
    auth.as_role("institution_staff")
    kept_lesson, gone_lesson = _lessons(app, 2)
    data = clips["small"].read_bytes()
    kept, gone = _upload(client, data, kept_lesson), _upload(client, data, gone_lesson)
    _run_worker(app)
    _publish(app, kept_lesson)
    page = f"/media/assets/{kept['id']}"
    refused = post_form(client, f"{page}/delete", {}, source=page, follow_redirects=True)
    assert refused.status_code == 200 and "正在已发布的课时中播放" in refused.get_data(as_text=True)
    done = post_form(client, f"/media/assets/{gone['id']}/delete", {}, source=f"/media/assets/{gone['id']}")
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(MediaAsset, gone["id"]) is None and db.session.get(MediaAsset, kept["id"]) is not None


def test_another_organisation_s_private_copy_is_neither_shared_nor_revealed(app, client, auth, clips):
    """An upload answered "ready" at once told any uploader that another organisation privately held the same file
    (a leaked recording, say). Bytes held privately elsewhere are now transcoded anew ("queued", a job of their
    own); once the other's copy plays on a published lesson, anyone may watch it, and it is shared."""
    data = clips["small"].read_bytes()
    auth.as_role("institution_staff", "INST-T2")
    with app.app_context():
        private_lesson = make("INST-T2", title="内部录像", media=False).lessons[0].id
        db.session.commit()
    _upload(client, data, private_lesson)
    _run_worker(app)
    auth.logout()
    auth.as_role("institution_staff", "INST-T1")
    mine, later = _lessons(app, 2)
    assert _upload(client, data, mine)["status"] == "queued"
    with app.app_context():
        assert _transcode_jobs() == 2
    _publish(app, private_lesson)
    assert _upload(client, data, later)["status"] == "ready"  # public now: shared, nothing revealed
