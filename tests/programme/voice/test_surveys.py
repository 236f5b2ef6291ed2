"""Satisfaction surveys: one answer per person per target (also when the database has to decide), scores
checked, employer answers, aggregates for everyone, full answers for reviewers only, text escaped."""

import pytest
from sqlalchemy.exc import IntegrityError

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db as _db
from catalog.models import Resource
from programme.voice import surveys
from programme.voice.models import RespondentKind, SurveyResponse
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.programme.enterprises.helpers import linked
from tests.programme.voice.helpers import studied

XSS = '<script>alert("x")</script>'


def rater(target, role="worker"):
    """A worker who studied the course (and so may rate it)."""
    return studied(factories.user(role), _db.session.get(Resource, target.id))


def test_scores_are_checked_and_every_field_reported(db):
    target = surveys.target(db.session, "resource", make(publish=True).id)
    with pytest.raises(Invalid) as err:
        surveys.respond(db.session, rater(target), target, satisfaction="6", teaching="0", comment="x" * 501)
    assert set(err.value.fields) == {"satisfaction", "teaching", "comment"}
    with pytest.raises(Invalid):
        surveys.respond(db.session, rater(target), target, satisfaction="")
    with pytest.raises(Invalid) as err:  # never took it
        surveys.respond(db.session, factories.user(), target, satisfaction="5")
    assert err.value.code == "not_a_participant"
    assert db.session.query(SurveyResponse).count() == 0


def test_only_published_resources_can_be_rated(db):
    with pytest.raises(NotFound):
        surveys.target(db.session, "resource", make().id)  # a draft
    with pytest.raises(NotFound):
        surveys.target(db.session, "nonsense", 1)


def test_one_answer_per_person_per_target_and_the_database_enforces_it(db):
    resource = make(publish=True)
    target = surveys.target(db.session, "resource", resource.id)
    first = rater(target)
    surveys.respond(db.session, first, target, satisfaction=5, teaching=4, comment="很实用")
    with pytest.raises(Conflict):
        surveys.respond(db.session, first, target, satisfaction=1)
    surveys.respond(db.session, rater(target), target, satisfaction=3)  # someone else may
    db.session.add(SurveyResponse(respondent_id=first.id, respondent_kind=RespondentKind.worker,
                                  target_kind=target.kind, target_id=resource.id,
                                  provider_id=resource.provider_id, satisfaction=2))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_summary_and_teaching_quality_per_provider(db):
    ours = surveys.target(db.session, "resource", make(publish=True).id)
    theirs = surveys.target(db.session, "resource", make("INST-T2", publish=True).id)
    for score, teaching in ((5, 5), (4, None), (3, 4)):
        surveys.respond(db.session, rater(ours), ours, satisfaction=score, teaching=teaching)
    boss = factories.user("enterprise_staff")  # employers rate without taking the course themselves ...
    with pytest.raises(Invalid) as err:  # ... but only what one of their confirmed workers took
        surveys.respond(db.session, boss, theirs, satisfaction=2, teaching=2, as_employer=True)
    assert err.value.code == "no_worker_attended"
    enterprise_worker = linked(factories.user(), consent=True)  # shares his progress with it
    enterprise_worker_elsewhere = linked(factories.user(), confirm=False)  # not confirmed: does not count
    studied(enterprise_worker_elsewhere, _db.session.get(Resource, theirs.id))
    with pytest.raises(Invalid):
        surveys.respond(db.session, boss, theirs, satisfaction=2, teaching=2, as_employer=True)
    studied(enterprise_worker, _db.session.get(Resource, theirs.id))
    surveys.respond(db.session, boss, theirs, satisfaction=2, teaching=2, as_employer=True)
    with pytest.raises(Invalid):
        surveys.respond(db.session, rater(theirs), theirs, satisfaction=2, as_employer=True)
    summary = surveys.summary(db.session, ours)
    assert (summary.count, summary.satisfaction, summary.teaching) == (3, 4.0, 4.5)
    assert summary.distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    quality = surveys.teaching_quality(db.session)
    assert [(q.provider.code, q.answers, q.satisfaction, q.teaching, q.employer_answers) for q in quality] == [
        ("INST-T1", 3, 4.0, 4.5, 0), ("INST-T2", 1, 2.0, 2.0, 1)]


