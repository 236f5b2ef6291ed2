"""Heartbeats through the service and the API: replays and reordering never move progress backwards, seeking
to the end completes nothing, the 90% line is exact, and impossible input gets a 4xx with a stable code."""

from __future__ import annotations

import random

import pytest

from app.extensions import db
from learning.models import LessonProgress
from tests.learning.conftest import page_token


def _row(learner, lesson) -> LessonProgress:
    db.session.expire_all()
    return db.session.query(LessonProgress).filter_by(user_id=learner.user.id, lesson_id=lesson.id).one()


def _watch(learner, lesson, upto: int, step: int = 15):
    """Heartbeats every `step` seconds of real playback from 0 to `upto`; returns their bodies in order."""
    bodies = []
    for start in range(0, upto, step):
        end = min(start + step, upto)
        bodies.append(learner.body(lesson, end, [[start, end]], at_s=end))
    return bodies


def _send(learner, body):
    from learning import heartbeats

    result = heartbeats.record(db.session, learner.user.id, heartbeats.parse(body))
    db.session.commit()
    return result


def test_replayed_and_reordered_heartbeats_end_in_the_same_state(learner):
    """New heartbeats arrive in order (pairs swapped: the page's last beat racing the queue), each followed by
    replays of older ones in any order; then every one again, shuffled."""
    lesson = learner.lesson(0)  # 600 s
    bodies = _watch(learner, lesson, 300)
    rnd = random.Random(7)
    arrivals = []
    for k in range(0, len(bodies), 2):
        arrivals.extend(bodies[k:k + 2][::-1])
        arrivals.extend(rnd.sample(bodies[:k + 2], min(3, k + 2)))
    arrivals.extend(rnd.sample(bodies, len(bodies)))
    covered = 0.0
    for body in arrivals:
        result = _send(learner, body)
        assert result["covered_s"] >= covered  # never backwards, whatever arrives when
        covered = result["covered_s"]
    row = _row(learner, lesson)
    assert row.watched == [[0.0, 300.0]] and row.covered_s == 300
    assert row.position_s == 300  # the newest heartbeat's position, though older ones arrived after it
    version = row.version
    _send(learner, bodies[3])  # one more duplicate: nothing to write
    assert _row(learner, lesson).version == version


def test_resume_point_follows_the_newest_heartbeat_across_lessons(learner):
    first, second = learner.lesson(0), learner.lesson(1)
    learner.beat(first, 30, [[0, 30]], at_s=30)
    newest = learner.body(second, 20, [[0, 20]], at_s=100)
    older = learner.body(first, 45, [[30, 45]], at_s=45)
    _send(learner, newest)
    _send(learner, older)  # replayed late from another phone's queue
    from learning.enrolment import enrolment_of

    found = enrolment_of(db.session, learner.user.id, learner.resource.id)
    db.session.refresh(found)
    assert (found.last_lesson_id, found.last_position_s) == (second.id, 20)


def test_the_heartbeat_statements_read_and_write_what_sqlalchemy_would(learner):
    """They run on the driver's cursor (app.db.DirectStatement): dates, JSON, enums and booleans must come
    back as SQLAlchemy's own execution gives them, and an update must say whether it changed the row."""
    from learning import progress_store

    lesson = learner.lesson(1)
    for start in range(0, 90, 15):
        learner.beat(lesson, start + 15, [[start, start + 15]], at_s=start + 15)  # complete: a date is stamped
    statements, conn = progress_store.statements(), db.session.connection()
    params = {"uid": learner.user.id, "lid": lesson.id, "sid": ""}
    for name in ("context", "snapshot"):
        direct = statements[name].rows(conn, params)
        assert direct == db.session.execute(statements[name].statement, params).all()
    assert direct[0].completed_at is not None and direct[0].watched == [[0.0, 90.0]]
    resume = {"eid": 0, "cms": 1, "seq": 1, "v_lesson": lesson.id, "v_position": 1.0, "v_now": direct[0].first_seen_at}
    assert statements["resume"].rowcount(conn, resume) == 0  # no such enrolment


def test_seeking_to_the_end_does_not_complete(learner):
    lesson = learner.lesson(0)
    learner.beat(lesson, 10, [[0, 10]], at_s=10)
    result = learner.beat(lesson, 600, [[590, 600]], at_s=25)  # dragged the playhead to the end
    assert result["furthest_s"] == 600 and not result["complete"]
    assert result["covered_s"] == 20


def test_rewatching_the_same_minute_counts_once(learner):
    lesson = learner.lesson(0)
    for i in range(10):
        result = learner.beat(lesson, 60, [[0, 60]], at_s=60 * (i + 1))
    assert result["covered_s"] == 60 and not result["complete"]


