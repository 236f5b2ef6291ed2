"""The tus 1.0.0 endpoints: the protocol's headers and status codes with the test client, and the real
tuspy client against a live waitress server, interrupted and resumed by another client instance."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from app.db import utcnow
from app.extensions import db
from media import tus
from media.models import Upload
from media.service import MediaSettings
from tests.conftest import FAST_HASH, TEST_DATABASE_URL
from tests.hosts import serving
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
    odd = client.patch(url, data=b"world", headers={**TUS, "Upload-Offset": "²",  # int() refuses it: was a 500
                                                    "Content-Type": "application/offset+octet-stream"})
    assert odd.status_code == 400 and odd.get_json()["error"]["code"] == "bad_header"
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
    assert jobs.RECURRING[CLEANUP].every_s == 3600  # and the runtime runs it every hour


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


# -- a PATCH whose connection drops part-way ------------------------------------------------------------------

def _patch_head(url: str, offset: int, length: int, cookie: str) -> bytes:
    path = re.sub(r"^https?://[^/]+", "", url)
    return (f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nCookie: {cookie}\r\n"
            f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


@pytest.fixture(params=["waitress", "granian"])
def served(request, app) -> Iterator[str]:
    """The site served by waitress (which hands the app only whole bodies, spooled to a file when large) or by
    granian, `qiuxue serve --workers 2` (which streams a body to the app as it arrives)."""
    if request.param == "waitress":
        yield request.getfixturevalue("live_server")
        return
    if sys.platform == "win32":
        pytest.skip("--workers needs granian (Linux, macOS)")
    env = {**os.environ, "QIUXUE_DATA_DIR": app.config["DATA_DIR"], "QIUXUE_SECRET_KEY": app.config["SECRET_KEY"],
           "QIUXUE_DATABASE_URL": TEST_DATABASE_URL, "QIUXUE_MEDIA_WORKER": "external",
           "QIUXUE_SEARCH_INDEXER": "off", "QIUXUE_PASSWORD_HASH": FAST_HASH}
    with serving([str(Path(sys.executable).parent / "qiuxue"), "serve", "--workers", "2", "--threads", "2"],
                 env, log=Path(app.config["DATA_DIR"]).parent / "serve.log", wait_s=120) as served:
        yield served.base


def test_a_patch_cut_off_acknowledges_only_bytes_on_disk_and_resumes_byte_identical(app, served, tmp_path):
    """The attack of a bad network: a raw socket sends a PATCH's headers and part of its body, then closes.
    Whatever the server acknowledged is on disk: waitress never dispatches the cut-off request (no 204); granian
    streams it, so the app keeps the bytes that came and may answer 204 with that offset. Afterwards HEAD reports
    exactly the bytes on disk, in order, and resuming from there gives the file's exact bytes."""
    source = os.urandom(3 * 1024 * 1024 + 77)
    cookie = _session_cookie(served, app)
    tus_headers = {**TUS, "Cookie": cookie}
    created = requests.post(f"{served}/api/v1/uploads/", headers={**tus_headers,
                                                                 "Upload-Length": str(len(source))}, timeout=60)
    assert created.status_code == 201
    url = created.headers["Location"]
    url = url if url.startswith("http") else served + url
    mib = 1024 * 1024
    patch = {**tus_headers, "Content-Type": "application/offset+octet-stream"}
    first = requests.patch(url, data=source[:mib], headers={**patch, "Upload-Offset": "0"}, timeout=60)
    assert (first.status_code, first.headers["Upload-Offset"]) == (204, str(mib))

    host, port = served.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(_patch_head(url, mib, mib, cookie) + source[mib:mib + 300_000])  # 300 KB of the 1 MiB
        raw.shutdown(socket.SHUT_WR)  # ... and the connection drops
        raw.settimeout(30)
        leftover = raw.recv(65536)  # the server's answer, if any
    acknowledged = re.search(rb"(?i)upload-offset: (\d+)", leftover) if leftover.startswith(b"HTTP/1.1 204") else None

    # an empty PATCH at the offset HEAD reports waits for nothing, yet is 409 while the cut-off PATCH still
    # holds the upload (its lock) or moves the offset: its 204 means the offset is settled
    for _ in range(1200):  # a bound: an upload held forever fails the test rather than hangs it
        offset = int(requests.head(url, headers=tus_headers, timeout=60).headers["Upload-Offset"])
        settled = requests.patch(url, data=b"", headers={**patch, "Upload-Offset": str(offset)}, timeout=60)
        if settled.status_code == 204:
            break
        assert settled.status_code == 409, settled.text
        time.sleep(0.05)
    else:
        pytest.fail("the cut-off PATCH never let go of the upload")
    upload_id = url.rsplit("/", 1)[1]
    with app.app_context():
        stored = MediaSettings.of(app).storage.path(f"uploads/{upload_id}.part")
    on_disk = stored.read_bytes()
    assert offset == len(on_disk) and mib <= offset <= mib + 300_000
    assert on_disk == source[:offset]  # exactly the bytes received, in order
    if acknowledged is not None:
        assert int(acknowledged.group(1)) == offset  # what the server answered is what it kept

    rest = requests.patch(url, data=source[offset:], headers={**patch, "Upload-Offset": str(offset)}, timeout=60)
    assert (rest.status_code, rest.headers["Upload-Offset"]) == (204, str(len(source)))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(source).hexdigest()


