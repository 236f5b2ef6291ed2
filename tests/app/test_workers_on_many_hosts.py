"""`qiuxue worker` on several hosts sharing one PostgreSQL job table: every job runs exactly once, a worker
killed mid-job has its job taken over by another once its heartbeat goes stale, and no job ever runs twice at
once. Real worker processes (tests/app/worker_plugin.py adds a job kind that records each run) on PostgreSQL;
skipped on SQLite, whose single writer is one host by definition."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs
from app.extensions import db
from tests.app import worker_plugin
from tests.conftest import TEST_DATABASE_URL
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (QIUXUE_TEST_DATABASE_URL)")
ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 90.0
STALE_S = 3.0


def _worker(tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    """One host's `qiuxue worker`: its own data folder, the shared database."""
    data = tmp_path / name
    data.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QIUXUE_DATABASE_URL": TEST_DATABASE_URL,
           "QIUXUE_DATA_DIR": str(data), "QIUXUE_SECRET_KEY": "test-secret", "QIUXUE_JOBS_POLL_S": "0.1",
           "QIUXUE_JOBS_HEARTBEAT_S": "0.3", "QIUXUE_JOBS_THREADS": "2", "QIUXUE_JOBS_RETRY_BASE_S": "0.2"}
    with open(tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "tests.app.worker_plugin", "worker", "--stale-after",
                                 str(STALE_S)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()




@pytest.fixture
def recorded(app):
    """The table the test job kind writes its runs to (outside our models: dropped afterwards)."""
    jobs.register(worker_plugin.KIND, worker_plugin.record)
    with app.app_context():
        worker_plugin.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        worker_plugin.metadata.drop_all(db.engine)
    jobs.HANDLERS.pop(worker_plugin.KIND, None)


def _enqueue(app, count: int, **payload) -> list[int]:
    with app.app_context():
        ids = [jobs.enqueue(db.session, worker_plugin.KIND, dict(payload)).id for _ in range(count)]
        db.session.commit()
        return ids


def _runs(app) -> list:
    with app.app_context():
        rows = db.session.execute(select(worker_plugin.runs).order_by(worker_plugin.runs.c.id)).all()
        db.session.rollback()
        return rows


def _states(app, ids: list[int]) -> dict[int, jobs.JobState]:
    with app.app_context():
        found = dict(db.session.execute(select(jobs.Job.id, jobs.Job.state).where(jobs.Job.id.in_(ids))).all())
        db.session.rollback()
        return found


def _assert_no_overlap(rows, killed_at: dict[int, float]) -> None:
    """Per job, each run ends (or its worker was killed) before the next one starts."""
    by_job: dict[int, list] = {}
    for row in rows:
        by_job.setdefault(row.job_id, []).append(row)
    for job_id, runs in by_job.items():
        runs.sort(key=lambda r: r.started)
        for before, after in zip(runs, runs[1:], strict=False):
            end = before.ended if before.ended is not None else killed_at[before.pid]
            assert end <= after.started, f"job {job_id} ran twice at once: {before} and {after}"


def test_two_workers_share_the_queue_and_run_every_job_exactly_once(recorded, tmp_path):
    ids = _enqueue(recorded, 40)
    first, second = _worker(tmp_path, "host-a"), _worker(tmp_path, "host-b")
    try:
        assert wait_until(lambda: set(_states(recorded, ids).values()) == {jobs.JobState.succeeded}, DEADLINE_S)
    finally:
        _stop(first, second)
    runs = _runs(recorded)
    assert sorted(r.job_id for r in runs) == sorted(ids)  # each once: no job claimed by both
    assert all(r.ended is not None for r in runs)
    assert {r.pid for r in runs} == {first.pid, second.pid}  # both hosts took work
    _assert_no_overlap(runs, {})


def test_a_worker_killed_mid_job_has_its_job_taken_over_by_the_other(recorded, tmp_path):
    release = tmp_path / "release"
    [blocked] = _enqueue(recorded, 1, block=str(release))
    first = _worker(tmp_path, "host-a")
    second = None
    try:
        assert wait_until(lambda: len(_runs(recorded)) == 1, DEADLINE_S)  # host A is inside the job
        second = _worker(tmp_path, "host-b")
        others = _enqueue(recorded, 6)
        first.send_signal(signal.SIGKILL)  # no goodbye: its heartbeat just stops
        first.wait(30)
        killed_at = time.time()
        release.touch()
        every = [blocked, *others]
        assert wait_until(lambda: set(_states(recorded, every).values()) == {jobs.JobState.succeeded}, DEADLINE_S)
    finally:
        _stop(first, *([second] if second else []))
    runs = _runs(recorded)
    mine = [r for r in runs if r.job_id == blocked]
    assert [(r.pid, r.attempt, r.ended is None) for r in mine] == [(first.pid, 1, True), (second.pid, 2, False)]
    assert mine[1].started >= killed_at + STALE_S / 2  # taken over once the heartbeat went stale, not before
    assert sorted(r.job_id for r in runs if r.job_id != blocked) == sorted(others)
    _assert_no_overlap(runs, {first.pid: killed_at})


def test_a_claim_skips_a_row_another_claim_holds_instead_of_waiting_for_it(recorded):
    first, second = _enqueue(recorded, 2)
    with recorded.app_context(), Session(db.engine) as holder:
        holder.scalar(select(jobs.Job.id).where(jobs.Job.id == first).with_for_update())  # a claim in progress
        started = time.monotonic()
        got = jobs.claim(db.session, "host-b")
        assert got is not None and got[0] == second  # the next row at once, no lock wait
        assert time.monotonic() - started < 5
        holder.rollback()
        assert jobs.claim(db.session, "host-b")[0] == first  # released: claimable again