def test_full_answers_go_to_reviewers_only(db):
    resource = make(publish=True)
    target = surveys.target(db.session, "resource", resource.id)
    surveys.respond(db.session, rater(target), target, satisfaction=4, comment="好")
    provider = resource.provider
    for reviewer in (factories.user("union_staff", "330100"), factories.user("union_staff", "330000"),
                     factories.user("institution_staff"), factories.user("admin")):
        assert len(surveys.answers_for(db.session, reviewer, provider)) == 1
    education = organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="EDU-ZJ",
                                                  name="浙江省教育厅", kind=OrgKind.education_dept)
    officer = factories.user()
    service.grant_role(db.session, officer, Role.union_staff, education)  # as org_views appoints department staff
    assert len(surveys.answers_for(db.session, officer, provider)) == 1
    for outsider in (factories.user(), factories.user("union_staff", "330200"),
                     factories.user("institution_staff", "INST-T2"), factories.user("enterprise_staff")):
        with pytest.raises(Forbidden):
            surveys.answers_for(db.session, outsider, provider)


def test_rating_through_the_page_escapes_comments(app, client, auth):
    with app.app_context():
        resource_id = make(publish=True).id
        _db.session.commit()
    url = f"/surveys/resource/{resource_id}"
    assert client.get(url).status_code == 200
    phone = auth.as_role("worker", None)
    with app.app_context():
        from app.accounts.models import User

        studied(_db.session.query(User).filter_by(phone=phone).one(), _db.session.get(Resource, resource_id))
        _db.session.commit()
    assert post_form(client, url, {"satisfaction": "9"}).status_code == 400
    assert post_form(client, url, {"satisfaction": "4", "teaching": "5", "comment": XSS}).status_code == 302
    again = post_form(client, url, {"satisfaction": "1"}, source="/me")  # the form is gone; a replay is refused
    assert again.status_code == 409 and "已经评价过" in again.get_data(as_text=True)
    mine = client.get("/surveys/mine").get_data(as_text=True)
    assert "测试微课" in mine and "已评价" in mine
    page = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    quality = client.get("/surveys/quality").get_data(as_text=True)
    assert "测试职业技术学院" in quality and "/surveys/provider/" not in quality
    assert "不足5人评价，暂不公布" in quality and "4.0" not in quality  # one answer: below the privacy floor
    auth.logout()
    auth.as_role("union_staff", "330100")
    assert "/surveys/provider/INST-T1" in client.get("/surveys/quality").get_data(as_text=True)
    answers = client.get("/surveys/provider/INST-T1").get_data(as_text=True)
    assert "测**户" in answers and "&lt;script&gt;" in answers and "<script>alert" not in answers


def test_offerings_are_rated_by_their_applicants_and_count_for_the_institution(db):
    from programme.admissions import applications
    from tests.programme.reporting.test_reports import programme_world

    world = programme_world()
    applications.admit(db.session, SYSTEM, world["application"], True)
    target = surveys.target(db.session, "offering", world["offering"].id)
    assert (target.title, target.provider.code) == ("机电一体化技术", "INST-T1")
    surveys.respond(db.session, world["worker"], target, satisfaction=5, teaching=5)
    with pytest.raises(Invalid):
        surveys.respond(db.session, factories.user(), target, satisfaction=1)  # never applied
    assert surveys.summary(db.session, target).count == 1
    listed = surveys.rateable(db.session, world["worker"])
    assert [(i.kind.value, i.id, i.answered) for i in listed] == [("offering", world["offering"].id, True)]
    assert [q.provider.code for q in surveys.teaching_quality(db.session)] == ["INST-T1"]
    with pytest.raises(NotFound):
        surveys.target(db.session, "offering", 999_999)


