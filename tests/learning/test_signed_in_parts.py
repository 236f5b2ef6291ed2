"""A signed-in learner's own part of the pages (the resource page's enrol box, 我的学习) is read fresh on every
request around the shared parts: progress shows on the very next page, and one learner never sees another's."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.db import utcnow
from app.extensions import db as _db
from catalog.models import Lesson, LessonType, Resource
from learning import habits
from tests import factories
from tests.conftest import Auth, _config
from tests.learning.conftest import Learner, enrol_back_dated, make_course
from tests.learning.test_completion import _watch_all

DONE = re.compile(r"已完成 (\d+) / (\d+) 课时")


def _done(html: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in DONE.findall(html)]


def _two_learners(app):
    """A two-video course both workers are enrolled in; nobody has watched anything yet."""
    with app.app_context():
        course = make_course(title="叉车安全驾驶", videos=("0:30", "0:30"), reading=False, external=False)
        first = factories.user("worker", name="甲学员")
        second = factories.user("worker", name="乙学员")
        for user in (first, second):
            enrol_back_dated(user, course)
        _db.session.commit()
        return course.id, first.phone, second.phone


def _client(app, phone: str):
    client = app.test_client()
    Auth(app, client).login(phone)
    return client


def test_progress_shows_at_once_on_the_resource_page_and_in_my_learning(app):
    course_id, phone, _other = _two_learners(app)
    client = _client(app, phone)
    assert _done(client.get(f"/catalog/r/{course_id}").get_data(as_text=True)) == [(0, 2)]
    assert _done(client.get("/learning").get_data(as_text=True)) == [(0, 2)]
    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User
        from catalog.models import Resource

        user = _db.session.scalar(select(User).where(User.phone == phone))
        resource = _db.session.get(Resource, course_id)
        _watch_all(Learner(user, resource), resource.lessons[0])
    page = client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    assert _done(page) == [(1, 2)] and "继续学习" in page
    mine = client.get("/learning").get_data(as_text=True)
    assert _done(mine) == [(1, 2)] and "下一课：视频2" in mine


def test_two_learners_each_see_only_their_own_progress(app):
    course_id, first_phone, second_phone = _two_learners(app)
    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User
        from catalog.models import Resource

        first = _db.session.scalar(select(User).where(User.phone == first_phone))
        resource = _db.session.get(Resource, course_id)
        _watch_all(Learner(first, resource), resource.lessons[0])
    pages = {}
    for who, phone in (("first", first_phone), ("second", second_phone), ("first", first_phone)):
        client = _client(app, phone)  # the second and third use the shared parts the first one made
        pages[who] = (client.get(f"/catalog/r/{course_id}").get_data(as_text=True),
                      client.get("/learning").get_data(as_text=True))
    (mine, my_learning), (theirs, their_learning) = pages["first"], pages["second"]
    assert _done(mine) == [(1, 2)] and _done(my_learning) == [(1, 2)]
    assert _done(theirs) == [(0, 2)] and _done(their_learning) == [(0, 2)]
    assert "甲学员" in mine and "乙学员" not in mine and "乙学员" in theirs and "甲学员" not in theirs
    assert "甲学员" in my_learning and "乙学员" not in my_learning and "甲学员" not in their_learning


def _shared_keys(app) -> set:
    """The shared parts' names (not whole pages kept beneath Flask, app/viewer_pages.py: keys of their own)."""
    return {key[0] for key in app.extensions["shared_parts"]._parts if len(key) == 2}


