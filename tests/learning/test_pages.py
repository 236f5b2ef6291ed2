"""Pages a learner and an author use: enrol in one tap, 我的学习 with 继续学习 to the exact lesson and second,
the study page, taking and authoring a quiz (with bad input), and the xAPI history a standard library reads."""

from __future__ import annotations

import json

from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service as catalog_service
from catalog.models import Resource
from learning import completion, quizzes
from learning.models import Enrolment
from tests.conftest import post_form
from tests.learning.conftest import make_course
from tests.learning.test_completion import QUESTIONS


def _course(app) -> int:
    with app.app_context():
        resource_id = make_course().id
        db.session.commit()
    return resource_id


def test_enrol_in_one_tap_then_continue_where_you_stopped(app, client, auth):
    resource_id = _course(app)
    auth.as_role("worker")
    page = client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)
    assert "立即学习" in page
    response = post_form(client, f"/learning/enrol/{resource_id}", {}, source=f"/catalog/r/{resource_id}")
    assert response.status_code == 302 and "/learning/lessons/" in response.location
    post_form(client, f"/learning/enrol/{resource_id}", {}, source="/me/password")  # a double tap
    with app.app_context():
        assert db.session.query(Enrolment).filter_by(resource_id=resource_id).count() == 1
        from catalog.models import Resource

        resource = db.session.get(Resource, resource_id)
        assert resource.enrolment_count == 1
        second = resource.lessons[1]
    lesson_page = client.get(f"/learning/lessons/{second.id}").get_data(as_text=True)
    token = lesson_page.split('name="csrf-token" content="')[1].split('"')[0]
    import time

    beat = {"lesson_id": second.id, "position_s": 12.5, "watched": [[0, 12.5]], "client_time": int(time.time() * 1000),
            "seq": 1}
    assert client.post("/api/v1/progress", json=beat, headers={"X-CSRFToken": token}).status_code == 200
    mine = client.get("/learning").get_data(as_text=True)
    assert "安全用电" in mine and "继续学习" in mine and "视频2" in mine
    resume = client.get(f"/learning/r/{resource_id}/continue")
    assert resume.location.endswith(f"/learning/lessons/{second.id}?t=12&play=1")  # 继续学习 plays at once
    assert 'data-resume="12.0"' in client.get(resume.location).get_data(as_text=True)
    assert "继续学习" in client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)
    beat = {**beat, "position_s": 99.5, "watched": [[12.5, 27.5]], "seq": 2, "client_time": beat["client_time"] + 15000}
    assert client.post("/api/v1/progress", json=beat, headers={"X-CSRFToken": token}).status_code == 200
    third = resource.lessons[2]  # stopped at the very end of the second lesson: continue with the third
    assert client.get(f"/learning/r/{resource_id}/continue").location.endswith(f"/learning/lessons/{third.id}?play=1")
    catalog_lesson = client.get(f"/catalog/r/{resource_id}/lessons/{second.id}")  # the study page, not the preview
    assert catalog_lesson.status_code == 302 and catalog_lesson.location.endswith(f"/learning/lessons/{second.id}")


def test_enrolment_refuses_drafts_and_unknown_resources(app, client, auth):
    from tests.catalog.helpers import make

    with app.app_context():
        draft = make(title="草稿").id
        db.session.commit()
    auth.as_role("worker")
    response = post_form(client, f"/learning/enrol/{draft}", {}, source="/me/password")
    assert response.status_code == 409 and "还没有发布" in response.get_data(as_text=True)
    assert post_form(client, "/learning/enrol/999999", {}, source="/me/password").status_code == 404


