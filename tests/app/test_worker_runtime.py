"""The background runtime (app/jobs): recurring duties run, a failing one is logged and retried with backoff while
the others go on, an exclusive duty never runs in two runtimes at once, and `qiuxue worker status` and
/admin/jobs show what it is doing. Real database, real threads; every wait is on a condition with a generous
deadline (a busy machine is slow, not wrong)."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app import create_app, jobs
from app.db import utcnow
from app.extensions import db
from app.jobs import leases
from app.jobs.recurring import DutyLoop
from search import indexer
from search.backend import SearchRequest
from tests.catalog.helpers import make
from tests.waiting import wait_until

DEADLINE_S = 60.0




@pytest.fixture
def duties():
    """Register recurring duties for one test and forget them afterwards (the registry is process-wide)."""
    added: list[str] = []

    def add(name, run, **kw):
        jobs.recurring(jobs.Duty(name, run, **{"every_s": 0.05, **kw}))
        added.append(name)
        return name

    yield add
    for name in added:
        jobs.RECURRING.pop(name, None)


def _runtime(app, names, **kw) -> jobs.Worker:
    options = {"poll_s": 0.05, "heartbeat_s": 0.1, "duty_retry_s": 0.05, "retry_base_s": 0.05}
    return jobs.Worker(app, duties=names, **{**options, **kw}).start()


def _row(app, name) -> jobs.DutyRun:
    with app.app_context():
        row = db.session.get(jobs.DutyRun, name)
        assert row is not None
        db.session.expunge(row)
        return row


def test_a_recurring_duty_runs_in_its_runtime_with_its_context(app, duties):
    seen: list[jobs.DutyContext] = []
    ran = threading.Event()

    def run(ctx: jobs.DutyContext) -> None:
        seen.append(ctx)
        ran.set()

    name = duties("test.tick", run)
    runtime = _runtime(app, [name])
    try:
        assert ran.wait(DEADLINE_S)
    finally:
        runtime.stop()
    assert seen[0].name == name and seen[0].worker == runtime.name and seen[0].app is app
    row = _row(app, name)
    assert row.runs >= 1 and row.last_finished_at is not None and row.last_worker == runtime.name
    assert row.holder == "" and row.failures == 0  # the lease was given back


def test_a_failing_duty_is_logged_and_retried_with_backoff_while_the_others_go_on(app, duties, caplog):
    calls = {"bad": 0, "good": 0}

    def bad(ctx):
        calls["bad"] += 1
        raise RuntimeError("boom")

    def good(ctx):
        calls["good"] += 1

    bad_name, good_name = duties("test.bad", bad), duties("test.good", good, exclusive=False)
    caplog.set_level(logging.ERROR, logger="app.jobs")
    runtime = _runtime(app, [bad_name, good_name])
    try:
        assert wait_until(lambda: calls["bad"] >= 3 and calls["good"] >= 3)
        assert all(loop.thread.is_alive() for loop in runtime._loops)  # the failure killed no loop
    finally:
        runtime.stop()
    assert any("recurring duty test.bad failed" in r.getMessage() and r.exc_info for r in caplog.records)
    row = _row(app, bad_name)
    assert row.failures >= 3 and "RuntimeError: boom" in row.last_error and row.last_error_at is not None
    assert row.next_run_at > row.last_finished_at  # pushed back: the backoff


def test_the_backoff_doubles_with_each_failure_in_a_row_and_a_success_resets_it(app, duties):
    outcomes = [RuntimeError("first"), RuntimeError("second"), None]

    def flaky(ctx):
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    name = duties("test.flaky", flaky, every_s=3600.0)
    loop = DutyLoop(app, jobs.RECURRING[name], worker="w1", poll_s=0.05, lease_s=60, retry_base_s=2.0,
                    record_every_s=1.0, stop=threading.Event())
    assert loop.step() == 2.0
    with app.app_context():  # due again at once, for the test (the schedule said: in 2 s)
        db.session.get(jobs.DutyRun, name).next_run_at = utcnow()
        db.session.commit()
    assert loop.step() == 4.0
    with app.app_context():
        db.session.get(jobs.DutyRun, name).next_run_at = utcnow()
        db.session.commit()
    assert loop.step() == 3600.0 and loop.failures == 0
    row = _row(app, name)
    assert row.failures == 0 and "second" in row.last_error and row.runs == 3


def test_two_runtimes_on_one_database_never_run_an_exclusive_duty_at_once(app, duties):
    lock = threading.Lock()
    state = {"active": 0, "most": 0, "runs": 0, "by": set()}

    def exclusive(ctx):
        with lock:
            state["active"] += 1
            state["most"] = max(state["most"], state["active"])
        time.sleep(0.02)  # stay inside long enough for the other runtime to try
        with lock:
            state["active"] -= 1
            state["runs"] += 1
            state["by"].add(ctx.worker)

    name = duties("test.exclusive", exclusive, every_s=0.01)
    first, second = _runtime(app, [name], name="first"), _runtime(app, [name], name="second")
    try:
        assert wait_until(lambda: state["runs"] >= 20)
    finally:
        first.stop()
        second.stop()
    assert state["most"] == 1 and state["by"] <= {"first", "second"}


def test_a_lease_is_taken_by_one_session_and_taken_over_once_it_lapses(app):
    with app.app_context(), Session(db.engine) as other:
        leases.ensure(db.session, "test.lease")
        assert leases.take(db.session, "test.lease", "w1", lease_s=60)
        assert not leases.take(other, "test.lease", "w2", lease_s=60)  # held
        row = db.session.get(jobs.DutyRun, "test.lease")
        row.lease_until = utcnow() - timedelta(seconds=1)  # w1 died mid-run
        db.session.commit()
        assert leases.take(other, "test.lease", "w2", lease_s=60)
        assert not leases.record(db.session, "test.lease", "w1", started=utcnow(), next_in_s=10)  # lost it
        assert leases.record(other, "test.lease", "w2", started=utcnow(), next_in_s=10)


def test_the_search_indexer_is_a_duty_of_the_runtime_and_indexes_after_a_commit(app, db):
    assert jobs.RECURRING[indexer.DUTY].exclusive is False  # every process keeps its own searcher warm
    runtime = _runtime(app, [indexer.DUTY])
    try:
        resource = make(title="中式烹调师", publish=True)
        db.session.commit()  # wakes the duty
        search = app.extensions["search"]
        assert wait_until(lambda: {h.id for h in search.search(SearchRequest(q="烹调")).hits} == {resource.id})
    finally:
        runtime.stop()


def test_worker_status_prints_duties_and_jobs(app, runner, duties):
    def fail(ctx):
        raise ValueError("disk full")

    name = duties("test.status", fail, every_s=3600.0)
    loop = DutyLoop(app, jobs.RECURRING[name], worker="host:1:abc", poll_s=0.05, lease_s=60, retry_base_s=5.0,
                    record_every_s=1.0, stop=threading.Event())
    loop.step()
    with app.app_context():
        jobs.enqueue(db.session, "media.transcode", {"asset_id": 0})
        failed = jobs.enqueue(db.session, "media.transcode", {"asset_id": -1}, key="other")
        failed.state, failed.error, failed.finished_at = jobs.JobState.failed, "Invalid: no such file", utcnow()
        make(title="电梯安装维修工", publish=True)  # an outbox event the indexer has not drained yet
        db.session.commit()
    result = runner.invoke(args=["worker", "status"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "recurring duties:" in out and "search.index" in out and "every process" in out
    assert re.search(r"search\.index .* backlog [1-9]\d*, lag \d", out), out  # the oldest event's age
    assert "media.cleanup" in out and "one at a time" in out
    assert "test.status" in out and "by host:1:abc" in out and "failures in a row 1" in out
    assert "ValueError: disk full" in out
    assert "media.transcode" in out and "running 0, queued 1, failed (1 day) 1" in out
    assert "Invalid: no such file" in out


def test_worker_runs_queued_jobs_until_idle_and_media_worker_is_its_older_name(app, runner):
    ran: list[int] = []
    jobs.register("test.cli", lambda ctx: ran.append(ctx.job_id))
    try:
        for command in (["worker"], ["media", "worker"]):
            with app.app_context():
                job_id = jobs.enqueue(db.session, "test.cli").id
                db.session.commit()
            result = runner.invoke(args=[*command, "--exit-when-idle"])
            assert result.exit_code == 0, result.output
            assert ran[-1] == job_id and "recurring duties: none" in result.output
    finally:
        jobs.HANDLERS.pop("test.cli", None)


def test_the_admin_page_lists_duties_and_jobs_for_site_admins_only(app, client, auth):
    with app.app_context():
        failed = jobs.enqueue(db.session, "media.transcode", {"asset_id": 0})
        failed.state, failed.error, failed.finished_at = jobs.JobState.failed, "ffmpeg exited 1", utcnow()
        db.session.commit()
    auth.as_role("worker")
    assert client.get("/admin/jobs").status_code == 403
    auth.logout()
    auth.as_role("admin")
    response = client.get("/admin/jobs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "后台任务" in html and "搜索索引" in html and "清理过期上传" in html and "视频转码" in html
    assert "ffmpeg exited 1" in html and "每个进程都运行" in html
    assert 'href="/admin/jobs"' in client.get("/me").get_data(as_text=True)  # linked from the admin's page


@pytest.mark.parametrize(("settings", "runs"), [({}, True), ({"WORKER": "external"}, False),
                                                ({"MEDIA_WORKER": "external"}, False)])
def test_the_embedded_runtime_runs_every_duty_unless_it_runs_elsewhere(tmp_path, settings, runs):
    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "JOBS_POLL_S": 0.05, **settings})
    with app.app_context():
        db.create_all()
    assert app.test_client().get("/healthz").status_code == 200
    worker = app.extensions.get("worker")
    try:
        assert (worker is not None) == runs
        if worker is not None:
            assert {indexer.DUTY, "media.cleanup"} <= set(worker.duty_names)
            assert wait_until(lambda: all(loop.thread.is_alive() for loop in worker._loops) and worker._loops)
    finally:
        if worker is not None:
            worker.stop()
        with app.app_context():
            db.engine.dispose()


def test_search_indexer_off_keeps_the_indexer_out_of_the_web_process_only(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "SEARCH_INDEXER": "off"})
    with app.app_context():
        db.create_all()
    assert app.test_client().get("/healthz").status_code == 200
    worker = app.extensions["worker"]
    try:
        assert indexer.DUTY not in worker.duty_names and "media.cleanup" in worker.duty_names
        assert indexer.DUTY in jobs.Worker(app).duty_names  # `qiuxue worker` still runs it
    finally:
        worker.stop()
        with app.app_context():
            db.engine.dispose()


def test_a_runtime_without_jobs_runs_its_duties_and_leaves_the_queue_alone(app, db):
    """What the deprecated `qiuxue search worker` runs: the indexer duty only, no job threads."""
    jobs.register("test.untouched", lambda ctx: None)
    try:
        job_id = jobs.enqueue(db.session, "test.untouched").id
        db.session.commit()
        runtime = jobs.Worker(app, duties=[indexer.DUTY], jobs=False, poll_s=0.05)
        assert runtime.tick() == 0 and runtime.duty_names == [indexer.DUTY]
        runtime.start()
        try:
            resource = make(title="中式面点师", publish=True)
            db.session.commit()
            search = app.extensions["search"]
            assert wait_until(lambda: {h.id for h in search.search(SearchRequest(q="面点")).hits} == {resource.id})
        finally:
            runtime.stop()
        db.session.expire_all()
        assert db.session.get(jobs.Job, job_id).state == jobs.JobState.queued
    finally:
        jobs.HANDLERS.pop("test.untouched", None)


def test_search_worker_is_a_deprecated_alias_that_still_drains_once(app, runner):
    with app.app_context():
        make(title="茶艺师", publish=True)
        db.session.commit()
    result = runner.invoke(args=["search", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "deprecated" in result.output and "qiuxue worker" in result.output
    assert re.search(r"indexed [1-9]\d* events", result.output), result.output


def test_worker_no_jobs_needs_the_recurring_duties(runner):
    result = runner.invoke(args=["worker", "--no-jobs", "--exit-when-idle"])
    assert result.exit_code == 2 and "--no-jobs" in result.output
