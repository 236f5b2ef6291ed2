"""A signed-in learner's own part of the pages (the resource page's enrol box, 我的学习) is read fresh on every
request around the shared parts: progress shows on the very next page, and one learner never sees another's."""

from __future__ import annotations

import re

from app.extensions import db as _db
from tests import factories
from tests.conftest import Auth
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