def test_the_first_play_enrols_and_only_video_lessons_of_published_courses_open_unenrolled(app, client, auth):
    """A video lesson opens before enrolling (its first play enrols, via the JSON answer of the enrol view); a
    reading lesson still sends the learner to the course page; a draft's lessons never open."""
    from tests.catalog.helpers import make

    resource_id = _course(app)
    auth.as_role("worker")
    with app.app_context():
        from catalog.models import Resource

        lessons = db.session.get(Resource, resource_id).lessons
        video_id, reading_id = lessons[0].id, lessons[2].id
        draft = make(title="草稿", kind="course", lesson_count=1)
        draft_lesson = draft.lessons[0].id
        db.session.commit()
    html = client.get(f"/learning/lessons/{video_id}?play=1").get_data(as_text=True)
    assert f'data-enrol="/learning/enrol/{resource_id}"' in html
    assert "data-autoplay" not in html  # a link plays (and so enrols) nobody by itself: the tap on ▶ does
    response = client.get(f"/learning/lessons/{reading_id}")
    assert response.status_code == 302 and response.location.endswith(f"/catalog/r/{resource_id}")
    assert client.get(f"/learning/lessons/{draft_lesson}").status_code == 404
    with app.app_context():
        assert db.session.query(Enrolment).count() == 0  # looking enrols nobody
    token = html.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post(f"/learning/enrol/{resource_id}", headers={"Accept": "application/json"}).status_code == 400
    answer = client.post(f"/learning/enrol/{resource_id}", headers={"Accept": "application/json", "X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json() == {"enrolled": True, "created": True}
    enrolled = client.get(f"/learning/lessons/{video_id}?play=1").get_data(as_text=True)
    assert 'data-enrol=' not in enrolled and "data-autoplay" in enrolled


def test_author_and_take_a_quiz(app, client, auth):
    resource_id = _course(app)
    auth.as_role("institution_staff")
    edit = f"/learning/r/{resource_id}/quiz/edit"
    assert "学习规则与测验" in client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)
    # published: the page says why the form is locked, and a post of it changes nothing
    assert "请先撤回" in client.get(edit).get_data(as_text=True)
    easy = post_form(client, edit, {"title": "测验", "pass_mark": "1", "completion_percent": "50", "min_read_s": "0",
                                    "questions": "1+1=?\n*2\n3"})
    assert easy.status_code == 409 and "请先撤回" in easy.get_data(as_text=True)
    with app.app_context():
        assert quizzes.quiz_of(db.session, resource_id) is None
        assert completion.rules_for(db.session, resource_id) == completion.Rules()
    withdrawn = post_form(client, f"/catalog/manage/{resource_id}/withdraw", {"comment": "加一份课后测验"},
                          source=f"/catalog/manage/{resource_id}")
    assert withdrawn.status_code == 302
    assert "请先撤回" not in client.get(edit).get_data(as_text=True)
    bad = post_form(client, edit, {"title": "测验", "pass_mark": "0", "completion_percent": "30", "min_read_s": "30",
                                   "questions": "没有选项"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "及格线" in body and "50到100" in body and "第1题" in body
    ok = post_form(client, edit, {"title": "测验", "pass_mark": "50", "completion_percent": "90", "min_read_s": "30",
                                  "questions": QUESTIONS})
    assert ok.status_code == 302
    with app.app_context():  # submitted again and selected by its reviewer
        resource = db.session.get(Resource, resource_id)
        catalog_service.submit(db.session, SYSTEM, resource)
        catalog_service.review(db.session, SYSTEM, resource, "select")
        db.session.commit()
    auth.logout()
    auth.as_role("worker")
    assert client.get(edit).status_code == 404  # learners do not author
    post_form(client, f"/learning/enrol/{resource_id}", {}, source=f"/catalog/r/{resource_id}")
    quiz = f"/learning/r/{resource_id}/quiz"
    missing = post_form(client, quiz, {"q1": "0"})
    assert "请回答第2题" in missing.get_data(as_text=True)
    passed = post_form(client, quiz, {"q1": "0", "q2": "1"})
    assert "通过了！得分 50 分" in passed.get_data(as_text=True)


def test_statements_are_xapi_that_tincan_parses(app, client, auth, learner):
    from tincan import StatementList

    lesson = learner.lesson(1)
    for start in range(0, 100, 15):
        learner.beat(lesson, min(start + 15, 100), [[start, min(start + 15, 100)]], at_s=start + 15)
    learner.beat(learner.lesson(0), 30, [[0, 30]], at_s=200)
    auth.login(learner.user.phone)
    response = client.get("/api/v1/me/statements")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    body = response.get_json()
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in body["statements"]]
    assert {"experienced", "progressed", "completed"} <= set(verbs)
    parsed = StatementList.from_json(json.dumps(body["statements"]))
    assert len(parsed) == len(body["statements"])
    completed = next(s for s in parsed if s.verb.id.endswith("completed"))
    assert completed.object.id == f"http://localhost/catalog/r/{learner.resource.id}/lessons/{lesson.id}"
    assert completed.result.completion is True
    assert client.get("/api/v1/me/statements").get_json() == body  # stable ids: same history, same statements
    assert body["more"] == ""
    pages, url = [], "/api/v1/me/statements?limit=2"
    while url:  # paged: the pages, followed by `more`, add up to the whole history in the same order
        page = client.get(url).get_json()
        assert len(page["statements"]) <= 2
        pages.extend(page["statements"])
        url = page["more"]
    assert pages == body["statements"] and len(pages) > 2
    for bad in ("limit=0", "limit=501", "limit=abc", "from=-1"):
        refused = client.get(f"/api/v1/me/statements?{bad}")
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_query"
    auth.logout()
    assert client.get("/api/v1/me/statements").status_code == 401


def test_completing_a_lesson_and_the_course_is_celebrated(app, client, auth):
    """After a lesson: 本课已完成 and the next lesson to play; after the last one: 已完成《…》, the credits just
    earned, the pathway to continue and where the certificate is. Before that, neither panel shows."""
    from sqlalchemy import select

    from app.accounts.models import User
    from tests.credits.credit_factories import pathway
    from tests.learning.conftest import Learner, enrol_back_dated, make_course
    from tests.learning.test_completion import _watch_all

    phone = auth.as_role("worker")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        course = make_course(title="叉车驾驶入门", videos=("0:30", "0:30"), reading=False, external=False)
        pathway(10, ((course, True),), title="叉车司机（中级工）", kind="skill")
        enrol_back_dated(user, course)
        db.session.commit()
        first, second = course.lessons
        first_id, second_id = first.id, second.id
        learner = Learner(user, course)

        def panels(lesson_id: int) -> tuple[str, str]:
            html = client.get(f"/learning/lessons/{lesson_id}").get_data(as_text=True)
            lesson = html.split('data-celebrate="lesson"')[1].split(">")[0]
            whole = html.split('data-celebrate="course"')[1].split(">")[0]
            return lesson, whole + html.split('data-celebrate="course"')[1].split("</section>")[0]

        lesson_panel, course_panel = panels(first_id)
        assert "hidden" in lesson_panel and "hidden" in course_panel.split(">")[0]
        _watch_all(learner, first)
        lesson_panel, course_panel = panels(first_id)
        assert "hidden" not in lesson_panel and "hidden" in course_panel.split(">")[0]
        assert f"/learning/lessons/{second_id}?play=1" in client.get(f"/learning/lessons/{first_id}").get_data(
            as_text=True)
        assert _watch_all(learner, learner.resource.lessons[1])["resource_complete"]
        _lesson, course_panel = panels(second_id)
        assert "hidden" not in course_panel.split(">")[0]
        assert "已完成《叉车驾驶入门》" in course_panel and "获得 2 学分" in course_panel
        assert "继续“叉车司机（中级工）”" in course_panel and "/credits/" in course_panel
    mine = client.get("/learning").get_data(as_text=True)
    assert "continue-card" not in mine  # nothing unfinished: no 继续学习 card


def test_my_learning_puts_the_next_lesson_first(app, client, auth):
    from sqlalchemy import select

    from app.accounts.models import User
    from tests.learning.conftest import Learner, enrol_back_dated, make_course
    from tests.learning.test_completion import _watch_all

    phone = auth.as_role("worker")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        older = make_course(title="电工安全操作", videos=("0:30",), reading=False, external=False)
        newer = make_course(title="育婴员基础", videos=("0:30", "0:30"), reading=False, external=False)
        enrol_back_dated(user, older, hours=5)
        enrol_back_dated(user, newer)
        db.session.commit()
        _watch_all(Learner(user, newer), newer.lessons[0])
    mine = client.get("/learning").get_data(as_text=True)
    card = mine.split('class="card continue-card"')[1].split("</section>")[0]
    assert "育婴员基础" in card and "下一课：视频2" in card and "继续学习" in card
    assert mine.index("continue-card") < mine.index("电工安全操作")
