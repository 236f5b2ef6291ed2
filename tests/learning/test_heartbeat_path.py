"""The heartbeat's WSGI path beneath Flask (learning.heartbeat_path) attacked: each attack is sent by a signed-in
learner with a good CSRF token, after a good heartbeat, and the path's counters say which layer answered. Refusals,
the rate limit, someone else's course, a logged-out or disabled account: answered with their codes, by Flask's error
handlers, and nothing kept; a forged token, no session, a bad body: passed to Flask untouched. Answers carry the
same headers on both paths; a new app-wide hook sends every heartbeat to Flask."""

from __future__ import annotations

import dataclasses

import pytest

from app.lean_paths import every_request
from app.limits import by_address
from app.observability import metrics
from learning.heartbeat_path import HeartbeatPath
from learning.models import Enrolment, LessonProgress
from tests import factories
from tests.learning.conftest import Learner, enrol_back_dated, make_course
from tests.learning.test_heartbeats import _api


def _path(app) -> HeartbeatPath:
    layer = app.wsgi_app
    while not isinstance(layer, HeartbeatPath):
        layer = layer.wsgi
    return layer


def _code(response) -> str:
    return (response.get_json() or {}).get("error", {}).get("code", "")


@pytest.fixture
def warm(app, client, auth, learner):
    """(post, path): a signed-in learner whose first heartbeat (15 s) was answered, the path's counters then zeroed."""
    post = _api(client, auth, learner)
    path = _path(app)
    assert post(learner.body(learner.lesson(0), 15, [[0, 15]], at_s=15)).status_code == 200
    path.answered = path.passed = path.handed = 0
    return post, path


def _covered(db, user_id: int) -> float:
    db.session.expire_all()
    return sum(row.covered_s for row in db.session.query(LessonProgress).filter_by(user_id=user_id))


def test_a_good_heartbeat_is_answered_beneath_flask_with_every_header_flask_sends(app, warm, client, learner, db):
    post, path = warm
    app.config["TRUSTED_HOSTS"] = ["localhost"]  # a setting the new path leaves to Flask: this one goes there
    flask_answer = post(learner.body(learner.lesson(0), 15, [[0, 15]], at_s=15, seq=1))  # a duplicate
    assert flask_answer.status_code == 200 and path.passed == 1 and path.answered == 0
    app.config["TRUSTED_HOSTS"] = None
    counted = metrics.REQUESTS.labels("learning_api.progress", "POST", "200")._value.get()
    answer = client.post("/api/v1/progress", json=learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30),
                         headers={"X-CSRFToken": _token_of(post), "X-Request-ID": "player-42"})
    assert answer.status_code == 200 and answer.get_json()["covered_s"] == 30
    assert path.answered == 1 and path.passed == 1
    assert answer.headers["X-Request-ID"] == "player-42" and answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in answer.headers
    assert answer.headers["Content-Type"] == "application/json" and answer.headers["Vary"] == "Cookie"
    assert sorted(answer.headers.keys()) == sorted(flask_answer.headers.keys())
    assert metrics.REQUESTS.labels("learning_api.progress", "POST", "200")._value.get() == counted + 1
    assert _covered(db, learner.user.id) == 30


def _token_of(post) -> str:
    """The token `_api`'s poster sends."""
    for cell in post.__closure__ or ():
        if isinstance(cell.cell_contents, str):
            return cell.cell_contents
    raise AssertionError("no token")


def test_forged_seconds_are_refused_on_the_new_path_and_counted_once(warm, learner, db):
    post, path = warm
    forged = post(learner.body(learner.lesson(0), 500, [[15, 500]], at_s=30))
    assert forged.status_code == 400 and _code(forged) == "too_much_watched"
    assert path.handed == 1 and path.passed == 0
    assert forged.headers["X-Content-Type-Options"] == "nosniff" and forged.headers["X-Request-ID"]
    assert _covered(db, learner.user.id) == 15
    enrolled = db.session.query(Enrolment).filter_by(user_id=learner.user.id).one()
    assert enrolled.refusals == 1 and enrolled.last_refusal == "too_much_watched"


def test_someone_elses_course_is_refused_on_the_new_path(warm, learner, db):
    post, path = warm
    other = make_course("叉车安全")
    classmate = factories.user("worker")
    enrol_back_dated(classmate, other)
    db.session.commit()
    Learner(classmate, other).beat(other.lessons[0], 30, [[0, 30]], at_s=30)
    answer = post(learner.body(other.lessons[0], 600, [[0, 600]], at_s=3600))
    assert answer.status_code == 409 and _code(answer) == "not_enrolled" and path.handed == 1
    assert _covered(db, learner.user.id) == 15 and _covered(db, classmate.id) == 30


def test_too_many_heartbeats_are_refused_429_on_the_new_path(app, warm, learner, db):
    post, path = warm
    app.config["RATE_LIMIT_HEARTBEAT"] = "3 per hour"  # a new limit: the warm-up's heartbeat is not in its count
    answers = [post(body) for body in learner.steady(learner.lesson(0), 6)[1:]]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert _code(answers[3]) == "too_many_requests" and int(answers[3].headers["Retry-After"]) > 0
    assert path.answered == 3 and path.handed == 2 and path.passed == 0
    assert _covered(db, learner.user.id) == 60


