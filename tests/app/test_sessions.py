"""Logging out ends the session on the server (issue 17, item 8), performed as attacks: a copy of the session
cookie or of the remember-me cookie taken before logout is replayed afterwards, on pages and on the heartbeat
API. No `db` fixture where several clients take turns: its app context (and Flask-Login's user in it) would be
shared by their requests."""

from __future__ import annotations

import time
from datetime import timedelta

from app import audit
from app.accounts.models import User, UserSession
from app.extensions import db as _db
from tests import factories
from tests.conftest import post_form
from tests.learning.conftest import course, learner, page_token  # noqa: F401 - fixtures

SESSION, REMEMBER = "session", "remember_token"


def _cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, name
    return found.value


def _worker(app) -> str:
    with app.app_context():
        phone = factories.user("worker").phone
        _db.session.commit()
    return phone


def _login(client, phone: str, remember: bool = True):
    data = {"phone": phone, "password": factories.PASSWORD, **({"remember": "y"} if remember else {})}
    assert post_form(client, "/auth/login", data).status_code == 302


def _copy(app, name: str, value: str):
    thief = app.test_client()
    thief.set_cookie(name, value)
    return thief


def test_a_session_cookie_copied_before_logout_stops_working(app, client):
    _login(client, _worker(app), remember=False)
    thief = _copy(app, SESSION, _cookie(client, SESSION))
    assert thief.get("/me").status_code == 200  # the copy works while the session lives
    post_form(client, "/auth/logout", {}, source="/me")
    assert client.get("/me").status_code == 302
    assert thief.get("/me").status_code == 302  # ... and not after logout


def test_a_remember_me_cookie_copied_before_logout_stops_working(app, client):
    _login(client, _worker(app))
    thief = _copy(app, REMEMBER, _cookie(client, REMEMBER))
    post_form(client, "/auth/logout", {}, source="/me")
    assert thief.get("/me").status_code == 302
    with app.app_context():
        assert _db.session.query(UserSession).count() == 0


def test_logout_leaves_the_other_devices_in(app, client):
    phone = _worker(app)
    phone_client = app.test_client()
    _login(phone_client, phone)
    _login(client, phone)
    post_form(client, "/auth/logout", {}, source="/me")
    assert phone_client.get("/me").status_code == 200


def test_log_out_everywhere_ends_every_session_and_is_logged(app, client):
    phone = _worker(app)
    others = [app.test_client() for _ in range(2)]
    for other in others:
        _login(other, phone)
    _login(client, phone)
    stolen = _copy(app, REMEMBER, _cookie(others[0], REMEMBER))
    page = client.get("/me").get_data(as_text=True)
    assert "退出所有设备" in page and "当前在3个设备" in page
    response = post_form(client, "/me/logout-everywhere", {}, source="/me")
    assert response.status_code == 302
    for each in (client, *others, stolen):
        assert each.get("/me").status_code == 302
    with app.app_context():
        user = _db.session.query(User).filter_by(phone=phone).one()
        entry = audit.entries(_db.session, audit.Filter(action="session.end_all"))[0]
        assert entry.target_id == str(user.id) and audit.detail_of(entry)["sessions"] == 3
    _login(client, phone)  # and the owner logs in again as usual
    assert client.get("/me").status_code == 200


def test_a_password_change_ends_the_other_sessions_for_good(app, client):
    phone = _worker(app)
    other = app.test_client()
    _login(other, phone)
    _login(client, phone)
    stolen = _copy(app, REMEMBER, _cookie(other, REMEMBER))
    changed = post_form(client, "/me/password", {"current": factories.PASSWORD, "new": "brand-new-pass"})
    assert changed.status_code == 302
    assert client.get("/me").status_code == 200
    assert other.get("/me").status_code == 302 and stolen.get("/me").status_code == 302


def test_heartbeats_with_a_cookie_copied_before_logout_are_refused(app, client, learner):  # noqa: F811
    """The hottest path checks the session row inside its first query (learning.progress_store.read_context)."""
    lesson = learner.lesson(0)
    _login(client, learner.user.phone, remember=False)
    token = page_token(client, f"/learning/lessons/{lesson.id}")
    thief = _copy(app, SESSION, _cookie(client, SESSION))
    post = lambda who, body: who.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})  # noqa: E731
    assert post(thief, learner.body(lesson, 10, [[0, 10]], at_s=10)).status_code == 200
    post_form(client, "/auth/logout", {}, source="/me")
    refused = post(thief, learner.body(lesson, 25, [[10, 25]], at_s=25))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "login_required"


def _signed_in_heartbeats(client, learner):  # noqa: F811
    lesson = learner.lesson(0)
    _login(client, learner.user.phone, remember=False)
    token = page_token(client, f"/learning/lessons/{lesson.id}")
    bodies = iter(learner.steady(lesson, 5))
    return lambda who: who.post("/api/v1/progress", json=next(bodies), headers={"X-CSRFToken": token})


def test_an_altered_copy_of_a_cookie_already_accepted_is_refused(app, client, learner):  # noqa: F811
    """Each session cookie's signature is checked once per process (app.security.CookieSessions): only that exact
    string is taken from memory, so a copy with its signature changed is checked, and refused."""
    post = _signed_in_heartbeats(client, learner)
    assert post(client).status_code == 200
    payload, signature = _cookie(client, SESSION).rsplit(".", 1)
    altered = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    refused = post(_copy(app, SESSION, altered))  # no session, so not the CSRF token it held either
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    assert post(client).status_code == 200  # the real one still works


def test_a_cookie_already_accepted_still_expires(app, client, learner):  # noqa: F811
    post = _signed_in_heartbeats(client, learner)
    assert post(client).status_code == 200
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    time.sleep(2.1)
    refused = post(client)  # an expired session: signed out, and its CSRF token gone with it
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
