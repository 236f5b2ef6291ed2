"""Heartbeats through the HTTP API under concurrency (on SQLite they are committed in groups by one writer
thread; on PostgreSQL each request writes), and the session check that replaces loading the user."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from learning.models import LessonProgress
from tests import factories
from tests.conftest import _config, post_form
from tests.learning.conftest import page_token
from tests.learning.test_heartbeats import _api


def _login(app, phone: str, lesson_id: int) -> tuple[FlaskClient, str]:
    """In a thread of its own: the test's app context (and Flask-Login's user cached in it) is not shared."""
    client = app.test_client()
    post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD})
    return client, page_token(client, f"/learning/lessons/{lesson_id}")


def test_concurrent_learners_through_the_api_lose_nothing_and_bad_beats_stay_alone(app, learner):
    """Six learners send their heartbeats at once from six threads, each with one impossible heartbeat mixed in:
    every good one is kept, every bad one is refused with its code, and nobody's row moves backwards."""
    lesson = learner.lesson(0)
    people = learner.with_classmates(5)
    answers: dict[int, list[tuple[int, str]]] = {user.id: [] for user in people}
    ready = threading.Barrier(len(people))

    bodies = learner.steady(lesson, 20)
    bodies[7] = {**bodies[7], "watched": [[0, 599]], "seq": 99}  # far more than the wall clock allows
    lesson_id = lesson.id

    def run(phone: str, uid: int) -> None:
        client, token = _login(app, phone, lesson_id)
        ready.wait()
        for body in bodies:
            response = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})
            answers[uid].append((response.status_code, (response.get_json().get("error") or {}).get("code", "")))

    threads = [threading.Thread(target=run, args=(user.phone, user.id)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    for user in people:
        assert answers[user.id].count((400, "too_much_watched")) == 1
        assert answers[user.id].count((200, "")) == 19
        row = db.session.query(LessonProgress).filter_by(user_id=user.id, lesson_id=lesson.id).one()
        assert row.watched == [[0.0, 105.0], [120.0, 300.0]] and row.position_s == 300  # minute 105-120 was refused


def test_a_password_change_or_a_disabled_account_ends_the_heartbeats_of_old_sessions(client, auth, learner):
    post = _api(client, auth, learner)
    lesson = learner.lesson(0)
    assert post(learner.body(lesson, 10, [[0, 10]], at_s=10)).status_code == 200
    learner.user.session_version += 1  # what changing the password on another phone does
    db.session.commit()
    response = post(learner.body(lesson, 25, [[10, 25]], at_s=25))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "login_required"
    learner.user.session_version -= 1
    learner.user.is_active_account = False
    db.session.commit()
    response = post(learner.body(lesson, 25, [[10, 25]], at_s=25))
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "login_required"
    db.session.expire_all()
    assert db.session.query(LessonProgress).filter_by(user_id=learner.user.id).one().covered_s == 10


@pytest.mark.app_config(SQLITE_BUSY_TIMEOUT_S=0.5)  # each of the writer's three tries waits this, not 5 s
def test_a_heartbeat_that_waits_too_long_for_the_database_is_answered_busy_and_kept_by_the_player(app, client, auth,
                                                                                                    learner):
    """Another process holds SQLite's write lock past every retry of the group writer: the answer is 503 `busy` with
    Retry-After (the player's queue keeps the heartbeat), not a 500; sent again once the lock is gone, it counts."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL writers wait on rows")
    post = _api(client, auth, learner)
    body = learner.body(learner.lesson(0), 10, [[0, 10]], at_s=10)
    holder = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another server process in the middle of its writes
    try:
        refused = post(body)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0  # (the rate limiter's, if sooner)
    assert refused.get_json()["error"]["code"] == "busy"
    assert post(body).status_code == 200
    db.session.expire_all()
    assert db.session.query(LessonProgress).filter_by(user_id=learner.user.id).one().watched == [[0.0, 10.0]]


def test_sqlite_connections_wait_five_seconds_for_a_lock_unless_set_otherwise(app, tmp_path):
    """SQLITE_BUSY_TIMEOUT_S reaches SQLite's busy timeout (the test above waits 0.5 s a try with it)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's busy timeout")
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    shorter = create_app({**_config(tmp_path / "other"), "SQLITE_BUSY_TIMEOUT_S": 0.5})
    with shorter.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 500
        db.session.remove()
        db.engine.dispose()


def test_a_heartbeat_answered_busy_leaves_the_learner_s_clock_as_it_was(app, client, auth, learner):
    """Another writer moves the learner's progress row each time this heartbeat pays its seconds (a trigger here,
    racing requests in life): after its eight compare-and-set tries it is answered 409 `busy`, and the seconds it
    paid from the learner's clock are given back, so its retry is not refused as too fast."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: a busy heartbeat's transaction is rolled back whole (DirectWriter)")
    from learning.models import LearnerClock

    post = _api(client, auth, learner)
    lesson = learner.lesson(0)
    assert post(learner.body(lesson, 15, [[0, 15]], at_s=15)).status_code == 200
    db.session.expire_all()
    before = db.session.query(LearnerClock).filter_by(user_id=learner.user.id).one()
    before = (before.cursor_ms, before.spare_s)
    db.session.execute(text("CREATE TRIGGER racing AFTER UPDATE ON learner_clocks BEGIN UPDATE lesson_progress "
                            "SET version = version + 1 WHERE user_id = NEW.user_id; END"))
    db.session.commit()
    busy = post(learner.body(lesson, 30, [[15, 30]], at_s=30))
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "busy"
    db.session.expire_all()
    clock = db.session.query(LearnerClock).filter_by(user_id=learner.user.id).one()
    assert (clock.cursor_ms, clock.spare_s) == before
    db.session.execute(text("DROP TRIGGER racing"))
    db.session.commit()
    assert post(learner.body(lesson, 30, [[15, 30]], at_s=30)).status_code == 200