def test_ninety_percent_completes_and_eighty_nine_point_nine_does_not(learner):
    lesson = learner.lesson(1)  # 100 s
    for start in range(0, 75, 15):
        learner.beat(lesson, start + 15, [[start, start + 15]], at_s=start + 15)
    assert not learner.beat(lesson, 89.9, [[75, 89.9]], at_s=90)["complete"]
    assert learner.beat(lesson, 90, [[89.9, 90]], at_s=91)["complete"]
    row = _row(learner, lesson)
    stamped = row.completed_at
    learner.beat(lesson, 100, [[90, 100]], at_s=101)
    assert _row(learner, lesson).completed_at == stamped  # stamped once


def test_more_than_the_wall_clock_allows_is_refused_and_keeps_what_was_saved(learner):
    from app.errors import Invalid

    lesson = learner.lesson(0)
    learner.beat(lesson, 15, [[0, 15]], at_s=15)
    with pytest.raises(Invalid) as err:  # 5 minutes of video claimed 20 s later
        learner.beat(lesson, 400, [[15, 400]], at_s=35)
    assert err.value.code == "too_much_watched"
    db.session.rollback()
    assert _row(learner, lesson).covered_s == 15
    assert learner.beat(lesson, 75, [[15, 75]], at_s=45)["covered_s"] == 75  # 2x speed is allowed


def _api(client, auth, learner):
    auth.login(learner.user.phone)
    token = page_token(client, f"/learning/lessons/{learner.lesson(0).id}")
    return lambda body, **kw: client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token}, **kw)


BAD = [
    ({"position_s": -1, "watched": []}, 400, "negative_time"),
    ({"position_s": 5, "watched": [[-3, 5]]}, 400, "negative_time"),
    ({"position_s": 700, "watched": []}, 400, "beyond_duration"),
    ({"position_s": 5, "watched": [[0, 900]]}, 400, "beyond_duration"),
    ({"position_s": 5, "watched": [[20, 10]]}, 400, "bad_interval"),
    ({"position_s": 5, "watched": [[0, 500]]}, 400, "too_much_watched"),
    ({"position_s": "5", "watched": []}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": [[0]]}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": "0-10"}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": [[0, 1]] * 201}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": [], "seq": -1}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": [], "client_time": "yesterday"}, 400, "bad_heartbeat"),
    ({"position_s": 5, "watched": [], "lesson_id": 999999}, 404, "lesson_not_found"),
    ({"position_s": 5, "watched": [], "lesson_id": True}, 400, "bad_heartbeat"),
    ({"position_s": float("nan"), "watched": []}, 400, "bad_heartbeat"),
]


def test_every_bad_heartbeat_gets_a_stable_code_and_changes_nothing(client, auth, learner):
    post = _api(client, auth, learner)
    lesson = learner.lesson(0)
    assert post(learner.body(lesson, 10, [[0, 10]], at_s=10)).status_code == 200
    for change, status, code in BAD:
        body = {**learner.body(lesson, 0, [], at_s=20), **change}
        if isinstance(body["position_s"], float) and body["position_s"] != body["position_s"]:
            raw = f'{{"lesson_id": {lesson.id}, "position_s": NaN, "watched": [], "client_time": 1, "seq": 1}}'
            response = client.post("/api/v1/progress", data=raw, content_type="application/json",
                                   headers={"X-CSRFToken": page_token(client, f"/learning/lessons/{lesson.id}")})
        else:
            response = post(body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), change
    assert post("not json").status_code == 400
    assert _row(learner, lesson).covered_s == 10


def test_api_refuses_strangers_and_the_unenrolled(client, auth, learner, app):
    body = learner.body(learner.lesson(0), 10, [[0, 10]], at_s=10)
    response = client.post("/api/v1/progress", json=body)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    auth.as_role("worker")  # someone who never enrolled
    token = page_token(client, f"/catalog/r/{learner.resource.id}")
    response = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_enrolled"
    auth.logout()
    response = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": page_token(client, "/auth/login")})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "login_required"


def test_concurrent_heartbeats_for_one_row_lose_nothing(app, learner):
    """Eight threads, each its own session, send disjoint seconds of the same lesson at once (two seconds a minute,
    so that the learner's clock pays for those arriving out of order from its slack)."""
    import threading

    lesson_id, user_id = learner.lesson(0).id, learner.user.id
    bodies = [learner.body(learner.lesson(0), (i + 1) * 2, [[i * 2, (i + 1) * 2]], at_s=(i + 1) * 60)
              for i in range(24)]
    errors: list[BaseException] = []

    def run(chunk):
        from learning import heartbeats

        with app.app_context():
            try:
                for body in chunk:
                    for _attempt in range(5):
                        try:
                            heartbeats.record(db.session, user_id, heartbeats.parse(body))
                            db.session.commit()
                            break
                        except Exception as exc:  # noqa: BLE001 - "database is locked" retried like the view
                            db.session.rollback()
                            if "locked" not in str(exc):
                                raise
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(bodies[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.expire_all()
    row = db.session.query(LessonProgress).filter_by(user_id=user_id, lesson_id=lesson_id).one()
    assert row.watched == [[0.0, 48.0]] and row.position_s == 48
