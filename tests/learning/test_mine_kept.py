"""我的学习 on SQLite is kept per the learner's change token (app/person_tokens.py) and read no row when nothing
changed: every way the site writes a learner's rows shows on the very next page, one learner's writes never reach
another's page, and a write made into the database file by another program shows once the kept page expires. On
PostgreSQL (several hosts, no shared token file) the page reads the rows every time, so such a write shows at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.models import User
from app.extensions import db as _db
from catalog.models import Resource
from learning import habits
from tests import factories
from tests.conftest import TEST_DATABASE_URL, Auth, _config, post_form
from tests.learning.conftest import Learner, enrol_back_dated, make_course, page_token

DONE = re.compile(r"已完成 (\d+) / (\d+) 课时")
WEEK_MINUTES = re.compile(r"<strong data-week-minutes>(\d+)</strong> / (\d+) 分钟")
sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the change tokens are SQLite's")


def _setup(app, learners: int = 1):
    """A course (two 30 s videos, an external lesson) the workers are enrolled in, and a second one nobody is."""
    with app.app_context():
        course = make_course(title="叉车安全驾驶", videos=("0:30", "0:30"), reading=False, external=True)
        other = make_course(title="电工安全操作", videos=("0:30",), reading=False, external=False)
        users = [factories.user("worker", name=f"学员{i}") for i in range(learners)]
        for user in users:
            enrol_back_dated(user, course)
        _db.session.commit()
        return course.id, other.id, [user.phone for user in users]


def _client(app, phone: str):
    client = app.test_client()
    Auth(app, client).login(phone)
    return client


def _learner(phone: str, course_id: int) -> Learner:
    user = _db.session.scalar(select(User).where(User.phone == phone))
    return Learner(user, _db.session.get(Resource, course_id))


def _mine(client) -> str:
    response = client.get("/learning")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _week(page: str) -> tuple[int, int]:
    found = WEEK_MINUTES.search(page)
    assert found, page
    return int(found.group(1)), int(found.group(2))


def _beats(client, token: str, learner: Learner, lesson, spans: list[tuple[int, int]]) -> None:
    """Heartbeats through the API (on SQLite: the group writer's transaction)."""
    for start, end in spans:
        response = client.post("/api/v1/progress", json=learner.body(lesson, end, [[start, end]], at_s=end),
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)


def test_every_write_to_the_learners_rows_shows_on_the_next_page(app):
    course_id, other_id, [phone] = _setup(app)
    client = _client(app, phone)
    with app.app_context():
        learner = _learner(phone, course_id)
        video, second, external = learner.resource.lessons
        lesson_ids = video.id, second.id, external.id
    token = page_token(client, f"/learning/lessons/{lesson_ids[0]}")
    first = _mine(client)
    assert _mine(client) == first  # kept: the same page again
    assert "电工安全操作" not in first and DONE.findall(first) == [("0", "3")]

    # enrolment (the resource page's one tap)
    post_form(client, f"/learning/enrol/{other_id}", {}, source=f"/catalog/r/{other_id}")
    page = _mine(client)
    assert "电工安全操作" in page and DONE.findall(page).count(("0", "1")) == 1

    # a heartbeat (the API, the group writer on SQLite): the resume point
    with app.app_context():
        learner = _learner(phone, course_id)
        video = learner.resource.lessons[0]
        _beats(client, token, learner, video, [(0, 10)])
        assert "0:10" in _mine(client)
        # the lesson completed by heartbeats
        _beats(client, token, learner, video, [(10, 25), (25, 30)])
        assert ("1", "3") in DONE.findall(_mine(client))
        second = learner.resource.lessons[1]
        _beats(client, token, learner, second, [(0, 15), (15, 30)])
        assert ("2", "3") in DONE.findall(_mine(client))

    # completion of an external lesson, which completes the course
    assert "再学一遍" not in _mine(client)
    post_form(client, f"/learning/lessons/{lesson_ids[2]}/confirm", {}, source=f"/learning/lessons/{lesson_ids[2]}")
    page = _mine(client)
    assert ("3", "3") in DONE.findall(page) and "再学一遍" in page

    # the study plan's week goal
    minutes, goal = _week(page)
    assert goal == 60
    post_form(client, "/learning/plan", {"window_1": "12:00-12:30", "days_1": "daily", "per_week": "3",
                                         "quiet": "", "goal_minutes": "90", "goal_days": "3"})
    assert _week(_mine(client)) == (minutes, 90)

    # verified study seconds of the day (written on the driver's cursor, as a heartbeat writes them)
    with app.app_context():
        habits.record_study(_db.session, learner.user.id, 180)
        _db.session.commit()
    assert _week(_mine(client)) == (minutes + 3, 90)

    # the catalog: a course's new title
    with app.app_context():
        _db.session.get(Resource, other_id).title = "电工安全操作（新版）"
        _db.session.commit()
    assert "电工安全操作（新版）" in _mine(client)


def test_one_learners_progress_never_reaches_another_learners_page(app):
    course_id, _other, phones = _setup(app, learners=2)
    first, second = (_client(app, phone) for phone in phones)
    with app.app_context():
        lesson_id = _learner(phones[1], course_id).resource.lessons[0].id
    token = page_token(second, f"/learning/lessons/{lesson_id}")
    before = _mine(first)
    assert "学员0" in before and "0:25" not in _mine(second)
    with app.app_context():
        learner = _learner(phones[1], course_id)
        _beats(second, token, learner, learner.resource.lessons[0], [(0, 15), (15, 25)])
    assert "0:25" in _mine(second) and "学员1" in _mine(second)
    page = _mine(first)
    assert page == before and "0:25" not in page and "学员1" not in page


@sqlite_only
def test_a_write_by_another_program_shows_once_the_kept_page_expires(app):
    """sqlite3 on the command line (or any program but the site) moves no token: the kept page is used until it
    expires (PERSON_PAGE_SECONDS, 60 s by default; 2 s here), then the rows are read again."""
    course_id, _other, [phone] = _setup(app)
    seconds = 2.0
    kept = create_app({**_config(Path(app.config["DATA_DIR"])), "PERSON_PAGE_SECONDS": seconds})
    client = _client(kept, phone)
    with kept.app_context():
        learner = _learner(phone, course_id)
        user_id, lesson_id = learner.user.id, learner.resource.lessons[0].id
    made = time.monotonic()
    assert "0:12" not in _mine(client)
    outside = sqlite3.connect(make_url(kept.config["SQLALCHEMY_DATABASE_URI"]).database)
    with outside:
        outside.execute("UPDATE enrolments SET last_lesson_id = ?, last_position_s = 12 WHERE user_id = ?",
                        (lesson_id, user_id))
    outside.close()
    page = _mine(client)
    if time.monotonic() - made < seconds:  # a machine stalled for seconds has let it expire already
        assert "0:12" not in page  # still the kept page
    time.sleep(max(0.0, made + seconds + 0.1 - time.monotonic()))
    assert "0:12" in _mine(client)
    with kept.app_context():
        _db.engine.dispose()


@sqlite_only
def test_the_sites_sqlite_connections_track_writes_and_keep_their_pragmas(app):
    """The connections are app.person_tokens.TrackedConnection (a subclass of sqlite3.Connection): foreign keys and
    WAL are still set on them (a check of the type's module once missed a subclass)."""
    with app.app_context():
        assert _db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert _db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert _db.session.execute(text(
            "SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'")).scalar() == 12


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
def test_on_postgresql_the_page_reads_the_rows_every_time(app):
    """Several hosts may serve the site with no shared disk for the tokens: a write made elsewhere (another host,
    here another connection) shows on the very next page."""
    course_id, _other, [phone] = _setup(app)
    client = _client(app, phone)
    with app.app_context():
        assert "person_tokens" not in app.extensions
        learner = _learner(phone, course_id)
        user_id, lesson_id = learner.user.id, learner.resource.lessons[0].id
    assert "0:12" not in _mine(client)
    engine = create_engine(TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("UPDATE enrolments SET last_lesson_id = :l, last_position_s = 12 WHERE user_id = :u"),
                     {"l": lesson_id, "u": user_id})
    engine.dispose()
    assert "0:12" in _mine(client)
