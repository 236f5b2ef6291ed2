"""tus uploads on any host, with MEDIA_STORAGE in a real S3 server (SeaweedFS) and the real database: "hosts" are
app instances with data folders of their own, sharing the database, the secret key and the bucket. PATCHes of one
upload alternate between them (512 KiB ones, buffered in the tail until a 5 MiB part is full, and 8 MiB ones); a
host that dies after its 204 loses nothing; the real tuspy client uploads a video whose asset is then made on
another host."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app import create_app
from app.db import utcnow
from app.extensions import db
from media import tus, tus_s3
from media.models import MediaAsset, Upload
from media.service import MediaSettings
from tests.media.conftest import api_token, make_clip
from tests.s3_server import raw_client

pytestmark = pytest.mark.xdist_group("s3")  # one test process, so one SeaweedFS server

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
PATCH = {**TUS, "Content-Type": "application/offset+octet-stream"}


def _host(app, folder: Path):
    """Another web host: its own data folder; the same database, secret and bucket."""
    return create_app({"TESTING": True, "DATA_DIR": str(folder), "SECRET_KEY": app.config["SECRET_KEY"],
                       "DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]),
                       "MEDIA_STORAGE": app.config["MEDIA_STORAGE"], "PASSWORD_HASH": app.config["PASSWORD_HASH"],
                       "SHARED_PARTS_LISTEN": False})


def _signed_in(host, client):
    """A test client of `host` carrying the session of `client` (the browser's cookie, sent to any host)."""
    other = host.test_client()
    other.set_cookie(host.config["SESSION_COOKIE_NAME"], client.get_cookie(host.config["SESSION_COOKIE_NAME"]).value)
    return other


def _stop(host) -> None:
    """The host dies: its database connections close and its data folder is gone."""
    with host.app_context():
        db.engine.dispose()
    shutil.rmtree(host.config["DATA_DIR"], ignore_errors=True)


def _files(folder: Path) -> list[Path]:
    """Files a host keeps besides its database, key and cache markers (the generation files that tell a process
    its cached page parts are stale, the learners' change tokens): none of media may be among them."""
    return [p for p in folder.rglob("*") if p.is_file() and p.name != "app.db" and p.name != "secret_key"
            and not p.name.startswith("app.db-") and p.suffix not in (".generation", ".tokens")]


def _in_progress(app, s3_server) -> list:
    bucket, _sep, prefix = app.config["MEDIA_STORAGE"][len("s3://"):].partition("/")
    return raw_client(s3_server).list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])


def _objects(app, s3_server, under: str) -> list[str]:
    bucket, _sep, prefix = app.config["MEDIA_STORAGE"][len("s3://"):].partition("/")
    found = raw_client(s3_server).list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/{under}")
    return [o["Key"] for o in found.get("Contents", [])]


def _create(client, length: int) -> str:
    created = client.post("/api/v1/uploads/", headers={**TUS, "Upload-Length": str(length)})
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.headers["Location"]


@pytest.mark.parametrize("chunk", [512 * 1024, 8 * MIB], ids=["512KiB", "8MiB"])
def test_patches_alternating_between_hosts_complete_byte_identical(s3_app, s3_server, client, auth, tmp_path,
                                                                   chunk):
    auth.as_role("institution_staff")
    first, second = _host(s3_app, tmp_path / "host-a"), _host(s3_app, tmp_path / "host-b")
    hosts = [_signed_in(first, client), _signed_in(second, client)]
    data = os.urandom(11 * MIB + 123)
    url = _create(hosts[1], len(data))
    for n, start in enumerate(range(0, len(data), chunk)):
        end = min(start + chunk, len(data))
        patched = hosts[n % 2].patch(url, data=data[start:end], headers={**PATCH, "Upload-Offset": str(start)})
        assert (patched.status_code, patched.headers["Upload-Offset"]) == (204, str(end))
        assert hosts[(n + 1) % 2].head(url, headers=TUS).headers["Upload-Offset"] == str(end)  # known everywhere
    with first.app_context():
        upload = db.session.get(Upload, url.rsplit("/", 1)[1])
        sizes = [p.size_bytes for p in upload.parts]
        assert sum(sizes) == len(data) and all(s >= tus_s3.PART_MIN for s in sizes[:-1]) and not upload.tail_key
        settings = MediaSettings.of(first)
        path = tus_s3.fetch_finished(db.session, settings.bucket, settings.local, upload)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
        db.session.rollback()
        assert not path.exists()  # the scratch copy goes with its transaction
    for host in (first, second):
        assert not _files(Path(host.config["DATA_DIR"])), "no upload bytes in a host's data folder"
        _stop(host)


