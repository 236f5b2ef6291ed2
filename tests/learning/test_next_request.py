"""Nothing stale on a signed-in person's next request: with the list, menu section and 我的学习 already kept
(app/sharedparts.py, the generation files read once per request) and the anonymous list page answered before
Flask (app/pagecache.py), a new enrolment, progress, a newly published resource and an edit, made here or in
another process on the same data, show on the person's very next page."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.extensions import db as _db
from catalog.models import Resource
from learning import enrolment
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import Auth, _config
from tests.learning.conftest import Learner, make_course
from tests.learning.test_completion import _watch_all

PAGES = ("/catalog/all", "/catalog/menu/skills", "/learning")
DONE = re.compile(r"已完成 (\d+) / (\d+) 课时")


def _setting_up(app: Flask) -> tuple[int, str]:
    """A published two-video course (in 技能培训) and a worker not yet enrolled in it."""
    with app.app_context():
        course = make_course(title="叉车安全驾驶", videos=("0:30", "0:30"), reading=False, external=False)
        worker = factories.user("worker", name="甲学员")
        _db.session.commit()
        return course.id, worker.phone


def _pages_kept(client) -> dict[str, str]:
    """Each page twice: the second comes from what the first kept."""
    for url in PAGES:
        client.get(url)
    return {url: client.get(url).get_data(as_text=True) for url in PAGES}


def _in(here: Flask, change) -> None:
    with here.app_context():
        change()
        _db.session.commit()
        _db.engine.dispose()


def test_enrolment_progress_publishing_and_edits_show_on_the_next_page(app):
    course_id, phone = _setting_up(app)
    app.extensions["page_cache"].ttl = 60  # anonymous pages kept too, as in production
    anonymous = app.test_client()
    client = app.test_client()
    Auth(app, client).login(phone)
    assert "还没有报名任何课程" in _pages_kept(client)["/learning"]
    other = create_app(_config(Path(app.config["DATA_DIR"])))  # `qiuxue worker`, an import, another web process
    for number, here in enumerate((app, other), 1):
        anonymous.get("/catalog/all")
        assert anonymous.get("/catalog/all").headers.get("X-Page-Cache") == "hit"

        def user() -> User:
            return _db.session.scalar(select(User).where(User.phone == phone))

        if number == 1:
            _in(here, lambda: enrolment.enrol(_db.session, user(), course_id))
            mine = client.get("/learning").get_data(as_text=True)
            assert "叉车安全驾驶" in mine and DONE.findall(mine) == [("0", "2")]

        def watch(index: int = number - 1) -> None:
            course = _db.session.get(Resource, course_id)
            _watch_all(Learner(user(), course), course.lessons[index])

        _in(here, watch)
        assert DONE.findall(client.get("/learning").get_data(as_text=True)) == [(str(number), "2")]
        _pages_kept(client)
        _in(here, lambda n=number: make(title=f"新发布的课程{n}", kind="course", category="skills-construction",
                                        lesson_count=1, publish=True))

        def rename(n: int = number) -> None:
            _db.session.get(Resource, course_id).title = f"叉车安全驾驶（第{n + 1}版）"

        _in(here, rename)
        pages = {url: client.get(url).get_data(as_text=True) for url in PAGES}
        for url in ("/catalog/all", "/catalog/menu/skills"):
            assert f"新发布的课程{number}" in pages[url], url
            assert f"叉车安全驾驶（第{number + 1}版）" in pages[url], url
        assert f"叉车安全驾驶（第{number + 1}版）" in pages["/learning"]
        assert "甲学员" in pages["/catalog/all"]  # the person's own page, never the anonymous one kept
        assert "甲学员" not in anonymous.get("/catalog/all").get_data(as_text=True)
