"""Questions and answers on a lesson (issue 24 item 4), performed as the attacks they must stop: a worker
answering as a teacher, a teacher of another institution reading a private question, a hidden answer shown, a
second "helpful" vote; and what the teachers are told."""

from __future__ import annotations

import pytest

from app import events
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db as _db
from app.notifications.models import Notification
from learning import qa_desk, questions
from learning.qa_models import Question
from tests import factories
from tests.conftest import post_form
from tests.learning.conftest import page_token


@pytest.fixture
def people(db, learner):
    teacher = factories.user("institution_staff", name="王老师")
    other_teacher = factories.user("institution_staff", factories.OTHER_INSTITUTION, name="外校老师")
    _db.session.commit()
    return learner.user, teacher, other_teacher, learner.resource.lessons[0]


def _messages(user_id: int) -> list[Notification]:
    return list(_db.session.query(Notification).filter_by(user_id=user_id))


def test_teachers_are_told_and_the_asking_is_announced(people):
    worker, teacher, other, lesson = people
    heard: list[str] = []
    events.subscribe(events.QUESTION_ASKED, lambda session, key: heard.append(key))
    question = questions.ask(_db.session, worker, lesson, "漏电保护器多久测试一次？")
    assert [m.url for m in _messages(teacher.id)] == [f"/learning/questions/{question.id}"]
    assert _messages(other.id) == []
    assert str(question.id) in heard


def test_a_worker_cannot_answer_as_a_teacher(people, client, auth):
    worker, teacher, _other, lesson = people
    question = questions.ask(_db.session, worker, lesson, "问题")
    classmate = factories.user("worker")
    with pytest.raises(Forbidden):
        questions.answer(_db.session, classmate, question, "我来答")
    with pytest.raises(Forbidden):
        questions.answer(_db.session, worker, question, "自问自答")
    _db.session.commit()
    auth.login(worker.phone)
    page = f"/learning/questions/{question.id}"
    assert "发送回答" not in client.get(page).get_data(as_text=True)  # no answer form for the asker
    response = client.post(f"{page}/answers", data={"csrf_token": page_token(client, page), "body": "冒充老师"})
    assert response.status_code == 403
    assert _db.session.get(Question, question.id).answers == []


def test_a_teacher_of_another_institution_cannot_see_a_private_question(people, client, auth):
    worker, teacher, other, lesson = people
    private = questions.ask(_db.session, worker, lesson, "我的私人问题", private=True)
    _db.session.commit()
    with pytest.raises(NotFound):
        questions.visible_question(_db.session, other, private.id)
    assert questions.visible_question(_db.session, teacher, private.id) is private
    assert private not in questions.on_lesson(_db.session, factories.user("worker"), lesson)
    auth.login(other.phone)
    assert client.get(f"/learning/questions/{private.id}").status_code == 404


def test_answer_helpful_once_per_person_and_hidden_answers_are_not_shown(people, client, auth):
    worker, teacher, _other, lesson = people
    question = questions.ask(_db.session, worker, lesson, "问题")
    good = questions.answer(_db.session, teacher, question, "好的回答")
    bad = questions.answer(_db.session, teacher, question, "不当内容")
    assert [m.url for m in _messages(worker.id)][-1] == f"/learning/questions/{question.id}"
    assert questions.mark_helpful(_db.session, worker, good) is True
    assert questions.mark_helpful(_db.session, worker, good) is False
    assert good.helpful == 1
    with pytest.raises(Invalid):
        questions.mark_helpful(_db.session, teacher, good)  # no marking one's own answer
    with pytest.raises(Forbidden):
        questions.hide(_db.session, worker, bad)
    questions.hide(_db.session, teacher, bad)
    _db.session.commit()
    auth.login(worker.phone)
    page = client.get(f"/learning/questions/{question.id}").get_data(as_text=True)
    assert "好的回答" in page and "不当内容" not in page
    assert client.post(f"/learning/answers/{bad.id}/helpful",
                       data={"csrf_token": page_token(client, f"/learning/questions/{question.id}")}
                       ).status_code == 404
    lesson_page = client.get(f"/learning/lessons/{lesson.id}").get_data(as_text=True)
    assert "好的回答" in lesson_page  # the helpful answer is shown to later learners on the lesson page


