"""The durable jobs runner (app/jobs/) on its own: atomic claims, retries with backoff, permanent
failures, cancel flags reaching the handler, stale heartbeats re-queued, de-duplication and progress."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app import jobs
from app.db import utcnow
from app.extensions import db
from tests.media.conftest import quick_worker


@pytest.fixture
def kinds():
    """Register handlers for one test and forget them afterwards (HANDLERS is process-wide)."""
    added: list[str] = []

    def register(kind, run, **kw):
        jobs.register(kind, run, **kw)
        added.append(kind)

    yield register
    for kind in added:
        jobs.HANDLERS.pop(kind, None)


def _job(app, job_id) -> jobs.Job:
    with app.app_context():
        job = db.session.get(jobs.Job, job_id)
        db.session.expunge(job)
        return job


def _enqueue(app, kind, payload=None, **kw) -> int:
    with app.app_context():
        job = jobs.enqueue(db.session, kind, payload or {}, **kw)
        db.session.commit()
        return job.id


def test_a_queued_job_is_claimed_by_exactly_one_of_two_sessions(app):
    job_id = _enqueue(app, "test.noop")
    with app.app_context(), Session(db.engine) as other:
        assert jobs.claim(db.session, "w1") is not None
        assert jobs.claim(other, "w2") is None  # the UPDATE ... WHERE state='queued' matched nothing
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.worker) == (jobs.JobState.running, 1, "w1")


def test_claims_race_from_many_threads_and_each_job_runs_once(app, kinds):
    ran: list[int] = []
    lock = threading.Lock()

    def record(ctx):
        with lock:
            ran.append(ctx.payload["n"])

    kinds("test.record", record)
    for n in range(12):
        _enqueue(app, "test.record", {"n": n})
    workers = [quick_worker(app, threads=2, name=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.stop()
    assert sorted(ran) == list(range(12))


def test_failures_retry_with_exponential_backoff_then_succeed(app, kinds):
    attempts: list[tuple[int, float]] = []

    def flaky(ctx):
        attempts.append((ctx.attempt, time.monotonic()))
        if ctx.attempt < 3:
            raise RuntimeError(f"boom {ctx.attempt}")

    kinds("test.flaky", flaky)
    job_id = _enqueue(app, "test.flaky")
    worker = quick_worker(app, retry_base_s=0.2)
    worker.run_until_idle()
    worker.stop()
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.error) == (jobs.JobState.succeeded, 3, "")
    assert [a for a, _t in attempts] == [1, 2, 3]
    first_wait, second_wait = attempts[1][1] - attempts[0][1], attempts[2][1] - attempts[1][1]
    assert first_wait >= 0.2 and second_wait >= 0.4  # base, then twice the base


def test_a_job_failing_every_attempt_ends_failed_and_its_hook_runs(app, kinds):
    ended: list[tuple[str, str]] = []

    def broken(ctx):
        raise ValueError("always")

    kinds("test.broken", broken, on_end=lambda session, job: ended.append((job.state.value, job.error)))
    job_id = _enqueue(app, "test.broken")
    worker = quick_worker(app, retry_base_s=0.01)
    worker.run_until_idle()
    worker.stop()
    job = _job(app, job_id)
    assert (job.state, job.attempts) == (jobs.JobState.failed, 3)
    assert ended == [("failed", "ValueError: always")]


def test_a_permanent_error_is_not_retried(app, kinds):
    kinds("test.permanent", lambda ctx: (_ for _ in ()).throw(jobs.PermanentError("bad input")))
    job_id = _enqueue(app, "test.permanent")
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.error) == (jobs.JobState.failed, 1, "bad input")


def test_cancel_reaches_a_running_handler_and_a_queued_job_ends_at_once(app, kinds):
    started = threading.Event()

    def patient(ctx):
        started.set()
        ctx.report(42)
        assert ctx.cancel_event.wait(30), "cancel never arrived"
        ctx.check_cancelled()

    kinds("test.patient", patient)
    running_id = _enqueue(app, "test.patient")
    worker = quick_worker(app, threads=1)
    worker.start()
    assert started.wait(30)
    waiting_id = _enqueue(app, "test.patient")  # queued behind the running one (one thread)
    with app.app_context():
        for job_id in (running_id, waiting_id):
            jobs.cancel(db.session, db.session.get(jobs.Job, job_id))
        db.session.commit()
    deadline = time.monotonic() + 30
    while _job(app, running_id).state == jobs.JobState.running and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    running, waiting = _job(app, running_id), _job(app, waiting_id)
    assert running.state == jobs.JobState.cancelled and running.progress == 42
    assert waiting.state == jobs.JobState.cancelled and waiting.attempts == 0


def test_a_job_with_a_stale_heartbeat_is_queued_again_and_finishes(app, kinds):
    ran: list[int] = []
    kinds("test.after_crash", lambda ctx: ran.append(ctx.attempt))
    job_id = _enqueue(app, "test.after_crash")
    with app.app_context():  # what a worker killed mid-job leaves: running, an old heartbeat, a dead token
        assert jobs.claim(db.session, "dead-worker") is not None
        db.session.execute(update(jobs.Job).where(jobs.Job.id == job_id)
                           .values(heartbeat_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    worker = quick_worker(app, stale_after_s=60)
    worker.run_until_idle()
    worker.stop()
    job = _job(app, job_id)
    assert ran == [2] and (job.state, job.attempts) == (jobs.JobState.succeeded, 2)


def test_a_worker_that_lost_its_claim_cannot_write_the_outcome(app):
    job_id = _enqueue(app, "test.noop")
    with app.app_context():
        _id, token = jobs.claim(db.session, "slow-worker")
        db.session.execute(update(jobs.Job).where(jobs.Job.id == job_id).values(claim_token="someone-else"))
        db.session.commit()
        assert jobs.finish(db.session, job_id, token, jobs.JobState.succeeded) is False
        assert jobs.heartbeat(db.session, {job_id: (token, 50.0)}) == (set(), {job_id})
    assert _job(app, job_id).state == jobs.JobState.running


def test_progress_is_written_with_the_heartbeat_while_the_job_runs(app, kinds):
    seen = threading.Event()

    def slow(ctx):
        ctx.report(37.5)
        assert seen.wait(30)

    kinds("test.slow", slow)
    job_id = _enqueue(app, "test.slow")
    worker = quick_worker(app, heartbeat_s=0.05).start()
    deadline = time.monotonic() + 30
    while _job(app, job_id).progress != 37.5 and time.monotonic() < deadline:
        time.sleep(0.05)
    progress = _job(app, job_id).progress
    seen.set()
    worker.stop()
    assert progress == 37.5
    assert _job(app, job_id).progress == 100.0


def test_enqueue_with_a_key_returns_the_live_job_instead_of_a_second_one(app):
    with app.app_context():
        first = jobs.enqueue(db.session, "test.noop", {}, key="k1")
        again = jobs.enqueue(db.session, "test.noop", {}, key="k1")
        assert first.id == again.id
        first.state = jobs.JobState.succeeded
        later = jobs.enqueue(db.session, "test.noop", {}, key="k1")
        assert later.id != first.id


def test_an_unknown_kind_fails_without_retry(app):
    job_id = _enqueue(app, "test.nobody-handles-this")
    worker = quick_worker(app)
    worker.run_until_idle()
    worker.stop()
    job = _job(app, job_id)
    assert job.state == jobs.JobState.failed and "no handler" in job.error
