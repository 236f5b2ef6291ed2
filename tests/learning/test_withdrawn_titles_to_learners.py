"""A course its provider withdrew and renamed after a worker enrolled: the catalog and its lesson pages answer the
worker 404, and their own pages must not read the draft either. 我的学习 (kept with the shared parts), the study
plan, the study reminders (notification, push, SMS), the xAPI statements and the question they asked showed the
draft's title and lesson titles; now the course shows withheld ("#12（已撤回或未发布）") with its progress
figures, has no lesson to resume, and is never the one a reminder names."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.db import utcnow
from app.extensions import db as _db
from app.notifications.models import Notification
from catalog import lessons as catalog_lessons
from catalog import service as catalog
from catalog.models import Resource
from learning import enrolment, habits, questions
from learning.habit_models import StudyPlan
from learning.models import Enrolment, LessonProgress, Quiz, QuizAttempt
from tests import factories
from tests.conftest import _config
from tests.learning.conftest import make_course

DRAFT = "【内部草稿】裁员安置方案培训"
DRAFT_LESSON = "第3批裁员名单说明"
DRAFT_QUIZ = "裁员名单测验"
DONE = re.compile(r"已完成 (\d+) / (\d+) 课时")


def _withheld(rid: int) -> str:
    return f"#{rid}（已撤回或未发布）"


def _withdraw_and_rename(rid: int) -> None:
    """The provider withdraws the course and renames it and its first lesson (committed)."""
    course = _db.session.get(Resource, rid)
    institution = factories.user("institution_staff", "INST-T1")
    catalog.withdraw(_db.session, institution, course, "改版")
    catalog.update_resource(_db.session, institution, course, {
        "title": DRAFT, "kind": "course", "summary": "一段简介", "category": "skills-construction", "credits": 2})
    catalog_lessons.update_lesson(_db.session, institution, course.lessons[0], {
        "title": DRAFT_LESSON, "type": "video", "duration": "10:00", "unit": course.lessons[0].unit_id})
    _db.session.commit()


def _enrolled(app) -> tuple[int, str, int]:
    """A worker enrolled in 安全用电 who asked a question on its first lesson: (course id, phone, question id)."""
    with app.app_context():
        course = make_course("安全用电")
        worker = factories.user()
        enrolment.enrol(_db.session, worker, course.id)
        question = questions.ask(_db.session, worker, course.lessons[0], "漏电保护器多久测试一次？")
        _db.session.commit()
        return course.id, worker.phone, question.id


def _withdrawn(app) -> tuple[int, str, int]:
    rid, phone, qid = _enrolled(app)
    with app.app_context():
        _withdraw_and_rename(rid)
    return rid, phone, qid


def _user_id(phone: str) -> int:
    found = _db.session.scalar(select(User.id).where(User.phone == phone))
    assert found is not None
    return found


def _plan(user_id: int) -> None:
    """A study plan with a reminder window all day, every day (committed)."""
    _db.session.add(StudyPlan(user_id=user_id, slots=[[d, 0, 1440] for d in range(7)], per_week=7))
    _db.session.commit()


def test_attack_my_learning_shows_a_withdrawn_courses_draft(app, client, auth):
    rid, phone, _qid = _withdrawn(app)
    auth.login(phone)
    assert client.get(f"/catalog/r/{rid}").status_code == 404  # the worker may not read the draft
    page = client.get("/learning").get_data(as_text=True)
    assert DRAFT not in page and DRAFT_LESSON not in page
    assert _withheld(rid) in page and DONE.findall(page) == [("0", "4")]  # its progress figures stay
    assert "继续学习" not in page and f"/learning/r/{rid}/continue" not in page  # no lesson to resume: they 404


def test_my_learning_kept_before_the_withdrawal_shows_it_at_once(app, client, auth):
    """我的学习's course titles and lessons are kept for every learner (the shared parts' "learning.outline"), and
    the page itself per the learner's change token and the shared parts' generation: a withdrawal changes them."""
    rid, phone, _qid = _enrolled(app)
    auth.login(phone)
    for _ in range(2):  # the second page comes from what the first kept
        page = client.get("/learning").get_data(as_text=True)
        assert "安全用电" in page and "下一课：视频1" in page and _withheld(rid) not in page
    assert ("learning.outline", rid) in {key[0] for key in app.extensions["shared_parts"]._parts if len(key) == 2}
    with app.app_context():
        _withdraw_and_rename(rid)
    for _ in range(2):
        page = client.get("/learning").get_data(as_text=True)
        assert DRAFT not in page and DRAFT_LESSON not in page and "下一课" not in page
        assert _withheld(rid) in page and DONE.findall(page) == [("0", "4")]


def test_a_withdrawal_by_another_process_shows_on_the_kept_my_learning(app, client, auth):
    """Withdrawn by `qiuxue worker`, a command or another web process on the same data."""
    rid, phone, _qid = _enrolled(app)
    auth.login(phone)
    for _ in range(2):
        assert "安全用电" in client.get("/learning").get_data(as_text=True)
    other = create_app(_config(Path(app.config["DATA_DIR"])))
    with other.app_context():
        _withdraw_and_rename(rid)
        _db.engine.dispose()
    page = client.get("/learning").get_data(as_text=True)
    assert DRAFT not in page and DRAFT_LESSON not in page and _withheld(rid) in page


def test_attack_xapi_statements_name_a_withdrawn_courses_draft(app, client, auth):
    rid, phone, _qid = _enrolled(app)
    with app.app_context():  # a lesson studied, the quiz passed, the course completed: every kind of statement
        user_id, resource = _user_id(phone), _db.session.get(Resource, rid)
        quiz = Quiz(resource_id=rid, title="课后测验")
        _db.session.add_all([quiz, LessonProgress(user_id=user_id, resource_id=rid, lesson_id=resource.lessons[0].id,
                                                  first_seen_at=utcnow(), updated_at=utcnow())])
        _db.session.flush()
        _db.session.add(QuizAttempt(quiz_id=quiz.id, user_id=user_id, answers=[0], score=100, passed=True))
        _db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id)).completed_at = utcnow()
        _db.session.commit()
        _withdraw_and_rename(rid)
        _db.session.get(Quiz, quiz.id).title = DRAFT_QUIZ  # the provider's draft quiz, too
        _db.session.commit()
    auth.login(phone)
    response = client.get("/api/v1/me/statements")
    assert response.status_code == 200
    body = response.get_json()["statements"]
    names = [s["object"]["definition"]["name"]["zh-CN"] for s in body]
    names += [p["definition"]["name"]["zh-CN"] for s in body for p in s.get("context", {}).get(
        "contextActivities", {}).get("parent", [])]
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in body}
    assert {"experienced", "passed", "completed"} <= verbs
    assert set(names) == {_withheld(rid)}
    assert DRAFT not in response.get_data(as_text=True) and DRAFT_LESSON not in response.get_data(as_text=True)


def test_xapi_statements_of_a_published_course_keep_their_names(app, client, auth):
    rid, phone, _qid = _enrolled(app)
    with app.app_context():
        user_id, resource = _user_id(phone), _db.session.get(Resource, rid)
        _db.session.add(LessonProgress(user_id=user_id, resource_id=rid, lesson_id=resource.lessons[0].id,
                                       first_seen_at=utcnow(), updated_at=utcnow()))
        _db.session.commit()
    auth.login(phone)
    statements = client.get("/api/v1/me/statements").get_json()["statements"]  # experienced, progressed
    assert len(statements) == 2 and {s["object"]["definition"]["name"]["zh-CN"] for s in statements} == {"视频1"}
    assert {s["context"]["contextActivities"]["parent"][0]["definition"]["name"]["zh-CN"]
            for s in statements} == {"安全用电"}


def test_attack_study_plan_shows_a_withdrawn_courses_draft(app, client, auth):
    _rid, phone, _qid = _withdrawn(app)
    auth.login(phone)
    page = client.get("/learning/plan").get_data(as_text=True)
    assert DRAFT not in page and DRAFT_LESSON not in page and "data-next-step" not in page


def test_attack_own_question_page_shows_a_withdrawn_courses_draft(app, client, auth):
    rid, phone, qid = _withdrawn(app)
    auth.login(phone)
    page = client.get(f"/learning/questions/{qid}")
    assert page.status_code == 200  # the asker still reads their own question
    text = page.get_data(as_text=True)
    assert DRAFT not in text and DRAFT_LESSON not in text and _withheld(rid) in text
    assert "漏电保护器多久测试一次？" in text


def test_question_page_of_a_published_course_names_it(app, client, auth):
    _rid, phone, qid = _enrolled(app)
    auth.login(phone)
    assert "安全用电 · 视频1" in client.get(f"/learning/questions/{qid}").get_data(as_text=True)


def test_attack_study_reminder_carries_a_withdrawn_courses_draft(app, client, auth):
    """The reminder duty (learning.habits.send_due) pushes and texts "继续《<title>》…" linking to its lesson,
    which 404s: a withdrawn course is not reminded of at all."""
    _rid, phone, _qid = _withdrawn(app)
    with app.app_context():
        user_id = _user_id(phone)
        _plan(user_id)
        assert habits.send_due(_db.session, utcnow()) == 0
        assert _db.session.scalar(select(Notification).where(Notification.user_id == user_id)) is None
    auth.login(phone)
    assert DRAFT not in client.get("/me/notifications").get_data(as_text=True)


def test_a_reminder_names_the_published_course_beside_a_withdrawn_one(app, client, auth):
    """The withdrawn course was studied last; the reminder and the plan page name the other, published one."""
    rid, phone, _qid = _enrolled(app)
    with app.app_context():
        user_id, other = _user_id(phone), make_course("电工安全操作")
        enrolment.enrol(_db.session, _db.session.get(User, user_id), other.id)
        mine = _db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.resource_id == rid))
        mine.last_active_at = utcnow()  # the withdrawn course is the most recently studied
        _db.session.commit()
        _withdraw_and_rename(rid)
        _plan(user_id)
        assert habits.send_due(_db.session, utcnow()) == 1
    auth.login(phone)
    page = client.get("/me/notifications").get_data(as_text=True)
    assert "继续《电工安全操作》第1课" in page and DRAFT not in page
    plan = client.get("/learning/plan").get_data(as_text=True)
    assert "继续《电工安全操作》第1课" in plan and DRAFT not in plan
