"""Every host sweeps its own scratch folder. A worker killed mid-transcode (tests/deploy/test_two_hosts.py does it)
leaves its work folder on its host's disk; the hourly clean-up runs on one host at a time across all of them (it
also removes expired uploads, which are shared), so a host that rarely wins its lease kept such folders for good.
Two "hosts" here: app instances with data folders of their own on one database, each with its runtime."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app import create_app, jobs
from app.extensions import db
from media.service import CLEANUP, SCRATCH, MediaSettings

DAY_S = 86400


def _host(app, folder: Path):
    return create_app({"TESTING": True, "DATA_DIR": str(folder), "SECRET_KEY": app.config["SECRET_KEY"],
                       "DATABASE_URL": str(app.config["SQLALCHEMY_DATABASE_URI"]), "SHARED_PARTS_LISTEN": False})


def _work_folder(host, name: str, age_s: float) -> Path:
    """A work folder in the host's scratch, last written `age_s` ago, with a source copy in it."""
    folder = MediaSettings.of(host).local.tmp / name
    folder.mkdir(parents=True)
    (folder / "source.mp4").write_bytes(b"\0" * 1000)
    then = time.time() - age_s
    os.utime(folder, (then, then))
    return folder


def test_every_host_removes_the_stray_work_folders_in_its_own_scratch(app, tmp_path):
    hosts = [app, _host(app, tmp_path / "host-b")]
    stray = [_work_folder(host, "job-7-source-0a1b2c3d", 2 * DAY_S) for host in hosts]  # a killed transcode's
    running = [_work_folder(host, "job-8-0a1b2c3d", 60) for host in hosts]  # a transcode at work now
    runtimes = [jobs.Worker(host, duties=[CLEANUP, SCRATCH], jobs=False, poll_s=0.05).start() for host in hosts]
    try:
        deadline = time.monotonic() + 30
        while any(folder.exists() for folder in stray) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for runtime in runtimes:
            runtime.stop()
        for host in hosts[1:]:
            with host.app_context():
                db.engine.dispose()
    assert [folder.exists() for folder in stray] == [False, False]  # on both hosts, not only the lease holder's
    assert [folder.exists() for folder in running] == [True, True]
    assert jobs.RECURRING[SCRATCH].exclusive is False and jobs.RECURRING[CLEANUP].exclusive is True
