"""Digit strings too long for int() (Python refuses more than 4,300 digits) get each place's ordinary bad-input
answer, never a 500: the shared checks `is_digits` and `int_arg` refuse numbers longer than any id of ours."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit import AuditEntry
from app.errors import Invalid
from app.pagination import int_arg
from app.text import MAX_DIGITS, is_digits
from tests.conftest import csrf_token
from tests.programme.sharing.conftest import bearer, education_department, token_for

LONG = "1" * 5000


def _served(client, method: str, url: str, **kw):
    """The response as a served site sends it: an exception becomes the 500 page, not a raised error."""
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    return getattr(client, method)(url, **kw)


def test_is_digits_refuses_numbers_longer_than_any_of_ours():
    assert is_digits("9" * MAX_DIGITS) and not is_digits("9" * (MAX_DIGITS + 1)) and not is_digits(LONG)


def test_int_arg_refuses_a_long_number_with_bad_query(app):
    with app.test_request_context("/"), pytest.raises(Invalid) as raised:
        int_arg({"limit": LONG}, "limit", 100, 1, 500)
    assert raised.value.code == "bad_query" and "limit" in raised.value.fields


def test_statements_limit_with_5000_digits_is_bad_query(client, auth):
    auth.as_role("worker")
    response = _served(client, "get", "/api/v1/me/statements?limit=" + LONG)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_query"


@pytest.mark.parametrize("lesson_id", [LONG, 10**30])
def test_media_lesson_id_with_too_many_digits_is_invalid(client, auth, lesson_id):
    auth.as_role("institution_staff")
    token = csrf_token(client, "/me")
    response = _served(client, "post", "/api/v1/media", headers={"X-CSRFToken": token},
                       json={"upload_url": "/api/v1/uploads/" + "a" * 32, "lesson_id": lesson_id})
    assert response.status_code == 400 and "lesson_id" in response.get_json()["error"]["fields"]


def test_media_body_with_a_5000_digit_json_number_is_a_400(client, auth):
    auth.as_role("institution_staff")
    token = csrf_token(client, "/me")
    response = _served(client, "post", "/api/v1/media", headers={"X-CSRFToken": token,
                                                                 "Content-Type": "application/json"},
                       data='{"upload_url": "/api/v1/uploads/x", "lesson_id": ' + LONG + "}")
    assert response.status_code == 400


def test_tus_upload_length_with_5000_digits_is_bad_header(client, auth):
    auth.as_role("institution_staff")
    response = _served(client, "post", "/api/v1/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": LONG})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_header"


def test_oai_identifier_with_5000_digits_does_not_exist(client, app):
    url = f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:{app.config['OAI_REPOSITORY_ID']}:resource/"
    response = _served(client, "get", url + LONG)
    assert response.status_code == 200 and b'code="idDoesNotExist"' in response.data


def test_exchange_page_with_5000_digits_is_bad_query_and_on_record(app, client, db):
    raw = token_for(education_department())
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = _served(client, "get", "/api/exchange/v1/applications?page=" + "9" * 5000, headers=bearer(raw))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_query"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
