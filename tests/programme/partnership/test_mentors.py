"""Workplace mentors (企业导师, the 双导师 pairing): an enterprise names its own staff accounts as mentors for a
resource or a pathway; the resource page shows the institution's teacher beside the mentor; `mentors_for` gives
whom a Q&A would notify. Attacks: another enterprise, an institution or a union cannot name or remove them, and
nobody outside the enterprise can be named."""

import pytest

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db as _db
from credits import pathways
from learning.enrolment import enrol
from programme.partnership import mentors
from programme.partnership.mentors import MentorInput
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.programme.enterprises.helpers import linked
from tests.programme.helpers import org, staff


def _other_enterprise(db):
    return organisations.create_organisation(db.session, SYSTEM, parent_code="330108", code="ENT-T2",
                                             name="另一家物流公司", kind=organisations.OrgKind.enterprise)


def studied_by_a_worker(resource, code="ENT-T1"):
    """One of the enterprise's confirmed workers enrolled in `resource`: what naming a mentor for it needs."""
    enrol(_db.session, linked(factories.user(), code, consent=True), resource.id)
    return resource


def test_an_enterprise_names_its_staff_for_a_resource_and_a_pathway(db):
    course = studied_by_a_worker(make(title="电工安全", publish=True, teachers="李老师（高级讲师）"))
    other = studied_by_a_worker(make(title="叉车操作", publish=True))
    pathway = pathways.create(db.session, SYSTEM, org("INST-T1"), {
        "title": "电工（高级工）", "kind": "skill", "required_credits": "2"})
    pathways.add_item(db.session, SYSTEM, pathway.id, other.id, True)
    boss = staff("enterprise_staff", "ENT-T1")
    mentor_a = factories.user("enterprise_staff", "ENT-T1", name="王师傅")
    mentor_b = factories.user("enterprise_staff", "ENT-T1", name="赵师傅")
    mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(mentor_a.id, resource_id=course.id,
                                                                      title="车间主任"))
    mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(mentor_b.id, pathway_id=pathway.id))
    mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(mentor_a.id, pathway_id=pathway.id))
    assert mentors.mentors_for(db.session, course.id) == [mentor_a]
    assert mentors.mentors_for(db.session, other.id) == [mentor_b, mentor_a]  # through the pathway, each once
    pair = mentors.pair_of(db.session, course)
    assert [t.name for t in pair["teachers"]] == ["李老师"]
    assert [(m.name, m.title, m.enterprise) for m in pair["mentors"]] == [("王师傅", "车间主任", "测试电器有限公司")]
    with pytest.raises(Conflict):
        mentors.name_mentor(db.session, boss, org("ENT-T1"), MentorInput(mentor_a.id, resource_id=course.id))


def test_nobody_outside_names_or_removes_mentors(db):
    course = studied_by_a_worker(make(title="电工安全", publish=True))
    _other_enterprise(db)
    mentor = factories.user("enterprise_staff", "ENT-T1", name="王师傅")
    named = mentors.name_mentor(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"),
                                MentorInput(mentor.id, resource_id=course.id))
    for outsider in (staff("enterprise_staff", "ENT-T2"), staff("institution_staff", "INST-T1"),
                     staff(code="330106"), factories.user()):
        with pytest.raises(Forbidden):
            mentors.name_mentor(db.session, outsider, org("ENT-T1"), MentorInput(mentor.id, resource_id=course.id))
        with pytest.raises(Forbidden):
            mentors.remove_mentor(db.session, outsider, named.id)
    stranger = factories.user("enterprise_staff", "ENT-T2")
    with pytest.raises(Invalid) as err:  # only the enterprise's own staff accounts can be its mentors
        mentors.name_mentor(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"),
                            MentorInput(stranger.id, resource_id=course.id))
    assert set(err.value.fields) == {"user_id"}
    with pytest.raises(Invalid) as err:  # one target, and a published one
        mentors.name_mentor(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"),
                            MentorInput(mentor.id, resource_id=make(title="草稿").id, title="x" * 51))
    assert set(err.value.fields) == {"target", "title"}
    mentors.remove_mentor(db.session, staff("enterprise_staff", "ENT-T1"), named.id)
    assert mentors.mentors_for(db.session, course.id) == []


