"""Dates far outside any contract or notice (year 9999: the anniversary would be year 10000, which Python's date
cannot hold) are refused field by field with invalid_request, and the date rule itself never raises."""

from __future__ import annotations

from datetime import date

import pytest

from programme.admissions.eligibility import add_years, contract_term_ok

BODY = {"profile": {"job_level": "front_line", "union_member": True, "union_province": "330000",
                    "employer_type": "enterprise", "contract_start": "2025-09-01", "contract_end": "2026-08-31",
                    "education": "high_school"},
        "level": "zhuanke", "notice_date": "2026-03-01"}


def _served(client, body):
    client.application.config["PROPAGATE_EXCEPTIONS"] = False  # as served: the 500 page, not a raised error
    return client.post("/api/v1/programme/eligibility", json=body)


@pytest.mark.parametrize(("changes", "fields"), [
    ({"contract_start": "9999-12-31", "contract_end": "9999-12-31", "notice_date": "9999-12-31"},
     {"profile.contract_start", "profile.contract_end", "notice_date"}),
    ({"contract_start": "9999-12-31", "contract_end": None, "notice_date": "9999-12-31"},
     {"profile.contract_start", "notice_date"}),
    ({"contract_start": "0001-01-01"}, {"profile.contract_start"}),
    ({"contract_end": "2101-01-01"}, {"profile.contract_end"}),
    ({"notice_date": "1949-12-31"}, {"notice_date"}),
])
def test_dates_out_of_range_are_invalid_per_field(client, changes, fields):
    notice = changes.pop("notice_date", BODY["notice_date"])
    body = {**BODY, "notice_date": notice, "profile": {**BODY["profile"], **changes}}
    response = _served(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and set(error["fields"]) == fields


def test_the_edges_of_the_range_are_accepted(client):
    body = {**BODY, "notice_date": "2100-12-31",
            "profile": {**BODY["profile"], "contract_start": "1950-01-01", "contract_end": "2100-12-31"}}
    assert _served(client, body).status_code == 200


def test_add_years_never_raises():
    assert add_years(date(9999, 12, 31), 1) == date.max
    assert add_years(date(1, 1, 1), -1) == date.min
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert isinstance(contract_term_ok(date(9999, 12, 31), date(9999, 12, 31)), bool)  # the API refuses year 9999
