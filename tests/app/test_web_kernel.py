"""The web kernel every blueprint shares: a domain error becomes its stable JSON error code and status (app/errors.py),
the signed-in user or None / 401 and a form's commit-or-show (app/web.py), query-string pages (app/pagination.py),
the row-or-NotFound lookup (app/lookup.py)."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, error_response
from app.lookup import get_or_raise
from app.pagination import Page, int_arg, offset, page_args
from app.web import commit_or_show, current_user_or_none, current_user_required, json_object


@pytest.mark.parametrize("error, status, code", [
    (Invalid("x", fields={"title": "y"}), 400, "invalid"),
    (Invalid("x", code="bad_query"), 400, "bad_query"),
    (NotFound("x"), 404, "not_found"),
    (Forbidden("x"), 403, "forbidden"),
    (Conflict("x", code="already_claimed"), 409, "already_claimed"),
    (TooManyRequests("x", retry_after=7), 429, "too_many_requests"),
])
def test_a_domain_error_maps_to_its_stable_code_in_json(app, error, status, code):
    @app.get("/api/v1/test-error")
    def raise_it():
        raise error

    response = app.test_client().get("/api/v1/test-error")
    body = response.get_json()
    assert response.status_code == status and body["error"]["code"] == code and body["error"]["message"] == "x"
    assert body["error"].get("fields") == (error.fields or None)
    if isinstance(error, TooManyRequests):
        assert response.headers["Retry-After"] == "7"


def test_an_api_error_is_json_and_a_page_error_is_html(app):
    with app.test_request_context("/api/v1/x"):
        response, status = error_response(404, "not_found", "没有")
        assert status == 404 and response.get_json() == {"error": {"code": "not_found", "message": "没有"}}
    with app.test_request_context("/catalog/x", headers={"Accept": "text/html"}):
        page, status = error_response(404, "not_found", "没有")
        assert status == 404 and "没有" in page


def test_the_current_user_or_none_and_required(app):
    with app.test_request_context("/api/v1/x"):
        assert current_user_or_none() is None
        with pytest.raises(Exception) as raised:
            current_user_required()
        assert getattr(raised.value, "code", "") == "login_required" and raised.value.status == 401


def test_a_json_body_must_be_an_object(app):
    with app.test_request_context("/api/v1/x", method="POST", json=[1, 2]):
        with pytest.raises(Invalid) as raised:
            json_object()
        assert raised.value.code == "json_required"
    with app.test_request_context("/api/v1/x", method="POST", json={"a": 1}):
        assert json_object() == {"a": 1}


def test_pages_from_the_query_string():
    assert page_args({}) == (1, 20)
    assert page_args({"page": "3", "per_page": "500"}, max_per_page=100) == (3, 100)
    assert page_args({"page": "x", "per_page": "0"}) == (1, 1)  # no number: the default; 0: clamped
    assert page_args({"page": "-4"}) == (1, 20)
    assert offset(3, 20) == 40 and offset(0, 20) == 0
    page = Page(items=[1, 2], page=2, per_page=2, total=5)
    assert page.pages == 3 and page.has_next and page.has_prev
    assert Page(items=[], page=1, per_page=20, total=0).pages == 1


@pytest.mark.parametrize("raw", ["0", "501", "x", "²", "-1"])
def test_a_program_asking_a_bad_number_gets_bad_query(app, raw):
    with app.test_request_context("/"):
        with pytest.raises(Invalid) as raised:
            int_arg({"limit": raw}, "limit", 100, 1, 500)
        assert raised.value.code == "bad_query" and "limit" in raised.value.fields
        assert int_arg({}, "limit", 100, 1, 500) == 100


def test_get_or_raise_finds_the_row_or_raises_not_found_with_the_callers_code(db):
    with pytest.raises(NotFound) as plain:
        get_or_raise(db.session, User, 10**9, "没有")
    assert plain.value.message == "没有" and plain.value.code == "not_found"
    with pytest.raises(NotFound) as coded:
        get_or_raise(db.session, User, 10**9, "没有", code="user_not_found")
    assert coded.value.code == "user_not_found"


def test_commit_or_show_commits_what_went_through_and_rolls_back_a_refusal(app):
    with app.test_request_context("/x"):
        assert commit_or_show(lambda: 7) == (7, None)

        def refused() -> None:
            raise Invalid("请修改", fields={"title": "必填"})
        assert commit_or_show(refused) == (None, {"title": "必填"})
