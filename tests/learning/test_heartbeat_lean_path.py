"""The heartbeat's lean path (app.lean_paths: only the request hooks every request needs) attacked as a forger would:
no session, a missing or wrong CSRF token, someone else's enrolment, more seconds than the clock allows, too many
heartbeats. Each is refused with its code and leaves no progress behind; the headers every response carries are
still sent."""

from __future__ import annotations

from learning.habit_models import StudyDay
from learning.models import Enrolment, LessonProgress
from tests import factories
from tests.conftest import csrf_token
from tests.learning.conftest import Learner, enrol_back_dated, make_course, page_token
from tests.learning.test_heartbeats import _api


def _code(response) -> str:
    return (response.get_json() or {}).get("error", {}).get("code", "")


def _rows(db, user_id: int) -> list[LessonProgress]:
    db.session.expire_all()
    return db.session.query(LessonProgress).filter_by(user_id=user_id).all()


def test_without_a_session_or_a_good_token_nothing_is_recorded(app, db, client, auth, learner):
    body = learner.body(learner.lesson(0), 10, [[0, 10]], at_s=10)
    anonymous = app.test_client()
    answer = anonymous.post("/api/v1/progress", json=body, headers={"X-CSRFToken": "x"})
    assert answer.status_code == 400 and _code(answer) == "csrf_failed"  # no session holds a token to match
    auth.login(learner.user.phone)
    token = page_token(client, f"/learning/lessons/{learner.lesson(0).id}")
    stolen = app.test_client()  # the token of a signed-in page, sent without that learner's cookie
    answer = stolen.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 400 and _code(answer) == "csrf_failed"
    for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": token[:-2]}):
        answer = client.post("/api/v1/progress", json=body, headers=headers)
        assert answer.status_code == 400 and _code(answer) == "csrf_failed", headers
    assert _rows(db, learner.user.id) == []
    answer = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["covered_s"] == 10
    # what every response carries, on the lean path too
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and answer.headers["X-Request-ID"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_visitors_good_token_without_anyone_signed_in_is_refused_401(app):
    """No `db` fixture: its app context (and the token Flask-WTF keeps in `g`) would be shared with other clients."""
    visitor = app.test_client()
    body = {"lesson_id": 1, "position_s": 10, "watched": [[0, 10]], "client_time": 1_700_000_000_000, "seq": 1}
    answer = visitor.post("/api/v1/progress", json=body, headers={"X-CSRFToken": csrf_token(visitor, "/auth/login")})
    assert answer.status_code == 401 and _code(answer) == "login_required"


def test_a_learner_cannot_record_progress_on_someone_elses_course(db, client, auth, learner):
    """The forger is signed in with a good token but is not enrolled in the other course: 409 not_enrolled, and the
    enrolled classmate's progress and resume point stay as they were."""
    other = make_course("叉车安全")
    classmate = factories.user("worker")
    enrol_back_dated(classmate, other)
    db.session.commit()
    Learner(classmate, other).beat(other.lessons[0], 30, [[0, 30]], at_s=30)
    post = _api(client, auth, learner)
    answer = post(learner.body(other.lessons[0], 600, [[0, 600]], at_s=3600))
    assert answer.status_code == 409 and _code(answer) == "not_enrolled"
    assert _rows(db, learner.user.id) == []
    (kept,) = _rows(db, classmate.id)
    assert kept.covered_s == 30 and kept.position_s == 30
    resume = db.session.query(Enrolment).filter_by(user_id=classmate.id, resource_id=other.id).one()
    assert resume.last_position_s == 30


def test_forged_seconds_are_refused_and_counted_without_paying_study_time(db, client, auth, learner):
    post = _api(client, auth, learner)
    lesson = learner.lesson(0)
    assert post(learner.body(lesson, 15, [[0, 15]], at_s=15)).status_code == 200
    forged = post(learner.body(lesson, 500, [[15, 500]], at_s=30))  # 485 s claimed 15 s later
    assert forged.status_code == 400 and _code(forged) == "too_much_watched"
    twice = post(learner.body(lesson, 30, [[15, 30], [15, 30]], at_s=30, seq=99))
    assert twice.status_code == 200 and twice.get_json()["covered_s"] == 30  # the same seconds count once
    (row,) = _rows(db, learner.user.id)
    assert row.watched == [[0.0, 30.0]]
    assert sum(day.seconds for day in db.session.query(StudyDay).filter_by(user_id=learner.user.id)) == 30
    enrolled = db.session.query(Enrolment).filter_by(user_id=learner.user.id).one()
    assert enrolled.refusals == 1 and enrolled.last_refusal == "too_much_watched"


def test_too_many_heartbeats_are_refused_429(app, db, client, auth, learner):
    app.config["RATE_LIMIT_HEARTBEAT"] = "3 per hour"
    post = _api(client, auth, learner)
    lesson = learner.lesson(0)
    answers = [post(body) for body in learner.steady(lesson, 5)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert _code(answers[3]) == "too_many_requests" and int(answers[3].headers["Retry-After"]) > 0
    (row,) = _rows(db, learner.user.id)
    assert row.covered_s == 45


def test_the_lean_path_skips_only_hooks_made_for_pages(app):
    """Every app-wide hook not marked `every_request` is passed over on the heartbeat's path: this list is the
    decision, so a new hook that guards every request fails here until it is marked (or added as page-only)."""
    from app.lean_paths import EVERY_REQUEST

    skipped = sorted(getattr(hook, "__qualname__", repr(hook)).rsplit(".", 1)[-1]
                     for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
                     for hook in registry.get(None, []) if not getattr(hook, EVERY_REQUEST, False))
    assert skipped == sorted([
        "refuse_json_outside_api",  # the heartbeat is /api/
        "refuse_nul_characters",  # query strings and forms: a heartbeat has neither (its JSON is checked apart)
        "serve_cached", "store",  # the page cache: GET pages
        "light",  # compressing HTML, CSS and JS
        "_update_remember_cookie",  # Flask-Login's remember cookie, set and cleared by the login pages
        "read_on_opening",  # notifications read by opening their page
        "_remember_via",  # programme: where a page was reached from
        "study_page_for_learners",  # the catalog's lesson page
        "cut",  # app.viewer_pages: a signed-in page kept for its own path
        "unless_lean", "unless_lean", "unless_lean",  # Flask-Limiter's hooks (the heartbeat is counted by `Counted`)
    ]), skipped
    assert "learning_api.progress" in app.extensions["lean_endpoints"]
