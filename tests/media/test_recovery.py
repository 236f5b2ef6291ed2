"""A worker process killed in the middle of a transcode (as by the OOM killer or a power cut): its job's
heartbeat goes stale, another worker takes the job over and finishes it, and the asset is complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from app import jobs
from app.extensions import db
from media.models import AssetStatus, MediaAsset
from tests.media.conftest import api_token, fetch, quick_worker, tus_upload


def _job_row(app, job_id: int) -> jobs.Job:
    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        db.session.expunge(job)
        return job


def test_a_job_whose_worker_was_killed_finishes_after_recovery(app, client, auth, clips):
    auth.as_role("institution_staff")
    created = client.post("/api/v1/media", json={"upload_url": tus_upload(client, clips["long"].read_bytes(),
                                                                            chunk=1024 * 1024)},
                          headers={"X-CSRFToken": api_token(client)})
    asset_id = created.get_json()["id"]
    with app.app_context():
        job_id = db.session.get(MediaAsset, asset_id).job_id
    env = {**os.environ, "QIUXUE_DATA_DIR": app.config["DATA_DIR"], "QIUXUE_SECRET_KEY": app.config["SECRET_KEY"],
           "QIUXUE_DATABASE_URL": app.config["DATABASE_URL"], "QIUXUE_MEDIA_X264_PRESET": "medium",
           "QIUXUE_MEDIA_FFMPEG_THREADS": "1", "QIUXUE_JOBS_HEARTBEAT_S": "0.2", "QIUXUE_JOBS_POLL_S": "0.1"}
    # Its own process group, so the kill takes ffmpeg down too, as a container or machine stop would.
    worker = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "media", "worker"],
                              env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            row = _job_row(app, job_id)
            if row.state == jobs.JobState.running and row.progress > 0:
                break
            time.sleep(0.05)
        row = _job_row(app, job_id)
        assert row.state == jobs.JobState.running and 0 < row.progress < 100, (row, worker.stderr)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        worker.stderr.close()
    killed = _job_row(app, job_id)
    assert (killed.state, killed.attempts) == (jobs.JobState.running, 1)  # as the dead worker left it

    rescuer = quick_worker(app, stale_after_s=1.0)
    rescuer.run_until_idle()
    rescuer.stop()
    done = _job_row(app, job_id)
    assert (done.state, done.attempts, done.progress) == (jobs.JobState.succeeded, 2, 100.0)
    body = client.get(f"/api/v1/media/{asset_id}").get_json()
    assert body["status"] == AssetStatus.ready.value
    assert fetch(client, body["master"]).status_code == 200
    with app.app_context():
        storage = app.extensions["media"].storage
        assert not list(storage.tmp.glob(f"job-{job_id}-*"))  # the dead attempt's half-made folder is gone
