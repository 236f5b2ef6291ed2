"""Attacks on the survey answers that feed the public teaching-quality ranking: a learner who enrolled a second ago
and watched nothing, an applicant never admitted, an enterprise that enrols its own worker in one batch a second
before casting its employer vote, and two staff of one enterprise voting at the same moment."""

import contextlib
import threading

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db as _db
from learning import enrolment, ratings
from programme.admissions import applications
from programme.enterprises import batch
from programme.voice import surveys
from programme.voice.models import RespondentKind, SurveyResponse
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.programme.enterprises.helpers import linked
from tests.programme.helpers import at_once, org
from tests.programme.voice.helpers import studied


def test_a_learner_who_studied_nothing_does_not_rank_the_course(db):
    """The one-tap rating waits until the course is finished; the survey about the same course, counted in the same
    public ranking, took a learner who had enrolled a second ago."""
    course = make("INST-T2", title="叉车操作", publish=True)
    found = surveys.target(db.session, "resource", course.id)
    sock = factories.user()
    enrolment.enrol(db.session, sock, course.id)  # one tap; not a second watched
    with pytest.raises(Invalid) as refused:
        ratings.rate(db.session, sock, course.id, 1)
    assert refused.value.code == "not_finished"
    with pytest.raises(Invalid) as refused:
        surveys.respond(db.session, sock, found, satisfaction=1, teaching=1)
    assert refused.value.code == "not_a_participant"
    assert surveys.teaching_quality(db.session) == [] and surveys.rateable(db.session, sock) == []
    studied(sock, course)  # once the learner has watched some of it, their voice counts
    assert [i.id for i in surveys.rateable(db.session, sock)] == [course.id]
    surveys.respond(db.session, sock, found, satisfaction=2)
    assert [(q.provider.code, q.answers) for q in surveys.teaching_quality(db.session)] == [("INST-T2", 1)]


def test_enrolling_through_the_page_and_answering_at_once_is_refused(app, client, auth):
    with app.app_context():
        rid = make("INST-T2", title="叉车操作", publish=True).id
        _db.session.commit()
    auth.as_role("worker")
    assert post_form(client, f"/learning/enrol/{rid}", {}, source=f"/catalog/r/{rid}").status_code in (302, 200)
    response = post_form(client, f"/surveys/resource/{rid}", {"satisfaction": "1", "teaching": "1"},
                         source="/me")  # the page shows no form to this learner
    assert response.status_code == 400 and "学习过这门课程" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.query(SurveyResponse).count() == 0


def test_an_applicant_never_admitted_does_not_rate_the_offering(db):
    from tests.programme.reporting.test_reports import programme_world

    world = programme_world()  # the worker's application is verified by the county, not admitted
    target = surveys.target(db.session, "offering", world["offering"].id)
    with pytest.raises(Invalid) as refused:
        surveys.respond(db.session, world["worker"], target, satisfaction=1, teaching=1)
    assert refused.value.code == "not_a_participant"
    assert surveys.rateable(db.session, world["worker"]) == []
    applications.admit(db.session, SYSTEM, world["application"], True)
    surveys.respond(db.session, world["worker"], target, satisfaction=4)
    assert surveys.summary(db.session, target).count == 1


def test_an_enterprise_cannot_qualify_its_own_employer_vote_by_enrolling_a_worker_itself(db):
    """The employer vote needs a confirmed worker who took the course; the enterprise made that enrolment itself
    with its batch enrolment a second before, nobody having studied anything."""
    course = make("INST-T2", title="叉车操作", publish=True)
    found = surveys.target(db.session, "resource", course.id)
    worker = linked(factories.user(), consent=True)  # confirmed at ENT-T1, shares his progress
    boss = factories.user("enterprise_staff", "ENT-T1")
    batch.enrol_group(db.session, boss, org("ENT-T1"), batch.target(db.session, "resource", course.id),
                      [batch.Row(1, worker.phone)])
    with pytest.raises(Invalid) as refused:
        surveys.respond(db.session, boss, found, satisfaction=1, teaching=1, as_employer=True)
    assert refused.value.code == "no_worker_attended"
    assert surveys.teaching_quality(db.session) == []
    studied(worker, course)  # the worker watches some of it: now the enterprise speaks for teaching it received
    surveys.respond(db.session, boss, found, satisfaction=1, teaching=1, as_employer=True)
    assert [q.employer_answers for q in surveys.teaching_quality(db.session)] == [1]


def test_two_staff_of_one_enterprise_answering_at_once_cast_one_employer_vote(app, monkeypatch):
    """One voice per employer was a read, then an insert: two staff answering at once both read "not answered
    yet" and both inserted. The barrier in the read pins the interleaving unpinned threads hit in most runs."""
    with app.app_context():
        course = make("INST-T2", title="叉车操作", publish=True)
        studied(linked(factories.user(), consent=True), course)
        staff_ids = [factories.user("enterprise_staff", "ENT-T1").id for _ in range(2)]
        course_id = course.id
        _db.session.commit()

    both_read = threading.Barrier(2, timeout=3)
    original = surveys._employer_answered

    def read_then_wait(*args):
        answered = original(*args)
        with contextlib.suppress(threading.BrokenBarrierError):  # serialised: the other cannot read meanwhile
            both_read.wait()  # both requests have checked before either inserts
        return answered

    monkeypatch.setattr(surveys, "_employer_answered", read_then_wait)

    def vote(i: int):
        clerk = _db.session.get(User, staff_ids[i])
        found = surveys.target(_db.session, "resource", course_id)
        return lambda: surveys.respond(_db.session, clerk, found, satisfaction=1, teaching=1, as_employer=True)

    outcomes = at_once(app, 2, vote)
    with app.app_context():
        votes = _db.session.scalars(select(SurveyResponse).where(
            SurveyResponse.target_id == course_id, SurveyResponse.respondent_kind == RespondentKind.employer)).all()
        assert len(votes) == 1 and sorted(outcomes) == ["employer_answered", "ok"], outcomes