def test_an_enterprise_rates_a_course_once_however_many_staff_it_has(db):
    """Workers and employers rate once each: five staff accounts of one enterprise (its own admin appoints them)
    cast five employer votes of 1 star before, and the public teaching-quality ranking carried them. Now the
    second is refused, and the ranking holds one employer answer."""
    course = make("INST-T2", publish=True)
    target = surveys.target(db.session, "resource", course.id)
    worker = studied(linked(factories.user(), consent=True), course)
    surveys.respond(db.session, factories.user("enterprise_staff"), target, satisfaction=1, teaching=1,
                    as_employer=True)
    for _n in range(4):
        with pytest.raises(Conflict) as again:
            surveys.respond(db.session, factories.user("enterprise_staff"), target, satisfaction=1, teaching=1,
                            as_employer=True)
        assert again.value.code == "employer_answered"
    quality = {q.provider.code: q for q in surveys.teaching_quality(db.session)}
    assert (quality["INST-T2"].answers, quality["INST-T2"].employer_answers) == (1, 1)
    surveys.respond(db.session, worker, target, satisfaction=5, teaching=5)  # the worker's own voice still counts
    assert db.session.query(SurveyResponse).filter_by(respondent_kind=RespondentKind.worker).count() == 1


def test_a_provider_s_own_staff_cannot_answer_about_its_courses(db):
    """A review: five INST-T1 staff enrolled in INST-T1's course (studying nothing) and rated it 5/5; the public
    ranking put INST-T1 above an honestly rated INST-T2. The provider's staff, and its co-authors', are refused."""
    from app.accounts.policy import SYSTEM
    from catalog import coauthors, service

    ours, theirs = make("INST-T1"), make("INST-T2", publish=True)
    coauthors.invite(db.session, factories.user("institution_staff"), ours, "ENT-T1")  # co-authors: while a draft
    service.submit(db.session, SYSTEM, ours)
    service.review(db.session, SYSTEM, ours, "select")
    honest = rater(theirs)
    surveys.respond(db.session, honest, surveys.target(db.session, "resource", theirs.id), satisfaction=4, teaching=4)
    target = surveys.target(db.session, "resource", ours.id)
    for _n in range(5):
        own = rater(ours, "institution_staff")  # INST-T1 staff
        with pytest.raises(Conflict) as err:
            surveys.respond(db.session, own, target, satisfaction=5, teaching=5)
        assert (err.value.code, err.value.status) == ("own_provider", 409)
    assert [(q.provider.code, q.answers) for q in surveys.teaching_quality(db.session)] == [("INST-T2", 1)]
    partner = rater(ours, "enterprise_staff")  # ENT-T1, invited to co-author it
    studied(linked(factories.user(), consent=True), ours)
    for as_employer in (False, True):
        with pytest.raises(Conflict) as err:
            surveys.respond(db.session, partner, target, satisfaction=5, as_employer=as_employer)
        assert err.value.code == "own_provider"
    outsider = studied(factories.user("institution_staff", "INST-T2"), ours)  # other providers' staff learn here
    assert surveys.respond(db.session, outsider, target, satisfaction=3).satisfaction == 3


def test_an_institution_s_staff_cannot_answer_about_its_offering(db):
    from tests.programme.reporting.test_reports import programme_world

    world = programme_world()
    target = surveys.target(db.session, "offering", world["offering"].id)
    with pytest.raises(Conflict) as err:
        surveys.respond(db.session, factories.user("institution_staff", "INST-T1"), target, satisfaction=5)
    assert err.value.code == "own_provider"


def test_a_provider_s_own_staff_cannot_answer_through_the_page(app, client, auth):
    with app.app_context():
        ours = make("INST-T1", publish=True)
        _db.session.commit()
        rid = ours.id
    phone = auth.as_role("institution_staff", "INST-T1")
    assert post_form(client, f"/learning/enrol/{rid}", {}, source=f"/catalog/r/{rid}").status_code in (302, 200)
    with app.app_context():  # and watches its first seconds, as a learner whose answer would count
        from app.accounts.models import User

        studied(_db.session.query(User).filter_by(phone=phone).one(), _db.session.get(Resource, rid))
        _db.session.commit()
    response = post_form(client, f"/surveys/resource/{rid}", {"satisfaction": "5", "teaching": "5",
                                                               "comment": "最好的课"})
    assert response.status_code == 409 and "不能评价它" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.query(SurveyResponse).filter_by(target_id=rid).count() == 0