def test_a_logged_out_or_disabled_account_is_refused_on_the_new_path(warm, learner, db):
    post, path = warm
    learner.user.session_version += 1  # a password change elsewhere ends this session
    db.session.commit()
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 401 and _code(answer) == "login_required"
    learner.user.session_version -= 1
    learner.user.is_active_account = False
    db.session.commit()
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 401 and _code(answer) == "login_required"
    assert path.handed == 2 and path.answered == 0
    assert _covered(db, learner.user.id) == 15


def test_a_forged_token_no_session_or_a_bad_body_goes_to_flask(app, warm, client, learner, db):
    post, path = warm
    body = learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30)
    token = _token_of(post)
    for headers in ({}, {"X-CSRFToken": token[:-2]}, {"X-CSRFToken": "forged"}):
        answer = client.post("/api/v1/progress", json=body, headers=headers)
        assert answer.status_code == 400 and _code(answer) == "csrf_failed", headers
    stranger = app.test_client()  # the token without the learner's cookie
    assert _code(stranger.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})) == "csrf_failed"
    for bad in ('{"lesson_id": 1e999}', "[1, 2", '{"lesson_id": "x"}'):
        answer = client.post("/api/v1/progress", data=bad, content_type="application/json",
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 400, bad
    answer = client.post("/api/v1/progress", data="lesson_id=1", headers={"X-CSRFToken": token})
    assert answer.status_code == 400
    # a Content-Length of '²' (a latin-1 byte): a digit to str.isdigit, not to int(); this path raised a 500
    answer = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token},
                         environ_overrides={"CONTENT_LENGTH": "²"})
    assert answer.status_code < 500
    assert path.answered == 0 and path.handed == 0 and path.passed == 4 + 5
    assert _covered(db, learner.user.id) == 15


def test_an_app_wide_hook_not_done_by_the_new_path_sends_heartbeats_to_flask(app, warm, learner):
    post, path = warm
    seen = []

    @every_request
    def audit_every_request() -> None:
        seen.append(1)

    app.before_request_funcs[None].append(audit_every_request)  # as a module's init_app would have
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 200 and seen == [1] and path.answered == 0 and path.passed == 1


def test_a_new_token_is_verified_on_the_new_path_and_an_old_or_foreign_one_goes_to_flask(app, client, auth, learner,
                                                                                          db):
    import time

    from itsdangerous import URLSafeTimedSerializer

    post = _api(client, auth, learner)
    path = _path(app)
    path.answered = path.passed = path.handed = 0
    assert post(learner.body(learner.lesson(0), 15, [[0, 15]], at_s=15)).status_code == 200
    assert path.answered == 1 and path.passed == 0  # its first heartbeat: the token's signature checked here
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    foreign = URLSafeTimedSerializer("another key", salt="wtf-csrf-token").dumps(raw)  # the right value, wrong key
    body = learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30)
    answer = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": foreign})
    assert answer.status_code == 400 and _code(answer) == "csrf_failed" and path.passed == 1
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    time.sleep(2.1)
    answer = post(body)  # the page's token, now too old
    assert answer.status_code == 400 and _code(answer) == "csrf_failed" and path.passed == 2
    assert path.answered == 1 and path.handed == 0 and _covered(db, learner.user.id) == 15


def test_a_permanent_session_has_its_cookie_refreshed_on_the_new_path_as_flask_refreshes_it(client, warm, learner):
    post, path = warm
    with client.session_transaction() as session:
        session.permanent = True  # SESSION_REFRESH_EACH_REQUEST: every answer sends the cookie again
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 200 and path.answered == 1
    assert "Expires=" in answer.headers["Set-Cookie"] and answer.headers["Vary"] == "Cookie"
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Content-Type"] == "application/json"


def test_a_refusal_on_the_new_path_speaks_the_learners_language(client, warm, learner):
    post, path = warm
    client.set_cookie("lang", "en")
    forged = post(learner.body(learner.lesson(0), 500, [[15, 500]], at_s=30))
    assert forged.status_code == 400 and path.handed == 1
    assert forged.get_json()["error"]["message"] == ("The reported viewing time is longer than the time that has "
                                                     "actually passed.")
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 200 and path.answered == 1


def test_a_heartbeat_limit_counted_by_anything_but_the_learner_sends_heartbeats_to_flask(app, warm, learner):
    """The new path counts the learner (app.limits.by_learner); a limit keyed otherwise is Flask's to count."""
    post, path = warm
    counted = app.extensions["qiuxue_counted"]["learning_api.progress"]
    counted.limit = dataclasses.replace(counted.limit, key=by_address)
    path._shape = ()  # as when a hook list changes: the path looks at the app again
    answer = post(learner.body(learner.lesson(0), 30, [[15, 30]], at_s=30))
    assert answer.status_code == 200 and path.answered == 0 and path.passed == 1
