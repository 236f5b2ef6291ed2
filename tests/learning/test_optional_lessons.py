"""Optional (选修) lessons: an author marks a lesson optional; the resource completes without it, and the
learner's counts (我的学习, the resource page) are of the lessons that must be done."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service
from catalog.models import Lesson, Resource
from learning import completion
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.learning.test_completion import _enrolment, _read, _watch_all


def _make_optional(lesson) -> None:
    lesson.required = False
    db.session.commit()


def test_a_resource_completes_without_its_optional_lessons(learner):
    first, second, reading, external = learner.resource.lessons
    _make_optional(second)
    _make_optional(external)
    _watch_all(learner, first)
    assert _enrolment(learner).completed_at is None  # the reading lesson is still required
    assert _read(learner, reading, 40)["resource_complete"]
    assert _enrolment(learner).completed_at is not None


def test_when_every_lesson_is_optional_all_of_them_count(learner):
    lessons = learner.resource.lessons
    for lesson in lessons:
        lesson.required = False
    db.session.commit()
    _watch_all(learner, lessons[0])
    assert _enrolment(learner).completed_at is None
    assert not completion.check_resource(db.session, learner.user.id, learner.resource.id)


def _draft_course(app) -> tuple[int, int]:
    with app.app_context():
        resource = make(title="安全用电", kind="course", lesson_count=4, credits=2)
        db.session.commit()
        return resource.id, resource.lessons[1].id


def test_author_marks_a_lesson_optional_and_learners_see_what_counts(app, client, auth):
    resource_id, second_id = _draft_course(app)
    auth.as_role("institution_staff", "INST-T1")
    url = f"/catalog/manage/{resource_id}/lessons"
    form = {"action": "update_lesson", "lesson_id": second_id, "title": "第2课", "type": "video",
            "duration": "10:00", "optional": "1"}
    assert post_form(client, url, form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Lesson.required).where(Lesson.id == second_id)) is False
    assert "选修" in client.get(url).get_data(as_text=True)
    form.pop("optional")  # unticking the box makes it required again
    assert post_form(client, url, form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Lesson.required).where(Lesson.id == second_id)) is True
    assert post_form(client, url, {**form, "optional": "1"}).status_code == 302
    with app.app_context():
        resource = db.session.get(Resource, resource_id)
        service.submit(db.session, SYSTEM, resource)
        service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()
    auth.logout()
    assert client.get(f"/catalog/r/{resource_id}").get_data(as_text=True).count("选修") == 1
    auth.as_role("worker")
    post_form(client, f"/learning/enrol/{resource_id}", {}, source=f"/catalog/r/{resource_id}")
    assert "已完成 0 / 3 课时" in client.get("/learning").get_data(as_text=True)  # four lessons, one optional
    assert "已完成 0 / 3 课时" in client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)


def test_a_bad_lesson_form_keeps_the_saved_flag(app, client, auth):
    resource_id, second_id = _draft_course(app)
    with app.app_context():
        db.session.get(Lesson, second_id).required = False
        db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    url = f"/catalog/manage/{resource_id}/lessons"
    page = post_form(client, url, {"action": "update_lesson", "lesson_id": second_id, "title": "",
                                   "type": "video", "duration": "1:40"}).get_data(as_text=True)
    assert "请填写标题" in page
    with app.app_context():
        lesson = db.session.get(Lesson, second_id)
        assert lesson.required is False and lesson.title == "第2课"
