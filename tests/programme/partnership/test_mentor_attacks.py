"""Attacks on naming workplace mentors (企业导师): an enterprise none of whose workers study a course named itself its
mentor, then showed on the course's public page as 校企双导师 and answered its learners' public questions in its own
name, taking them off the provider's teachers' unanswered desk. A mentor is named only for what one of the workers
the enterprise confirmed is enrolled in (the course, or a course of the pathway), by the service and the page."""

import pytest

from app.accounts.policy import SYSTEM
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from credits import pathways
from learning import questions
from learning.enrolment import enrol
from programme.partnership import mentors
from programme.partnership.mentors import MentorInput
from programme.partnership.models import WorkplaceMentor
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.programme.enterprises.helpers import OTHER, linked, other_enterprise
from tests.programme.helpers import org


def test_an_unrelated_enterprise_cannot_make_itself_mentor_of_any_course(db):
    course = make(title="电工安全", publish=True)  # INST-T1's course
    enrol(db.session, linked(factories.user(), consent=True), course.id)  # ENT-T1's worker studies it; nobody of ENT-T2
    other_enterprise()
    boss = factories.user("enterprise_staff", OTHER)
    with pytest.raises(Invalid) as refused:
        mentors.name_mentor(db.session, boss, org(OTHER), MentorInput(boss.id, resource_id=course.id))
    assert refused.value.code == "no_worker_studies" and set(refused.value.fields) == {"target"}
    waiting = linked(factories.user(), OTHER, confirm=False)  # linked, not confirmed by ENT-T2: does not count
    enrol(db.session, waiting, course.id)
    with pytest.raises(Invalid):
        mentors.name_mentor(db.session, boss, org(OTHER), MentorInput(boss.id, resource_id=course.id))
    assert mentors.mentors_for(db.session, course.id) == []
    enrol(db.session, linked(factories.user(), OTHER, consent=True), course.id)  # ENT-T2 confirmed him
    mentors.name_mentor(db.session, boss, org(OTHER), MentorInput(boss.id, resource_id=course.id))
    assert mentors.mentors_for(db.session, course.id) == [boss]


def test_a_pathway_needs_a_worker_in_one_of_its_courses(db):
    on_path, elsewhere = make(title="电工安全", publish=True), make(title="叉车操作", publish=True)
    pathway = pathways.create(db.session, SYSTEM, org("INST-T1"), {
        "title": "电工（高级工）", "kind": "skill", "required_credits": "2"})
    pathways.add_item(db.session, SYSTEM, pathway.id, on_path.id, True)
    boss = factories.user("enterprise_staff", "ENT-T1")
    worker = linked(factories.user(), consent=True)
    enrol(db.session, worker, elsewhere.id)  # a course not on the pathway
    with pytest.raises(Invalid) as refused:
        mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(boss.id, pathway_id=pathway.id))
    assert refused.value.code == "no_worker_studies"
    enrol(db.session, worker, on_path.id)
    mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(boss.id, pathway_id=pathway.id))
    assert mentors.mentors_for(db.session, on_path.id) == [boss]


def test_a_stranger_does_not_answer_for_the_course_or_empty_the_teachers_queue(db):
    course = make(title="电工安全", publish=True)
    other_enterprise()
    boss = factories.user("enterprise_staff", OTHER, name="竞争对手")
    with pytest.raises(Invalid):
        mentors.name_mentor(db.session, boss, org(OTHER), MentorInput(boss.id, resource_id=course.id))
    learner = factories.user()
    enrol(db.session, learner, course.id)
    question = questions.ask(db.session, learner, course.lessons[0], "漏电保护器多久测试一次？")
    teacher = factories.user("institution_staff", "INST-T1")
    with pytest.raises(Forbidden):
        questions.answer(db.session, boss, question, "去问别的学校吧")
    assert question in questions.unanswered(db.session, teacher)
    assert mentors.pair_of(db.session, course)["mentors"] == []


def test_the_mentors_page_refuses_a_course_no_worker_takes(app, client, auth):
    with app.app_context():
        course_id = make(title="电工安全", publish=True).id
        other_enterprise()
        _db.session.commit()
    auth.as_role("enterprise_staff", OTHER)
    with app.app_context():
        staff_id = mentors.staff_of(_db.session, org(OTHER))[0].id
    response = post_form(client, "/programme/mentors", {"org": OTHER, "user_id": str(staff_id),
                                                         "resource_id": str(course_id), "title": "车间主任"})
    assert response.status_code == 400 and "还没有人报名这门课程" in response.get_data(as_text=True)
    auth.logout()
    assert "校企双导师" not in client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    with app.app_context():
        assert _db.session.query(WorkplaceMentor).count() == 0