def test_a_course_edited_shows_on_the_next_my_learning_and_resource_page(app):
    """The courses' titles and lessons are kept for every learner (我的学习's outlines, the resource page's shared
    part): an edit shows on the very next signed-in page, whether made in this process or in another one on the
    same data (`qiuxue worker`, an import, another web process)."""
    course_id, phone, _other = _two_learners(app)
    client = _client(app, phone)
    for _ in range(2):  # the second pages come from what the first ones kept
        assert _done(client.get("/learning").get_data(as_text=True)) == [(0, 2)]
        assert _done(client.get(f"/catalog/r/{course_id}").get_data(as_text=True)) == [(0, 2)]
    assert ("learning.outline", course_id) in _shared_keys(app)
    other = create_app(_config(Path(app.config["DATA_DIR"])))  # another process on the same data
    for title, here in (("叉车安全驾驶（新版）", app), ("叉车安全驾驶（第三版）", other)):
        with here.app_context():  # corrected in the database (as by an operator)
            resource = _db.session.get(Resource, course_id)
            total = len(resource.lessons) + 1
            resource.title = title
            resource.lessons[0].title = f"改过的第一课{total - 1}"
            resource.lessons.append(Lesson(position=total - 1, title=f"新加的第{total}课", type=LessonType.video,
                                           duration_s=30))
            _db.session.commit()
            _db.engine.dispose()
        mine = client.get("/learning").get_data(as_text=True)
        assert title in mine and _done(mine) == [(0, total)] and f"下一课：改过的第一课{total - 1}" in mine
        page = client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
        assert title in page and f"新加的第{total}课" in page and f"改过的第一课{total - 1}" in page
        assert _done(page) == [(0, total)]
        assert _done(client.get("/learning").get_data(as_text=True)) == [(0, total)]  # kept again, current


def test_a_finished_learner_and_a_newcomer_each_see_their_own_box(app):
    """The enrol box and 我的学习 after one learner finished the course: the other enrolled learner, and a worker
    who never enrolled, still see their own state on the same shared parts."""
    course_id, first_phone, second_phone = _two_learners(app)
    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User
        from catalog.models import Resource

        first = _db.session.scalar(select(User).where(User.phone == first_phone))
        resource = _db.session.get(Resource, course_id)
        learner = Learner(first, resource)
        for lesson in resource.lessons:
            _watch_all(learner, lesson)
        newcomer = factories.user("worker", name="丙学员").phone
        _db.session.commit()
    pages = {who: (_client(app, phone).get(f"/catalog/r/{course_id}").get_data(as_text=True),
                   _client(app, phone).get("/learning").get_data(as_text=True))
             for who, phone in (("first", first_phone), ("second", second_phone), ("new", newcomer))}
    assert "您已完成这门课程" in pages["first"][0] and "再学一遍" in pages["first"][1]
    assert _done(pages["second"][0]) == [(0, 2)] and "您已完成" not in pages["second"][0]
    assert _done(pages["second"][1]) == [(0, 2)] and "已完成</h2>" not in pages["second"][1]
    assert "立即学习" in pages["new"][0] and not _done(pages["new"][0]) and "继续学习" not in pages["new"][0]
    assert "还没有报名任何课程" in pages["new"][1] and "叉车安全驾驶" not in pages["new"][1]


def test_my_learning_kept_unchanged_follows_a_new_goal_and_study_time_at_once(app):
    """我的学习's content is kept per the person's own values: the same page again is the same, and a new week goal
    or verified study time shows on the very next request."""
    _course_id, phone, _other = _two_learners(app)
    client = _client(app, phone)
    first = client.get("/learning").get_data(as_text=True)
    assert "/ 60 分钟" in first and client.get("/learning").get_data(as_text=True) == first
    with app.app_context():
        user_id = _db.session.scalar(select(User.id).where(User.phone == phone))
        habits.save_plan(_db.session, user_id, {"window_1": "12:00-12:30", "days_1": "daily", "per_week": "3",
                                                "quiet": "", "goal_minutes": "90", "goal_days": "2"})
        _db.session.commit()
    assert "/ 90 分钟" in client.get("/learning").get_data(as_text=True)
    with app.app_context():
        habits.record_study(_db.session, user_id, 600, utcnow() - timedelta(minutes=1))
        _db.session.commit()
    assert re.search(r"data-week-minutes>10<", client.get("/learning").get_data(as_text=True))
