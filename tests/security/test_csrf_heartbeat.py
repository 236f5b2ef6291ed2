"""CSRF on the progress heartbeat (the hottest cookie-authenticated POST), performed as attacks after the learner's own
token has been accepted, so that nothing a speed-up might remember of it lets another through: a cross-site POST
without a token, another learner's valid token, an expired token and a token of a key no longer in use are all still
refused."""

from __future__ import annotations

from app.extensions import db as _db
from catalog.models import Resource
from tests import factories
from tests.conftest import post_form
from tests.learning.conftest import Learner, course, enrol_back_dated, page_token  # noqa: F401 - fixtures

# No `db` fixture: its app context (and the CSRF token Flask-WTF keeps in `g`) would be shared by the two
# learners' requests.


def _signed_in(app, course_id: int):
    """A new learner enrolled in the course, logged in on a client of their own, their lesson page's token
    accepted once; returns (post, token, client)."""
    with app.app_context():
        user = factories.user("worker")
        resource = _db.session.get(Resource, course_id)
        enrol_back_dated(user, resource)
        _db.session.commit()
        lesson_id = resource.lessons[0].id
        bodies = iter(Learner(user, resource).steady(resource.lessons[0], 6))
        phone = user.phone
    client = app.test_client()
    assert post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302
    token = page_token(client, f"/learning/lessons/{lesson_id}")

    def post(headers=None):
        return client.post("/api/v1/progress", json=next(bodies), headers=headers or {})

    assert post({"X-CSRFToken": token}).status_code == 200
    return post, token, client


def _refused(response) -> bool:
    return response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_a_cross_site_post_without_the_token_is_refused_after_the_token_was_accepted(app, course):  # noqa: F811
    post, token, client = _signed_in(app, course)
    assert _refused(post())  # the learner's cookie goes along, the page's token does not
    assert _refused(post({"X-CSRFToken": "forged-token"}))
    assert _refused(post({"X-CSRFToken": token + "x"}))  # an altered copy of the accepted one
    form = client.post("/api/v1/progress", data={"lesson_id": "1"})  # what a cross-site HTML form can send
    assert form.status_code == 400 and "页面已过期" in form.get_data(as_text=True)
    assert post({"X-CSRFToken": token}).status_code == 200  # the real one still works


def test_another_learners_valid_token_is_refused(app, course):  # noqa: F811
    post, token, _client = _signed_in(app, course)
    other_post, other_token, _other = _signed_in(app, course)  # a valid token, verified in this process
    assert other_token != token
    assert _refused(post({"X-CSRFToken": other_token}))  # signed by us, but not this session's
    assert _refused(other_post({"X-CSRFToken": token}))
    assert post({"X-CSRFToken": token}).status_code == 200


def test_an_accepted_token_still_expires_and_a_new_key_refuses_it(app, course):  # noqa: F811
    post, token, _client = _signed_in(app, course)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is now older than allowed (whole seconds, as signed)
    assert _refused(post({"X-CSRFToken": token}))
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    assert post({"X-CSRFToken": token}).status_code == 200
    app.config["WTF_CSRF_SECRET_KEY"] = "another key"  # tokens signed with the old key are no longer ours
    assert _refused(post({"X-CSRFToken": token}))
