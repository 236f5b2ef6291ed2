"""POST /api/v1/programme/eligibility: the issue's request and response shapes, and clear 400s."""

import pytest

BODY = {"profile": {"job_level": "front_line", "union_member": True, "union_province": "330000",
                    "employer_type": "enterprise", "contract_start": "2025-09-01", "contract_end": "2026-08-31",
                    "education": "secondary_vocational"},
        "level": "gaoqiben", "notice_date": "2026-03-01"}


def post(client, body):
    return client.post("/api/v1/programme/eligibility", json=body)


def test_eligible_worker(client):
    response = post(client, BODY)
    assert response.status_code == 200
    data = response.get_json()
    assert data["eligible"] is True
    assert [r["rule"] for r in data["rules"]] == ["job_level", "union", "contract", "employer_type", "education"]
    assert all(r["passed"] and r["message"] for r in data["rules"])


def test_colleague_with_six_month_contract_sees_why(client):
    body = {**BODY, "profile": {**BODY["profile"], "contract_start": "2026-01-01", "contract_end": "2026-06-30"}}
    data = post(client, body).get_json()
    assert data["eligible"] is False
    contract = next(r for r in data["rules"] if r["rule"] == "contract")
    assert contract["passed"] is False and "不满一年" in contract["message"]
    assert "\\u" not in post(client, body).get_data(as_text=True)  # Chinese is not escaped


def test_no_fixed_end_is_null(client):
    body = {**BODY, "profile": {**BODY["profile"], "contract_end": None}}
    assert post(client, body).get_json()["eligible"] is True


@pytest.mark.parametrize(("body", "fields"), [
    ({**BODY, "level": "phd"}, {"level"}),
    ({**BODY, "notice_date": "2026/03/01"}, {"notice_date"}),
    ({k: v for k, v in BODY.items() if k != "notice_date"}, {"notice_date"}),
    ({**BODY, "profile": {**BODY["profile"], "union_member": "yes", "job_level": "boss"}},
     {"profile.union_member", "profile.job_level"}),
    ({**BODY, "profile": {**BODY["profile"], "contract_end": "2020-01-01"}}, {"profile.contract_end"}),
    ({**BODY, "profile": {**BODY["profile"], "union_province": "zhejiang"}}, {"profile.union_province"}),
    ({**BODY, "profile": {**BODY["profile"], "union_province": "³³⁰⁰⁰⁰"}}, {"profile.union_province"}),
    ({"level": "zhuanke", "notice_date": "2026-03-01"}, {"profile"}),
])
def test_malformed_input_gets_400_with_field_errors(client, body, fields):
    response = post(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and fields <= set(error["fields"])


def test_not_json_at_all(client):
    response = client.post("/api/v1/programme/eligibility", data="hello", content_type="text/plain")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