def test_a_host_that_dies_after_its_204_loses_nothing_and_another_continues(s3_app, s3_server, client, auth,
                                                                            tmp_path):
    auth.as_role("institution_staff")
    doomed, survivor = _host(s3_app, tmp_path / "host-a"), _host(s3_app, tmp_path / "host-b")
    a, b = _signed_in(doomed, client), _signed_in(survivor, client)
    data = os.urandom(9 * MIB + 7)
    url = _create(a, len(data))
    assert a.patch(url, data=data[:3 * MIB], headers={**PATCH, "Upload-Offset": "0"}).status_code == 204  # tail
    assert a.patch(url, data=data[3 * MIB:4 * MIB], headers={**PATCH, "Upload-Offset": str(3 * MIB)}) \
        .headers["Upload-Offset"] == str(4 * MIB)
    _stop(doomed)  # ... and host A is gone, with whatever it had on its disk

    assert b.head(url, headers=TUS).headers["Upload-Offset"] == str(4 * MIB)
    stale = b.patch(url, data=data[3 * MIB:4 * MIB], headers={**PATCH, "Upload-Offset": str(3 * MIB)})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "offset_mismatch"
    done = b.patch(url, data=data[4 * MIB:], headers={**PATCH, "Upload-Offset": str(4 * MIB)})
    assert (done.status_code, done.headers["Upload-Offset"]) == (204, str(len(data)))
    assert _objects(s3_app, s3_server, "media/uploads/") == [], "each tail removed once replaced"
    assert len(_in_progress(s3_app, s3_server)) == 1
    with survivor.app_context():
        upload = db.session.get(Upload, url.rsplit("/", 1)[1])
        assert upload.completed_at is not None and [p.size_bytes for p in upload.parts] == [len(data)]
        settings = MediaSettings.of(survivor)
        path = tus_s3.fetch_finished(db.session, settings.bucket, settings.local, upload)
        assert path.read_bytes() == data
        db.session.rollback()
    assert _in_progress(s3_app, s3_server) == []  # joined into the object
    _stop(survivor)


