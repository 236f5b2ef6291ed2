"""A data folder that cannot be written (a disk remounted read-only, a restore with the wrong owner): reading
pages still render, /healthz answers 503 with the reason, and a write is refused with 503 `read_only`.

How the folder is made read-only: tests often run as root, for whom permissions stop no write (chmod is not
enough), so as root the folder is bind-mounted read-only onto itself (needs CAP_SYS_ADMIN, as in the CI
container), or else its files are made immutable (`chattr +i`, needs CAP_LINUX_IMMUTABLE and ext4/xfs); a
non-root run takes the write permissions away. When none works here the test is skipped, saying why.
(Running the check as another user, `nobody`, does not work here: the Python of the venv lives under /root.)"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, _config, csrf_token

READING_PAGES = ("/", "/catalog/", "/catalog/all", "/catalog/r/{id}", "/search?q=电工", "/api/v1/resources",
                 "/api/v1/resources/{id}", "/programme/", "/credits/pathways", "/policy", "/auth/login")


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    if subprocess.run(["mount", "--bind", "-o", "ro", folder, folder], capture_output=True).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["umount", "-l", folder], check=True)  # lazy: files may still be open here
        return
    if subprocess.run(["chattr", "-R", "+i", folder], capture_output=True).returncode == 0:
        try:
            yield
        finally:
            subprocess.run(["chattr", "-R", "-i", folder], check=True)
        return
    pytest.skip("cannot make a folder read-only for root here (no bind mount, no chattr +i)")


def test_a_read_only_data_folder_keeps_the_site_readable_and_fails_the_health_check(app, client):
    with app.app_context():
        resource = make(title="电工基础微课", publish=True)
        db.session.commit()
        resource_id = resource.id
    assert client.get("/search?q=电工").status_code == 200  # jieba's cache is built while it can be
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the last connection closes: SQLite folds the -wal file in and removes it
    data = Path(app.config["DATA_DIR"])

    with read_only(data):
        with pytest.raises(OSError):
            (data / "probe").write_text("x")  # the folder really refuses writes
        site = create_app(_config(data))
        reader = site.test_client()
        for page in READING_PAGES:
            response = reader.get(page.format(id=resource_id))
            assert response.status_code == 200, page
        assert "电工基础微课" in reader.get(f"/catalog/r/{resource_id}").get_data(as_text=True)

        health = reader.get("/healthz")
        assert health.status_code == 503
        body = health.get_json()
        assert body["status"] == "error" and body["storage"] == "read_only"
        assert "data" in body["reason"] and "cannot be written" in body["reason"]

        if not TEST_DATABASE_URL:  # the database lives in the folder: a write is refused clearly, not a 500
            assert body["database"] == "read_only"
            token = csrf_token(reader)
            refused = reader.post("/auth/login", data={"csrf_token": token, "phone": "13800000000",
                                                       "password": "wrong"}, headers={"Accept": "application/json"})
            assert refused.status_code == 503
            assert refused.get_json()["error"]["code"] == "read_only"
        with site.app_context():
            db.session.remove()
            db.engine.dispose()


def test_healthz_is_ok_on_a_writable_folder(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "storage": "ok"}