def test_the_resource_page_shows_the_pair_and_the_enterprise_page_names_them(app, db, client, auth):
    course = studied_by_a_worker(make(title="电工安全", publish=True, teachers="李老师（高级讲师）"))
    mentor = factories.user("enterprise_staff", "ENT-T1", name="王师傅")
    db.session.commit()
    assert "校企双导师" not in client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    auth.as_role("enterprise_staff", "ENT-T1")
    assert "企业导师" in client.get("/me").get_data(as_text=True)
    response = post_form(client, "/programme/mentors", {"org": "ENT-T1", "user_id": str(mentor.id),
                                                         "resource_id": str(course.id), "title": "车间主任"})
    assert response.status_code == 302
    assert "王师傅" in client.get("/programme/mentors").get_data(as_text=True)
    assert post_form(client, "/programme/mentors", {"org": "ENT-T1", "user_id": str(mentor.id),
                                                    "resource_id": "abc"}).status_code == 400
    assert post_form(client, "/programme/mentors", {"org": "ENT-T1", "user_id": "²",  # int() refuses it: was a 500
                                                    "resource_id": str(course.id)}).status_code == 400
    auth.logout()
    page = client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert "校企双导师" in page and "李老师（高级讲师）" in page and "王师傅（车间主任）" in page
    auth.as_role("institution_staff", "INST-T1")
    assert client.get("/programme/mentors").status_code == 403


def test_a_mentor_is_told_of_and_answers_public_questions_never_private_ones(db):
    """双导师 in the lesson Q&A (issue 24 item 4): the course's workplace mentor hears of a public question and
    answers it for the enterprise; a private one stays between the asker and the teachers; another enterprise's
    staff never answer."""
    from app.notifications.models import Notification
    from learning import questions
    from learning.enrolment import enrol

    course = studied_by_a_worker(make(title="电工安全", publish=True))
    mentor = factories.user("enterprise_staff", "ENT-T1", name="王师傅")
    mentors.name_mentor(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"),
                        MentorInput(mentor.id, resource_id=course.id))
    worker = factories.user()
    enrol(db.session, worker, course.id)
    lesson = course.lessons[0]
    public = questions.ask(db.session, worker, lesson, "绝缘手套多久检查一次？")
    private = questions.ask(db.session, worker, lesson, "我的工资问题", private=True)
    told = [n.url for n in db.session.query(Notification).filter_by(user_id=mentor.id)]
    assert told == [f"/learning/questions/{public.id}"]
    answer = questions.answer(db.session, mentor, public, "每次使用前都要检查。")
    assert answer.org_id == org("ENT-T1").id and public.answered_at is not None
    with pytest.raises(Forbidden):
        questions.answer(db.session, mentor, private, "我来答")
    with pytest.raises(Forbidden):
        questions.answer(db.session, factories.user("enterprise_staff", "ENT-T1"), public, "不是导师")
    assert not questions.may_see(mentor, private)


def test_a_mentor_whose_staff_role_was_removed_no_longer_answers_for_the_enterprise(db):
    """王师傅 left the company (his enterprise_staff role removed): he is no longer told of the course's public
    questions, no longer shown as its mentor, and answers, if at all, as himself, not in the enterprise's name."""
    from app.accounts import service
    from app.accounts.models import Membership
    from learning import questions
    from learning.enrolment import enrol

    course = studied_by_a_worker(make(title="电工安全", publish=True))
    head = factories.user("enterprise_staff", "ENT-T1", org_admin=True)
    mentor = factories.user("enterprise_staff", "ENT-T1", name="王师傅")
    mentors.name_mentor(db.session, head, org("ENT-T1"), MentorInput(mentor.id, resource_id=course.id))
    assert mentor.id in questions.co_answerers(db.session, course.id)
    service.revoke_staff(db.session, head, db.session.query(Membership).filter_by(user_id=mentor.id).one())
    db.session.flush()
    db.session.expire_all()
    learner = factories.user("worker")
    enrol(db.session, learner, course.id)
    question = questions.ask(db.session, learner, course.lessons[0], "漏电保护器多久测试一次？")
    assert mentor.id not in questions.co_answerers(db.session, course.id)
    assert mentors.pair_of(db.session, course)["mentors"] == []
    with pytest.raises(Forbidden):  # a stranger to the course now
        questions.answer(db.session, mentor, question, "随便说说")
