"""Stored files in a real S3 server (SeaweedFS): the storage interface on a bucket, files that follow the
transaction, evidence only for who may see it and never by a public URL, covers through presigned URLs, and the
copy of a local data folder with every object's checksum checked. The media pipeline: tests/media/test_s3_pipeline.py.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from app import storage, stores
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import covers
from credits import recognition
from media import pending_files
from tests import factories
from tests.catalog.helpers import make, png
from tests.credits.credit_factories import pdf_bytes, request_values, worker
from tests.s3_server import get as _get
from tests.s3_server import raw_client
from tests.s3_server import status as _status

pytestmark = pytest.mark.xdist_group("s3")  # one test process, so one SeaweedFS server


def _prefix(app) -> tuple[str, str]:
    bucket, _sep, prefix = app.config["MEDIA_STORAGE"][len("s3://"):].partition("/")
    return bucket, prefix


def test_the_interface_on_a_bucket(s3_app, s3_server, tmp_path):
    store = stores.area(s3_app.config, "media")
    store.check()
    assert store.put("assets/1/a.txt", io.BytesIO(b"hello")) == 5
    folder = tmp_path / "tree"
    (folder / "hls_240").mkdir(parents=True)
    (folder / "hls_240" / "seg_00001.ts").write_bytes(b"G" * 10)
    (folder / "master.m3u8").write_text("#EXTM3U\nhls_240/index.m3u8\n")
    store.put_tree("assets/1/out", folder)
    assert not folder.exists()  # the work folder goes once it is stored
    assert sorted(store.walk("assets/1")) == ["assets/1/a.txt", "assets/1/out/hls_240/seg_00001.ts",
                                              "assets/1/out/master.m3u8"]
    assert store.exists("assets/1/out") and store.size("assets/1/out") == 10 + len("#EXTM3U\nhls_240/index.m3u8\n")
    with store.open("assets/1/a.txt") as stream:
        assert stream.read() == b"hello"
    with store.local_copy("assets/1/a.txt", tmp_path) as local:
        assert local.read_bytes() == b"hello"
    assert not list(tmp_path.glob("*.txt"))  # the copy is gone afterwards
    url = store.url("assets/1/a.txt", expires_s=60)
    assert _get(url) == b"hello"
    bucket, prefix = _prefix(s3_app)
    assert _status(f"{s3_server.endpoint}/{bucket}/{prefix}/media/assets/1/a.txt") == 403  # nothing is public
    store.delete("assets/1/out")
    assert not store.exists("assets/1/out") and store.exists("assets/1/a.txt")
    with pytest.raises(FileNotFoundError):
        store.open("assets/1/out/master.m3u8")
    with pytest.raises(storage.BadKey):
        store.put("../escape", io.BytesIO(b"x"))
    with pytest.raises(OSError):
        stores.area({**s3_app.config, "MEDIA_STORAGE": "s3://no-such-bucket-here/p"}, "media").check()


def test_a_file_of_a_rolled_back_transaction_leaves_the_bucket(s3_app):
    with s3_app.app_context():
        store = stores.area(s3_app.config, "credit_evidence")
        user = worker()
        db.session.commit()
        refused = recognition.submit(db.session, user, request_values(), pdf_bytes(), store)
        key = refused.evidence_key
        assert store.exists(key)
        db.session.rollback()
        assert not store.exists(key)  # no row points at it: it is gone
        kept = recognition.submit(db.session, user, request_values(), pdf_bytes(), store)
        db.session.commit()
        assert store.exists(kept.evidence_key)
        pending_files.drop_on_commit(db.session, store, kept.evidence_key)
        db.session.rollback()
        assert store.exists(kept.evidence_key)  # dropped only by a commit


def test_evidence_only_for_who_may_see_it_and_never_by_a_public_url(s3_app, s3_server, client, auth):
    with s3_app.app_context():
        applicant = worker()
        phone, other = applicant.phone, factories.user("worker", name="李四").phone
        item = recognition.submit(db.session, applicant, request_values(), pdf_bytes(),
                                  stores.area(s3_app.config, "credit_evidence"))
        db.session.commit()
        item_id, key = item.id, item.evidence_key
    url = f"/credits/recognition/{item_id}/evidence"
    assert client.get(url).status_code == 302 and "/auth/login" in client.get(url).headers["Location"]
    auth.login(other)
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(phone)
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")  # sent by the app, not a redirect
    assert response.headers["Cache-Control"] == "private, no-store" and "Location" not in response.headers
    bucket, prefix = _prefix(s3_app)
    assert _status(f"{s3_server.endpoint}/{bucket}/{prefix}/credit_evidence/{key}") == 403
    assert not (Path(s3_app.config["DATA_DIR"]) / "credit_evidence" / key).exists()  # nothing on the host


def test_covers_are_stored_in_the_bucket_and_served_by_presigned_urls(s3_app, client):
    with s3_app.app_context():
        resource = make("INST-T1", title="电工安全")
        covers.set_cover(db.session, SYSTEM, resource, png((1200, 900)), stores.area(s3_app.config, "covers"))
        db.session.commit()
        name = covers.file_name(resource.cover_key, covers.WIDTHS[-1])
    response = client.get(f"/catalog/covers/{name}")
    assert response.status_code == 302 and "X-Amz-Signature=" in response.headers["Location"]
    with Image.open(io.BytesIO(_get(response.headers["Location"]))) as image:
        assert image.format == "JPEG" and image.size == (960, 540)
    assert not (Path(s3_app.config["DATA_DIR"]) / "covers" / name).exists()
    assert client.get("/catalog/covers/NOT-OURS.jpg").status_code == 404


def test_migrate_storage_copies_a_data_folder_and_reports_a_corrupt_object(s3_app, s3_server, tmp_path):
    data = tmp_path / "old-site"
    files = {"media/assets/3/ab12/hls_240/seg_00001.ts": b"G" * 5000, "media/assets/3/source.mp4": b"mp4" * 100,
             "covers/abc-480.jpg": b"\xff\xd8jpeg", "claim_evidence/claims/1/ff.pdf": b"%PDF-1.4 x",
             "credit_evidence/0a1b": b"%PDF-1.4 y"}
    local_only = ["media/uploads/0123.part", "media/tmp/job-1-abcd/x.ts"]
    for name in [*files, *local_only]:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(files.get(name, b"in progress"))
    runner = s3_app.test_cli_runner()
    first = runner.invoke(args=["media", "migrate-storage", "--data-dir", str(data)])
    assert first.exit_code == 0, first.output
    assert "media: 2 copied, 0 already there, 2 verified" in first.output
    bucket, prefix = _prefix(s3_app)
    s3 = raw_client(s3_server)
    stored = {o["Key"][len(prefix) + 1:] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}
    assert stored == set(files)  # uploads in progress and work folders stay on their host
    for name, content in files.items():
        assert s3.get_object(Bucket=bucket, Key=f"{prefix}/{name}")["Body"].read() == content
    s3.put_object(Bucket=bucket, Key=f"{prefix}/covers/abc-480.jpg", Body=b"\xff\xd8JPEG")  # same size, other bytes
    again = runner.invoke(args=["media", "migrate-storage", "--data-dir", str(data)])
    assert again.exit_code == 1
    assert "checksum mismatch: covers/abc-480.jpg" in again.output
    assert "media: 0 copied, 2 already there, 2 verified" in again.output


def test_migrate_storage_needs_a_bucket(app):
    result = app.test_cli_runner().invoke(args=["media", "migrate-storage"])
    assert result.exit_code != 0 and "s3://" in result.output


def test_readiness_check_of_the_local_folder(app):
    store = stores.area(app.config, "media")
    assert isinstance(store, storage.LocalStorage)
    store.check()
    shutil.rmtree(store.root)  # a folder gone (a lost mount): not ready
    with pytest.raises(OSError):
        store.check()
