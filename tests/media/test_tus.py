"""The tus 1.0.0 endpoints: the protocol's headers and status codes with the test client, and the real
tuspy client against a live waitress server, interrupted and resumed by another client instance."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.db import utcnow
from app.extensions import db
from media import tus
from media.models import Upload
from media.service import MediaSettings
from tests.media.conftest import tus_upload

TUS = {"Tus-Resumable": "1.0.0"}


def _create(client, length: int, **headers):
    return client.post("/api/v1/uploads/", headers={**TUS, "Upload-Length": str(length), **headers})


def test_options_advertises_version_extensions_and_max_size(client):
    response = client.options("/api/v1/uploads/")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0" and response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) == 4 * 1024**3


def test_create_head_patch_delete(client, auth):
    auth.as_role("institution_staff")
    name = base64.b64encode("第一课.mp4".encode()).decode()
    created = _create(client, 10, **{"Upload-Metadata": f"filename {name},filetype dmlkZW8vbXA0"})
    assert created.status_code == 201
    url = created.headers["Location"]
    assert re.fullmatch(r"/api/v1/uploads/[0-9a-f]{32}", url) and "Upload-Expires" in created.headers
    head = client.head(url, headers=TUS)
    assert (head.status_code, head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (200, "0", "10")
    assert head.headers["Cache-Control"] == "no-store" and name in head.headers["Upload-Metadata"]
    patch = client.patch(url, data=b"hello", headers={**TUS, "Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"})
    assert (patch.status_code, patch.headers["Upload-Offset"]) == (204, "5")
    stale = client.patch(url, data=b"world", headers={**TUS, "Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "offset_mismatch"
    wrong_type = client.patch(url, data=b"world", headers={**TUS, "Upload-Offset": "5",
                                                           "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    too_much = client.patch(url, data=b"world!", headers={**TUS, "Upload-Offset": "5",
                                                          "Content-Type": "application/offset+octet-stream"})
    assert too_much.status_code == 413
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "5"
    assert client.delete(url, headers=TUS).status_code == 204
    assert client.head(url, headers=TUS).status_code == 404


def test_requests_without_tus_resumable_or_from_another_origin_are_refused(client, auth):
    auth.as_role("institution_staff")
    missing = client.post("/api/v1/uploads/", headers={"Upload-Length": "10"})
    assert missing.status_code == 412 and missing.headers["Tus-Version"] == "1.0.0"
    foreign = _create(client, 10, Origin="https://evil.example")
    assert foreign.status_code == 403 and foreign.get_json()["error"]["code"] == "origin_not_allowed"
    assert _create(client, 10, Origin="http://localhost").status_code == 201  # our own origin


def test_login_and_the_upload_permission_are_required(client, auth):
    anonymous = _create(client, 10)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "login_required"
    auth.as_role("worker")
    assert _create(client, 10).status_code == 403


def test_someone_elses_upload_is_not_found(app, client, auth):
    auth.as_role("institution_staff")
    url = _create(client, 10).headers["Location"]
    auth.logout()
    auth.as_role("institution_staff")  # a colleague, but not the uploader
    assert client.head(url, headers=TUS).status_code == 404


def test_size_limit_and_organisation_quota(app, client, auth):
    app.config["MEDIA_MAX_UPLOAD"], app.config["ORG_STORAGE_QUOTA"] = 1000, 1500
    app.extensions.pop("media", None)
    auth.as_role("institution_staff")
    too_big = _create(client, 1001)
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "upload_too_large"
    assert _create(client, 1000).status_code == 201
    over_quota = _create(client, 600)  # 1000 pending + 600 > 1500
    assert over_quota.status_code == 413 and over_quota.get_json()["error"]["code"] == "quota_exceeded"
    assert "存储空间" in over_quota.get_json()["error"]["message"]


def test_expired_partial_uploads_are_removed_by_the_cleanup_job(app, client, auth):
    from app import jobs
    from media.service import CLEANUP

    auth.as_role("institution_staff")
    stale_url = tus_upload(client, b"x" * 10, chunk=4)  # complete, never used
    fresh_url = _create(client, 100).headers["Location"]
    stale_id, fresh_id = stale_url.rsplit("/", 1)[1], fresh_url.rsplit("/", 1)[1]
    with app.app_context():
        db.session.execute(update(Upload).where(Upload.id == stale_id)
                           .values(expires_at=utcnow() - timedelta(hours=1)))
        jobs.enqueue(db.session, CLEANUP)
        db.session.commit()
        storage = MediaSettings.of(app).storage
        assert storage.exists(f"uploads/{stale_id}.part")
    from tests.media.conftest import quick_worker

    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    with app.app_context():
        assert db.session.get(Upload, stale_id) is None and not storage.exists(f"uploads/{stale_id}.part")
        assert db.session.get(Upload, fresh_id) is not None and storage.exists(f"uploads/{fresh_id}.part")
    assert jobs.PERIODIC[CLEANUP] == 3600


def test_metadata_parsing():
    assert tus.parse_metadata("filename d29ybGQ=,empty,filetype dmlkZW8vbXA0") == \
        {"filename": "world", "empty": "", "filetype": "video/mp4"}
    with pytest.raises(tus.Invalid):
        tus.parse_metadata("filename ***")


# -- the real tuspy client against a live server ---------------------------------------------------------------

def _session_cookie(base_url: str, app) -> str:
    import requests

    from tests import factories

    with app.app_context():
        user = factories.user("institution_staff")
        phone = user.phone
        db.session.commit()
    session = requests.Session()
    page = session.get(f"{base_url}/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{base_url}/auth/login", data={"csrf_token": token, "phone": phone,
                                                            "password": factories.PASSWORD}, allow_redirects=False)
    assert response.status_code == 302
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


class KeptOpen(io.BytesIO):
    """tuspy closes the stream it fingerprints (`with self.get_file_stream()`), then reads it again: ignore
    that close (an in-memory buffer holds no file handle)."""

    def close(self):
        pass

    def __exit__(self, *exc):
        return None


def test_tuspy_upload_interrupted_and_resumed_by_another_client_is_byte_identical(app, live_server, tmp_path):
    from tusclient import client as tus_client
    from tusclient.storage.filestorage import FileStorage

    source = tmp_path / "lecture.mp4"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 123))
    cookie = _session_cookie(live_server, app)
    url_store = FileStorage(str(tmp_path / "tus-urls.json"))
    endpoint = f"{live_server}/api/v1/uploads/"

    first = tus_client.TusClient(endpoint, headers={"Cookie": cookie}).uploader(
        file_stream=KeptOpen(source.read_bytes()), chunk_size=512 * 1024, store_url=True, url_storage=url_store,
        metadata={"filename": "课.mp4"})
    first.upload_chunk()
    first.upload_chunk()  # ... and then the connection drops: this client is gone
    assert first.offset == 1024 * 1024
    url_store._db.close()

    url_store = FileStorage(str(tmp_path / "tus-urls.json"))
    second = tus_client.TusClient(endpoint, headers={"Cookie": cookie}).uploader(
        file_stream=KeptOpen(source.read_bytes()), chunk_size=1024 * 1024, store_url=True, url_storage=url_store)
    assert second.url == first.url and second.offset == 1024 * 1024  # found by fingerprint, asked the server
    second.upload()
    url_store._db.close()

    upload_id = second.url.rsplit("/", 1)[1]
    with app.app_context():
        stored = MediaSettings.of(app).storage.path(f"uploads/{upload_id}.part")
        upload = db.session.get(Upload, upload_id)
        assert upload.is_complete and upload.filename == "课.mp4" and upload.completed_at is not None
    assert hashlib.sha256(stored.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()


def test_a_patch_larger_than_the_site_wide_form_limit_is_accepted(app, client, auth):
    app.config["MAX_CONTENT_LENGTH"] = 1000  # forms stay small; uploads are limited by MEDIA_MAX_UPLOAD
    auth.as_role("institution_staff")
    url = tus_upload(client, os.urandom(5000), chunk=5000)
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "5000"