def test_bodies_are_sanitised(people, client, auth):
    worker, _teacher, _other, lesson = people
    attack = '<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n**粗**'
    question = questions.ask(_db.session, worker, lesson, attack)
    _db.session.commit()
    auth.login(worker.phone)
    html = client.get(f"/learning/questions/{question.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "onerror" not in html and "<strong>粗</strong>" in html


def test_asking_needs_enrolment_and_is_rate_limited(people):
    worker, _teacher, _other, lesson = people
    with pytest.raises(NotFound):
        questions.ask(_db.session, factories.user("worker"), lesson, "没报名")
    for i in range(questions.ASK_MAX):
        questions.ask(_db.session, worker, lesson, f"问题{i}")
    with pytest.raises(TooManyRequests):
        questions.ask(_db.session, worker, lesson, "再问")


def test_staff_see_unanswered_questions_with_their_age(people, app, client, auth):
    worker, teacher, other, lesson = people
    open_one = questions.ask(_db.session, worker, lesson, "还没人答")
    answered = questions.ask(_db.session, worker, lesson, "已回答")
    questions.answer(_db.session, teacher, answered, "答")
    _db.session.commit()
    assert questions.unanswered(_db.session, teacher) == [open_one]
    assert questions.unanswered(_db.session, other) == []
    with app.test_request_context():
        assert qa_desk.unanswered(_db.session, teacher).count == 1
    auth.login(teacher.phone)
    html = client.get("/learning/questions").get_data(as_text=True)
    assert f"/learning/questions/{open_one.id}" in html and "今天" in html
    assert f"/learning/questions/{answered.id}\"" not in html


def test_asking_through_the_lesson_page(people, client, auth):
    worker, teacher, _other, lesson = people
    auth.login(worker.phone)
    page = f"/learning/lessons/{lesson.id}"
    response = post_form(client, f"/learning/lessons/{lesson.id}/questions", {"body": "页面上提问", "private": "1"},
                         source=page)
    assert response.status_code == 302
    found = _db.session.query(Question).one()
    assert found.private and found.asker_id == worker.id


def test_an_invited_co_author_neither_reads_private_questions_nor_hides_any(learner, client, auth):
    """A review's attack: an enterprise invited as co-author, before ever accepting, read a learner's private
    question and hid a public one. Moderation is the course's editors' (accepted co-authors too) and its unions'."""
    from app.accounts.policy import can
    from catalog import coauthors
    from tests.catalog.helpers import reviewed_change

    lesson = learner.resource.lessons[0]
    reviewed_change(learner.resource, lambda: coauthors.invite(_db.session, factories.user("institution_staff"),
                                                               learner.resource, factories.ENTERPRISE))
    outsider = factories.user("enterprise_staff")
    private = questions.ask(_db.session, learner.user, lesson, "我有色盲，能考电工证吗", private=True)
    public = questions.ask(_db.session, learner.user, lesson, "公开问题")
    _db.session.commit()
    assert not can(outsider, "qa.moderate", learner.resource)
    auth.login(outsider.phone)
    assert client.get(f"/learning/questions/{private.id}").status_code == 404
    token = page_token(client, f"/learning/questions/{public.id}")
    assert client.post(f"/learning/questions/{public.id}/hide", data={"csrf_token": token}).status_code == 403
    _db.session.expire_all()
    assert not _db.session.get(Question, public.id).hidden


def test_a_withdrawn_course_s_questions_are_not_shown_to_strangers(app, client, auth):
    """Withdrawn and retitled as a draft, the course and its lessons answer 404, but its questions' pages answered 200
    to any signed-in stranger, with the new draft title. Now they are not found, as the course is; its asker still
    sees their own."""
    from catalog import service as catalog
    from learning import enrolment
    from tests.learning.conftest import make_course

    with app.app_context():
        course = make_course("安全用电")
        asker = factories.user()
        enrolment.enrol(_db.session, asker, course.id)
        question = questions.ask(_db.session, asker, course.lessons[0], "漏电保护器多久测试一次？")
        institution = factories.user("institution_staff", "INST-T1")
        catalog.withdraw(_db.session, institution, course, "改版")
        catalog.update_resource(_db.session, institution, course, {
            "title": "【内部草稿】裁员安置方案培训", "kind": "course", "summary": "一段简介",
            "category": "skills-construction", "credits": 2})
        _db.session.commit()
        rid, qid, asker_phone = course.id, question.id, asker.phone
    auth.as_role("worker")
    assert client.get(f"/catalog/r/{rid}").status_code == 404
    page = client.get(f"/learning/questions/{qid}")
    assert page.status_code == 404 and "裁员" not in page.get_data(as_text=True)
    auth.logout()
    auth.login(asker_phone)
    assert client.get(f"/learning/questions/{qid}").status_code == 200
