"""A completion certificate names the course as it was published, never its provider's unreviewed draft.

The background re-check of a republished course (learning.course_news) reads the course's status once per batch,
then completes learners one by one, each completion issuing a certificate (credits.awards). A provider who
withdrew and renamed the course in between got its draft title printed on the certificate: on the learner's
credit page, the public verification page, the PDF and the notification. A certificate is issued now only from
the course's published row; a course withdrawn meanwhile completes nobody until it is selected again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs
from app.accounts.policy import SYSTEM
from app.errors import Conflict
from app.extensions import db
from app.notifications.models import Notification
from catalog import lessons, service
from catalog.models import Resource
from credits import awards, certificates
from credits.models import Certificate, CreditRecord
from learning import completion, course_news, enrolment
from tests import factories
from tests.learning.conftest import make_course

PUBLISHED, DRAFT = "两课", "【内部草稿】裁员安置方案培训"
EXTERNAL_2 = {"title": "外部2", "type": "external", "external_url": "https://example.org/lesson2"}


@pytest.fixture
def recheck() -> Iterator[None]:
    course_news.register()
    yield
    jobs.HANDLERS.pop(course_news.RECHECK, None)


def _course_and_learner():
    """A published course of two external lessons, a worker who confirmed the first, and the course changed and
    selected again with the second optional: the re-check job is queued to complete the worker."""
    course = make_course(PUBLISHED, videos=(), reading=False)
    service.withdraw(db.session, SYSTEM, course, "加一课")
    lessons.add_lesson(db.session, SYSTEM, course, {**EXTERNAL_2, "unit": course.units[0].id})
    service.submit(db.session, SYSTEM, course)
    service.review(db.session, SYSTEM, course, "select")
    user = factories.user("worker")
    enrolment.enrol(db.session, user, course.id)
    completion.confirm_external(db.session, user.id, course.lessons[0])
    service.withdraw(db.session, SYSTEM, course, "第二课改选修")
    lessons.update_lesson(db.session, SYSTEM, course.lessons[1], {**EXTERNAL_2, "optional": "1"})
    service.submit(db.session, SYSTEM, course)
    service.review(db.session, SYSTEM, course, "select")
    db.session.commit()
    return course, user


def _withdraw_and_rename(resource_id: int, title: str = DRAFT) -> None:
    """The provider's own request, on its own connection: withdraw the course and retitle the draft."""
    with Session(db.engine) as other:
        course = other.get(Resource, resource_id)
        service.withdraw(other, SYSTEM, course, "改版")
        service.update_resource(other, SYSTEM, course, {"title": title, "kind": "course", "summary": "一段简介",
                                                        "category": "skills-construction", "credits": "6"})
        other.commit()


class Mid:
    """Once armed, the provider's withdrawal commits after the job read the course's status, before it completes
    the first learner of the batch (the enrolment row the job waits to lock may be held by that learner's
    heartbeat)."""

    def __init__(self) -> None:
        self.armed, self.fired = False, []

    def rename_before(self, real):
        def check_resource(session, user_id, resource_id):
            if self.armed and not self.fired:
                self.fired.append(resource_id)
                _withdraw_and_rename(resource_id)
            return real(session, user_id, resource_id)
        return check_resource


@pytest.fixture
def provider_renames_mid_batch(monkeypatch) -> Mid:
    mid = Mid()
    monkeypatch.setattr(completion, "check_resource", mid.rename_before(completion.check_resource))
    return mid


def _run_jobs(app) -> None:
    worker = jobs.Worker(app, poll_s=0.05, heartbeat_s=0.1, retry_base_s=0.05, periodic=False)
    worker.run_until_idle()
    worker.stop()
    db.session.expire_all()


def _seen_by_the_learner(client, auth, user) -> str:
    auth.login(user.phone)
    pages = [client.get(path).get_data(as_text=True) for path in ("/credits/", "/credits/transcript")]
    for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)):
        token = certificates.token_for(client.application.config["SECRET_KEY"], certificate)
        pages.append(client.get(f"/verify/{token}").get_data(as_text=True))
    titles = db.session.scalars(select(Notification.title).where(Notification.user_id == user.id))
    return "\n".join([*pages, *titles])


def test_attack_the_recheck_job_prints_the_draft_title_on_the_certificate(app, db, client, auth, recheck,
                                                                          provider_renames_mid_batch):
    course, user = _course_and_learner()
    provider_renames_mid_batch.armed = True
    _run_jobs(app)
    assert provider_renames_mid_batch.fired == [course.id]
    held = db.session.scalars(select(Certificate.resource_title).where(Certificate.user_id == user.id)).all()
    sources = db.session.scalars(select(CreditRecord.source).where(CreditRecord.user_id == user.id)).all()
    assert DRAFT not in held and DRAFT not in sources
    assert 6 not in db.session.scalars(select(Certificate.credits).where(Certificate.user_id == user.id)).all()
    assert "裁员" not in _seen_by_the_learner(client, auth, user)
    # withdrawn before the learner was completed: no completion now (progress is not recorded while withdrawn) ...
    assert enrolment.enrolment_of(db.session, user.id, course.id).completed_at is None and held == []


def test_completed_once_the_course_is_selected_again_under_its_new_title(app, db, recheck,
                                                                         provider_renames_mid_batch):
    course, user = _course_and_learner()
    provider_renames_mid_batch.armed = True
    _run_jobs(app)
    course = db.session.get(Resource, course.id)
    service.submit(db.session, SYSTEM, course)
    service.review(db.session, SYSTEM, course, "select")  # ... but once reviewed and selected, as published
    db.session.commit()
    _run_jobs(app)
    [(title, credits_)] = db.session.execute(select(Certificate.resource_title, Certificate.credits)
                                             .where(Certificate.user_id == user.id)).all()
    assert (title, credits_) == (DRAFT, 6)  # the draft's title and credits, now reviewed and public
    assert db.session.scalar(select(CreditRecord.source).where(CreditRecord.user_id == user.id)) == DRAFT


def test_an_award_for_a_course_withdrawn_and_renamed_is_refused(db):
    """A completion delivered again by the credits.completions duty (or heard by credits) while the course is withdrawn
    and renamed issues no certificate with the draft title; one already issued is returned as it was."""
    course, user = _course_and_learner()
    other = factories.user("worker")
    enrolment.enrol(db.session, other, course.id)
    for lesson in course.lessons:
        completion.confirm_external(db.session, other.id, lesson)
    db.session.commit()
    _withdraw_and_rename(course.id)
    db.session.expire_all()
    with pytest.raises(Conflict, match="已下架") as refused:
        awards.award_completion(db.session, user.id, course.id)
    assert refused.value.code == "not_published"
    db.session.rollback()
    awards.award_completion(db.session, other.id, course.id)  # issued while published: kept as it was
    assert db.session.scalars(select(Certificate.resource_title)).all() == [PUBLISHED]