def test_two_patches_at_the_same_offset_at_once_one_wins_the_other_gets_409(s3_app, s3_server, client, auth,
                                                                           tmp_path):
    auth.as_role("institution_staff")
    hosts = [_host(s3_app, tmp_path / f"host-{n}") for n in range(2)]
    data = os.urandom(6 * MIB)
    url = _create(client, 2 * len(data))
    answers: list[int] = []
    start = threading.Barrier(2)

    def patch(host) -> None:
        other = _signed_in(host, client)
        start.wait()
        answers.append(other.patch(url, data=data, headers={**PATCH, "Upload-Offset": "0"}).status_code)

    threads = [threading.Thread(target=patch, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [204, 409]
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == str(len(data))
    with s3_app.app_context():
        assert [p.number for p in db.session.get(Upload, url.rsplit("/", 1)[1]).parts] == [1]
    for host in hosts:
        _stop(host)


def test_termination_and_expiry_abort_the_multipart_upload(s3_app, s3_server, client, auth):
    auth.as_role("institution_staff")
    url = _create(client, 20 * MIB)
    client.patch(url, data=os.urandom(6 * MIB), headers={**PATCH, "Upload-Offset": "0"})  # a part
    client.patch(url, data=os.urandom(MIB), headers={**PATCH, "Upload-Offset": str(6 * MIB)})  # and a tail
    assert len(_in_progress(s3_app, s3_server)) == 1 and len(_objects(s3_app, s3_server, "media/uploads/")) == 1
    assert client.delete(url, headers=TUS).status_code == 204
    assert _in_progress(s3_app, s3_server) == [] and _objects(s3_app, s3_server, "media/uploads/") == []
    assert client.head(url, headers=TUS).status_code == 404

    stale = _create(client, 10 * MIB)
    client.patch(stale, data=os.urandom(MIB), headers={**PATCH, "Upload-Offset": "0"})
    with s3_app.app_context():
        db.session.execute(update(Upload).values(expires_at=utcnow() - timedelta(hours=1)))
        settings = MediaSettings.of(s3_app)
        assert tus.remove_expired(db.session, settings.local, settings.bucket) == 1
        db.session.commit()
    assert _in_progress(s3_app, s3_server) == [] and _objects(s3_app, s3_server, "media/uploads/") == []


@contextlib.contextmanager
def _serving(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2)  # bound here: no port to lose
    port = server.effective_port

    def serve() -> None:
        with contextlib.suppress(OSError):  # the loop may be inside select() when the sockets close
            server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        thread.join(timeout=5)


def test_tuspy_patches_alternate_hosts_and_the_asset_is_made_on_another(s3_app, s3_server, client, auth, tmp_path):
    from tusclient import client as tus_client

    video = make_clip(tmp_path / "noisy.mp4", seconds=2, extra=("-vf", "noise=alls=60:allf=t", "-qp", "0"))
    assert video.stat().st_size > 2 * tus_s3.PART_MIN  # two full parts and a last one
    auth.as_role("institution_staff")
    cookie = f"{s3_app.config['SESSION_COOKIE_NAME']}={client.get_cookie(s3_app.config['SESSION_COOKIE_NAME']).value}"
    first, second = _host(s3_app, tmp_path / "host-a"), _host(s3_app, tmp_path / "host-b")
    with _serving(first) as one, _serving(second) as two, video.open("rb") as stream:
        uploader = tus_client.TusClient(f"{one}/api/v1/uploads/", headers={"Cookie": cookie}).uploader(
            file_stream=stream, chunk_size=512 * 1024, metadata={"filename": "课.mp4"})
        uploader.set_url(uploader.create_url())  # POST to the first host
        path = uploader.url[len(one):]
        hosts = [one, two]
        while uploader.offset < uploader.get_file_size():
            uploader.url = hosts[(uploader.offset // (512 * 1024)) % 2] + path  # the next PATCH, the other host
            uploader.upload_chunk()
    last = _host(s3_app, tmp_path / "host-c")
    third = _signed_in(last, client)
    created = third.post("/api/v1/media", json={"upload_url": path}, headers={"X-CSRFToken": api_token(third)})
    assert created.status_code == 201, created.get_data(as_text=True)
    with s3_app.app_context():
        asset = db.session.get(MediaAsset, created.get_json()["id"])
        assert asset.title == "课.mp4" and asset.source_bytes == video.stat().st_size
        stored = MediaSettings.of(s3_app).storage.open(asset.source_key).read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(video.read_bytes()).hexdigest()
    assert _in_progress(s3_app, s3_server) == [] and _objects(s3_app, s3_server, "media/uploads/") == []
    for host in (first, second, last):
        assert not _files(Path(host.config["DATA_DIR"]))
        _stop(host)


def test_a_body_longer_than_what_is_left_is_refused_whole_and_an_empty_upload_is_one_empty_part(
        s3_app, s3_server, client, auth):
    auth.as_role("institution_staff")
    url = _create(client, MIB)
    assert client.patch(url, data=os.urandom(1000), headers={**PATCH, "Upload-Offset": "0"}).status_code == 204
    too_long = client.patch(url, data=os.urandom(MIB), headers={**PATCH, "Upload-Offset": "1000"})
    assert too_long.status_code == 413 and too_long.get_json()["error"]["code"] == "upload_exceeds_length"
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "1000"
    assert len(_objects(s3_app, s3_server, "media/uploads/")) == 1  # the tail of 1000 bytes, nothing more

    empty = _create(client, 0)
    with s3_app.app_context():
        upload = db.session.get(Upload, empty.rsplit("/", 1)[1])
        assert upload.completed_at is not None and upload.multipart_id
        settings = MediaSettings.of(s3_app)
        assert tus_s3.fetch_finished(db.session, settings.bucket, settings.local, upload).read_bytes() == b""
        db.session.rollback()
    assert not _files(Path(s3_app.config["DATA_DIR"]) / "media")
