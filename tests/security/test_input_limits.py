"""Numbers, JSON and text no database can hold are refused at the door (app/request_input.py) or, when a view
lets one through, answered 400 with the transaction rolled back (app/errors.py), never with a 500.

Each test sends the hostile request that answered 500 before: an id beyond 64 bits in a path, a page number
whose offset overflows, JSON nested 100,000 deep, lone surrogates and NUL in JSON, a JSON array posted to a
form, an id beyond 64 bits inside a form field."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.request_input import ID_MAX, NUMBER_MAX
from tests.conftest import csrf_token, post_form

INT64_MAX = 2**63 - 1

FIXTURES_OK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FIXTURES_OK
@given(number=st.integers(min_value=ID_MAX + 1, max_value=10**40))
def test_an_id_beyond_an_id_column_in_a_path_is_not_found(client, number):
    for path in (f"/api/v1/resources/{number}", f"/catalog/r/{number}", f"/credits/pathways/{number}"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


@FIXTURES_OK
@given(number=st.integers(min_value=0, max_value=ID_MAX))
def test_any_id_a_column_holds_in_a_path_is_looked_up(client, number):
    assert client.get(f"/api/v1/resources/{number}").status_code == 404  # no such resource, and no 500


def test_a_post_to_an_id_beyond_64_bits_is_not_found(client, auth):
    auth.as_role("worker")
    response = post_form(client, "/learning/enrol/99999999999999999999", {}, source="/me")
    assert response.status_code == 404


@FIXTURES_OK
@given(page=st.one_of(st.integers(min_value=NUMBER_MAX + 1), st.integers(max_value=-NUMBER_MAX - 1)))
def test_a_query_number_beyond_2_53_is_refused(client, page):
    response = client.get(f"/api/v1/search/suggest?q=dian&limit={page}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "number_out_of_range"


def test_the_largest_page_number_accepted_does_not_overflow_an_offset(client, auth):
    auth.as_role("union_staff", "330106")
    for page in (NUMBER_MAX, -NUMBER_MAX, INT64_MAX):
        response = client.get(f"/enquiries/inbox?page={page}")
        assert response.status_code == (200 if abs(page) <= NUMBER_MAX else 400), page


def test_json_nested_too_deep_is_refused_with_a_code(client, auth):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/programme/eligibility", data=deep, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "json_too_deep"
    auth.as_role("worker")
    token = csrf_token(client, "/me")
    response = client.post("/api/v1/progress", data=deep, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "json_too_deep"


def test_json_text_no_database_stores_is_refused(app, client, auth):
    from app.extensions import db
    from media.models import MediaAsset

    auth.as_role("institution_staff")
    token = csrf_token(client, "/me")
    for text in ('"\\ud800"', '"a\\udfffb"', '"\\u0000"'):
        body = '{"upload_url": %s, "lesson_id": 1}' % text  # noqa: UP031 - the escape must reach the server as is
        response = client.post("/api/v1/media", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 400, text
        assert response.get_json()["error"]["code"] == "invalid_characters"
    ok = client.post("/api/v1/media", data=json.dumps({"upload_url": "😀 \\ud83d\\ude00"}),
                     content_type="application/json", headers={"X-CSRFToken": token})
    assert ok.get_json()["error"]["code"] != "invalid_characters"  # a paired surrogate is just an emoji
    with app.app_context():
        assert db.session.query(MediaAsset).count() == 0


def test_json_posted_to_a_form_is_refused_not_a_server_error(client):
    token = csrf_token(client)
    for body in ("[[1]]", "[1, 2]", '{"phone": {"a": 1}, "password": [1]}', "7"):
        response = client.post("/auth/login", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 415, body


def test_an_id_beyond_64_bits_inside_a_body_is_refused_and_rolled_back(app, client, auth):
    """media/api.py reads lesson_id with isdigit() and int(): one beyond 64 bits reached the database, which
    raised OverflowError (SQLite) or DataError (PostgreSQL); now 400 `invalid` beside the field (more digits than
    any id of ours: app.text.is_digits), nothing changed."""
    from app.accounts import organisations
    from app.extensions import db
    from media.models import MediaAsset

    with app.app_context():
        asset = MediaAsset(org_id=organisations.get_by_code(db.session, "INST-T1").id, title="a.mp4")
        db.session.add(asset)
        db.session.commit()
        asset_id = asset.id
    auth.as_role("institution_staff")
    token = csrf_token(client, "/me")
    response = client.post(f"/api/v1/media/{asset_id}/lesson", json={"lesson_id": "99999999999999999999"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid" and "lesson_id" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(MediaAsset, asset_id).lesson_id is None


def test_a_heartbeat_for_a_lesson_id_no_column_holds_is_refused(app, client):
    """The heartbeat's statements run on the driver's own cursor: PostgreSQL's "integer out of range" came as
    psycopg's DataError, past SQLAlchemy's, and answered 500."""
    import time

    from app.extensions import db
    from learning import enrolment
    from tests import factories
    from tests.catalog.helpers import make
    from tests.conftest import Auth

    with app.app_context():
        resource = make(publish=True)
        learner = factories.user("worker")
        enrolment.enrol(db.session, learner, resource.id)
        db.session.commit()
        phone = learner.phone
    Auth(app, client).login(phone)
    token = csrf_token(client, "/me")
    for lesson_id in (2**31, 2**40, 2**63, 10**30):
        beat = {"lesson_id": lesson_id, "position_s": 5, "watched": [[0, 5]],
                "client_time": int(time.time() * 1000), "seq": 1}
        response = client.post("/api/v1/progress", json=beat, headers={"X-CSRFToken": token})
        assert response.status_code in (400, 404), lesson_id


def test_a_resume_time_that_is_no_finite_number_is_ignored(app, client):
    """learning.lesson reads ?t= with type=float: "inf" and "1e400" were put in the page as the player's start
    (data-resume="inf"); a float that is not finite now counts as absent."""
    from app.extensions import db
    from learning import enrolment
    from tests import factories
    from tests.catalog.helpers import make
    from tests.conftest import Auth

    with app.app_context():
        resource = make(publish=True)
        learner = factories.user("worker")
        enrolment.enrol(db.session, learner, resource.id)
        db.session.commit()
        phone, lesson_id = learner.phone, resource.lessons[0].id
    Auth(app, client).login(phone)
    for value in ("inf", "-inf", "nan", "1e400"):
        page = client.get(f"/learning/lessons/{lesson_id}?t={value}")
        assert page.status_code == 200 and 'data-resume="0"' in page.get_data(as_text=True), value
    assert 'data-resume="5.0"' in client.get(f"/learning/lessons/{lesson_id}?t=5").get_data(as_text=True)


@given(st.one_of(st.text(max_size=30), st.integers(), st.none()))
@settings(max_examples=200, deadline=None)
def test_an_id_typed_into_a_form_is_an_id_a_column_holds_or_none(value):
    """`str.isdigit` accepts '²' and '①', which int() refuses, and any length: ids typed into forms (a pathway, a
    recognition, claims to pay) are read through one helper that never raises and never exceeds a column."""
    from app.request_input import id_or_none

    found = id_or_none(value)
    assert found is None or (1 <= found <= ID_MAX and str(found) == str(value).strip().lstrip("0"))