def test_a_body_shorter_than_its_content_length_keeps_exactly_what_arrived(app, client, auth):
    """What a server that streams bodies to the app (granian) hands over when the client goes away: the stream
    ends before Content-Length. The bytes that came are kept and fsynced, the offset says so, and the upload
    resumes from there."""
    auth.as_role("institution_staff")
    source = os.urandom(200_000)
    created = _create(client, len(source))
    url = created.headers["Location"]
    cut = client.patch(url, input_stream=io.BytesIO(source[:70_000]), headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(source))})
    assert (cut.status_code, cut.headers["Upload-Offset"]) == (204, "70000")
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "70000"
    done = client.patch(url, data=source[70_000:], headers={
        **TUS, "Upload-Offset": "70000", "Content-Type": "application/offset+octet-stream"})
    assert (done.status_code, done.headers["Upload-Offset"]) == (204, str(len(source)))
    with app.app_context():
        stored = MediaSettings.of(app).storage.path(f"uploads/{url.rsplit('/', 1)[1]}.part")
    assert stored.read_bytes() == source


def test_a_part_file_lost_in_a_crash_means_starting_over_not_an_error(app, client, auth):
    auth.as_role("institution_staff")
    url = _create(client, 10).headers["Location"]
    with app.app_context():
        MediaSettings.of(app).storage.path(f"uploads/{url.rsplit('/', 1)[1]}.part").unlink()
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "0"
    again = client.patch(url, data=b"0123456789", headers={**TUS, "Upload-Offset": "0",
                                                           "Content-Type": "application/offset+octet-stream"})
    assert (again.status_code, again.headers["Upload-Offset"]) == (204, "10")


def test_a_body_spooled_to_a_file_is_copied_by_the_kernel_with_the_same_answers(app, client, auth, tmp_path):
    """waitress hands a large body to the app as its temporary file: that file is copied into the upload by
    the kernel (tus.SpooledBody). Same answers as a body read in chunks: the bytes and offset, and a body
    longer than what is left keeps the whole 1 MiB chunks that fit and is answered 413."""
    auth.as_role("institution_staff")
    mib = 1024 * 1024
    source = os.urandom(3 * mib + 5)
    url = _create(client, len(source)).headers["Location"]
    headers = {**TUS, "Content-Type": "application/offset+octet-stream", "Content-Length": str(2 * mib)}
    spool = tmp_path / "spool"
    spool.write_bytes(source[:2 * mib])
    with spool.open("rb") as body:
        assert tus.spooled_body(body, 2 * mib) == tus.SpooledBody(body.fileno(), 0, 2 * mib)
        assert tus.spooled_body(body, 2 * mib - 1) is None and tus.spooled_body(io.BytesIO(b"abc"), 3) is None
        first = client.patch(url, input_stream=body, headers={**headers, "Upload-Offset": "0"})
    assert (first.status_code, first.headers["Upload-Offset"]) == (204, str(2 * mib))
    spool.write_bytes(source[2 * mib:] + os.urandom(mib - 5))  # 2 MiB where 1 MiB + 5 bytes are left
    with spool.open("rb") as body:
        too_long = client.patch(url, input_stream=body, headers={**headers, "Upload-Offset": str(2 * mib)})
    assert too_long.status_code == 413
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == str(3 * mib)
    last = client.patch(url, data=source[3 * mib:], headers={**TUS, "Upload-Offset": str(3 * mib),
                                                            "Content-Type": "application/offset+octet-stream"})
    assert (last.status_code, last.headers["Upload-Offset"]) == (204, str(len(source)))
    with app.app_context():
        stored = MediaSettings.of(app).storage.path(f"uploads/{url.rsplit('/', 1)[1]}.part")
    assert stored.read_bytes() == source


def test_two_uploads_started_together_cannot_both_pass_the_quota(app):
    """Each of two uploads fits the quota, both together do not: they added up the usage before either inserted,
    and both were accepted. The first one's check and insert now come before the second one's sum: it waits for
    the first to commit, then is refused."""
    from app.accounts import organisations
    from app.accounts.models import User
    from tests import factories
    from tests.media.races import first_holds_second_waits

    quota = 3 * 1024 * 1024
    settings = MediaSettings.of(app)
    with app.app_context():
        staff_id = factories.user("institution_staff", "INST-T1").id
        db.session.commit()
    def start(name: str) -> None:
        actor, org = db.session.get(User, staff_id), organisations.get_by_code(db.session, "INST-T1")
        tus.create_upload(db.session, settings.local, actor, org, length=quota * 2 // 3, metadata={},
                          max_size=10**9, quota=quota, expire_hours=1)

    answers = first_holds_second_waits(app, start)
    assert answers == {"first": "created", "second": "quota_exceeded"}
