"""A course withdrawn, changed and selected again may ask no more than a learner has already done (a lesson deleted
or made optional). A review found such learners stuck for ever: only a lesson newly completing or a quiz pass checked
the course, so no certificate and no credits whatever they did. Now the republication queues a background job
(learning/course_news.py) that checks the incomplete enrolments again and completes them, once each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from app import jobs
from app.accounts.policy import SYSTEM
from app.extensions import db
from app.outbox import OutboxEvent
from catalog import lessons, service
from credits.models import Certificate, CreditRecord
from learning import completion, course_news, enrolment
from tests import factories
from tests.learning.conftest import make_course

EXTERNAL_2 = {"title": "外部2", "type": "external", "external_url": "https://example.org/lesson2"}


@pytest.fixture
def recheck() -> Iterator[None]:
    """The job kind, as learning's init_app registers it (test_the_app_runs_the_recheck_job checks that it does);
    forgotten afterwards, since HANDLERS is process-wide."""
    course_news.register()
    yield
    jobs.HANDLERS.pop(course_news.RECHECK, None)


def _two_lesson_course():
    """INST-T1's course of two required external lessons, published."""
    course = make_course("两课", videos=(), reading=False)
    service.withdraw(db.session, SYSTEM, course, "加一课")
    lessons.add_lesson(db.session, SYSTEM, course, {**EXTERNAL_2, "unit": course.units[0].id})
    service.submit(db.session, SYSTEM, course)
    service.review(db.session, SYSTEM, course, "select")
    db.session.commit()
    return course


def _learner(course, done: int):
    """A worker enrolled in `course` who has confirmed its first `done` lessons (committed)."""
    user = factories.user("worker")
    enrolment.enrol(db.session, user, course.id)
    for lesson in course.lessons[:done]:
        completion.confirm_external(db.session, user.id, lesson)
    db.session.commit()
    return user


def _optional(session, institution, lesson) -> None:
    lessons.update_lesson(session, institution, lesson, {**EXTERNAL_2, "optional": "1"})


def _deleted(session, institution, lesson) -> None:
    lessons.delete_lesson(session, institution, lesson)


def _republish(course, change=None) -> None:
    """The institution withdraws the course, changes its second lesson, submits it; the union selects it again."""
    institution = factories.user("institution_staff", "INST-T1")
    service.withdraw(db.session, institution, course, "第二课调整")
    if change is not None:
        change(db.session, institution, course.lessons[1])
    service.submit(db.session, institution, course)
    service.review(db.session, factories.user("union_staff", "330100"), course, "select")
    db.session.commit()


def _run_jobs(app) -> None:
    worker = jobs.Worker(app, poll_s=0.05, heartbeat_s=0.1, retry_base_s=0.05, periodic=False)
    worker.run_until_idle()
    worker.stop()
    db.session.expire_all()


def _completed_at(user, course):
    return enrolment.enrolment_of(db.session, user.id, course.id).completed_at


def _count(model, user) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.user_id == user.id)) or 0


@pytest.mark.parametrize("change", [_optional, _deleted])
def test_a_learner_with_nothing_left_to_do_completes_once_the_course_is_republished(app, db, recheck, change):
    course = _two_lesson_course()
    finished_first = _learner(course, done=1)
    idle = _learner(course, done=0)
    assert _completed_at(finished_first, course) is None  # one lesson to go
    _republish(course, change)
    assert _completed_at(finished_first, course) is None  # not in the reviewer's request: a job is queued
    assert db.session.scalar(select(func.count()).select_from(jobs.Job).where(
        jobs.Job.kind == course_news.RECHECK, jobs.Job.state == jobs.JobState.queued))
    _run_jobs(app)
    assert _completed_at(finished_first, course) is not None
    assert _count(Certificate, finished_first) == 1 and _count(CreditRecord, finished_first) == 1
    assert _completed_at(idle, course) is None  # the first lesson is still required of them
    assert _count(Certificate, idle) == 0 and _count(CreditRecord, idle) == 0


def test_checking_again_completes_nobody_twice(app, db, recheck):
    course = _two_lesson_course()
    earlier = _learner(course, done=2)  # completed before any change
    later = _learner(course, done=1)
    _republish(course, _optional)
    _run_jobs(app)
    stamped = {user.id: _completed_at(user, course) for user in (earlier, later)}
    assert all(stamped.values())
    _republish(course)  # selected again, and the job run again
    jobs.enqueue(db.session, course_news.RECHECK, {"resource_id": course.id})  # a retry after a crash, say
    db.session.commit()
    _run_jobs(app)
    assert completion.recheck_enrolments(db.session, course.id) is None  # nobody left to check
    for user in (earlier, later):
        assert _completed_at(user, course) == stamped[user.id]
        assert _count(Certificate, user) == 1 and _count(CreditRecord, user) == 1
    announced = db.session.scalars(select(OutboxEvent.key).where(OutboxEvent.topic == "resource.completed"))
    assert sorted(announced) == sorted(str(enrolment.enrolment_of(db.session, user.id, course.id).id)
                                       for user in (earlier, later))  # each completion announced once


def test_a_course_withdrawn_again_before_the_job_runs_completes_nobody(app, db, recheck):
    course = _two_lesson_course()
    user = _learner(course, done=1)
    _republish(course, _optional)
    service.withdraw(db.session, factories.user("institution_staff", "INST-T1"), course, "又要改")
    db.session.commit()
    _run_jobs(app)
    assert _completed_at(user, course) is None and _count(Certificate, user) == 0


def test_the_app_runs_the_recheck_job(app):
    """learning's init_app registers the job kind in every process (a worker process never hears the announcement)."""
    assert course_news.RECHECK in jobs.HANDLERS
