"""The evidence rule on every path into subsidy approval: the review page (the comparison table, the refusal
message), the JSON API (stable error codes) and `qiuxue programme claim`; and the honest flow end to end:
graduations imported with `qiuxue programme import`, a claim filed on the page, approved, paid."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.timefmt import beijing_today
from programme.money.models import ClaimStatus, SubsidyClaim
from tests.conftest import csrf_token
from tests.programme.helpers import id_number
from tests.programme.test_staff_pages import enrolled, post

HEADER = "身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"


def _file_claim(app, client, auth, number: str) -> tuple[int, str]:
    """The worker claims on the page (stating today's date); returns the claim id and the worker's ID number."""
    phone, record_id = enrolled(app)
    auth.login(phone)
    today = beijing_today().isoformat()
    response = post(client, f"/programme/enrolments/{record_id}/claim",
                    {"attainment": "dazhuan", "certificate_number": number, "attained_on": today})
    assert response.status_code == 302
    auth.logout()
    with app.app_context():
        claim = db.session.scalar(select(SubsidyClaim))
        return claim.id, db.session.scalar(select(User).where(User.phone == phone)).profile.id_number


def _import(runner, tmp_path, id_no: str, number: str, name: str = "张三明"):
    path = tmp_path / f"{number}.csv"
    path.write_bytes((HEADER + f"{id_no},{name},专科,机电一体化,{number},{beijing_today().isoformat()}\n").encode())
    result = runner.invoke(args=["programme", "import", str(path), "--kind", "graduations", "--org", "INST-T1"])
    assert result.exit_code == 0, result.output


def test_honest_flow_import_claim_review_approve_pay(app, client, auth, runner, tmp_path):
    claim_id, id_no = _file_claim(app, client, auth, "ZJ-2026-8")
    auth.as_role("union_staff", "330106")
    review = f"/programme/claims/{claim_id}/review"
    page = client.get(review).get_data(as_text=True)
    assert "没有与证书编号相符的数据交换记录" in page and "没有可核对的毕业或证书记录" in page
    assert 'value="approve" class="button primary" disabled' in page
    response = post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    assert response.headers["Location"].endswith(review)  # refused: back to the table, with the reason
    assert "没有可核对的毕业或证书记录" in client.get(review).get_data(as_text=True)
    _import(runner, tmp_path, id_no, "ZJ-2026-8")
    page = client.get(review).get_data(as_text=True)
    assert page.count('<tr class="match">') == 7 and "mismatch" not in page and "✗" not in page
    post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    post(client, "/programme/subsidies/330106/pay", {"claim": str(claim_id), "paid_on": beijing_today().isoformat()})
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.paid


def test_review_page_shows_a_different_id_number_line_by_line_and_refuses(app, client, auth, runner, tmp_path):
    claim_id, id_no = _file_claim(app, client, auth, "ZJ-2026-9")
    _import(runner, tmp_path, id_number(777), "ZJ-2026-9")
    auth.as_role("union_staff", "330106")
    review = f"/programme/claims/{claim_id}/review"
    page = client.get(review).get_data(as_text=True)
    assert page.count('<tr class="mismatch">') == 1 and '<tr class="mismatch"><th scope="row">身份证号</th>' in page
    assert id_no[-4:] in page and id_number(777)[-4:] in page and id_no not in page  # masked, both sides
    post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    assert "申请与记录不一致：身份证号" in client.get(review).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.claimed


def _api(client, path: str, body: dict | None = None):
    token = csrf_token(client, "/me/profile")
    if body is None:
        return client.get(path)
    return client.post(path, json=body, headers={"X-CSRFToken": token})


def test_the_json_api_refuses_with_stable_codes(app, client, auth, runner, tmp_path):
    claim_id, id_no = _file_claim(app, client, auth, "API-1")
    decision = f"/api/v1/programme/claims/{claim_id}/decision"
    assert client.get(f"/api/v1/programme/claims/{claim_id}/review").status_code == 401
    auth.as_role("union_staff", "330106")
    response = _api(client, decision, {"decision": "approve"})
    assert response.status_code == 400 and response.json["error"]["code"] == "no_evidence"
    assert _api(client, decision, {"decision": "maybe"}).json["error"]["code"] == "invalid_request"
    _import(runner, tmp_path, id_no, "API-1", name="张三")  # the institution wrote another name
    review = _api(client, f"/api/v1/programme/claims/{claim_id}/review").json
    assert [r["field"] for r in review["rows"] if not r["match"]] == ["姓名"] and not review["approvable"]
    assert {"field": "姓名", "claim": "张三明", "record": "张三", "match": False, "note": ""} in review["rows"]
    response = _api(client, decision, {"decision": "approve"})
    assert response.status_code == 400 and response.json["error"]["code"] == "mismatch"
    assert "姓名" in response.json["error"]["fields"]
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.claimed
    assert _api(client, f"/api/v1/programme/claims/{claim_id}/evidence-check", {}).json["error"]["code"] == "no_files"


def test_the_json_api_approves_once_and_never_the_same_result_twice(app, client, auth, runner, tmp_path):
    from programme.money import subsidies

    claim_id, id_no = _file_claim(app, client, auth, "API-2")
    _import(runner, tmp_path, id_no, "API-2")
    with app.app_context():  # the same diploma claimed a second time (another attainment of the same enrolment)
        first = db.session.get(SubsidyClaim, claim_id)
        other = subsidies.claim(db.session, first.enrolment.user, first.enrolment, "benke", "api 2", "")
        db.session.commit()
        other_id = other.id
    auth.as_role("union_staff", "330106")
    response = _api(client, f"/api/v1/programme/claims/{claim_id}/decision", {"decision": "approve"})
    assert response.status_code == 200 and response.json["claim"]["status"] == "approved"
    assert response.json["claim"]["amount"] == 1000 and response.json["record"]["kind"] == "graduation_records"
    again = _api(client, f"/api/v1/programme/claims/{claim_id}/decision", {"decision": "approve"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_decided"
    second = _api(client, f"/api/v1/programme/claims/{other_id}/decision", {"decision": "approve"})
    assert second.status_code == 409 and second.json["error"]["code"] == "already_subsidised"


def test_the_cli_shows_the_comparison_and_refuses_without_evidence(app, client, auth, runner, tmp_path):
    claim_id, id_no = _file_claim(app, client, auth, "CLI-1")
    result = runner.invoke(args=["programme", "claim", str(claim_id), "--approve"])
    assert result.exit_code == 1 and "没有可核对的毕业或证书记录" in result.output
    _import(runner, tmp_path, id_number(778), "CLI-1")
    result = runner.invoke(args=["programme", "claim", str(claim_id), "--approve"])
    assert result.exit_code == 1 and "✗ 身份证号" in result.output and "申请与记录不一致" in result.output
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.claimed


def test_the_cli_approves_an_agreeing_claim_once(app, client, auth, runner, tmp_path):
    claim_id, id_no = _file_claim(app, client, auth, "CLI-2")
    _import(runner, tmp_path, id_no, "CLI-2")
    shown = runner.invoke(args=["programme", "claim", str(claim_id)])
    assert shown.exit_code == 0 and "✓ 证书编号: CLI-2 | CLI-2" in shown.output and "✗" not in shown.output
    result = runner.invoke(args=["programme", "claim", str(claim_id), "--approve"])
    assert result.exit_code == 0 and f"claim {claim_id}: approved, 1000 yuan" in result.output
    result = runner.invoke(args=["programme", "claim", str(claim_id), "--approve"])
    assert result.exit_code == 1 and "已经审核过" in result.output


def test_a_mismatch_on_the_claims_side_is_resolved_by_correcting_the_claim(app, client, auth, runner, tmp_path):
    """No override: the worker corrects the mistyped number, the table agrees, and approval goes through."""
    phone, record_id = enrolled(app)
    auth.login(phone)
    post(client, f"/programme/enrolments/{record_id}/claim", {"attainment": "dazhuan", "certificate_number": "Z-10"},
         source="/programme/mine")
    with app.app_context():
        claim_id = db.session.scalar(select(SubsidyClaim.id))
        id_no = db.session.scalar(select(User).where(User.phone == phone)).profile.id_number
    _import(runner, tmp_path, id_no, "Z-01")
    tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
    post(client, f"/programme/claims/{claim_id}/amend", {"certificate_number": "Z-01", "attained_on": tomorrow})
    assert "取得日期不能晚于今天" in client.get("/programme/mine").get_data(as_text=True)
    post(client, f"/programme/claims/{claim_id}/amend", {"certificate_number": "Z-01", "attained_on": ""})
    assert 'value="Z-01"' in client.get("/programme/mine").get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330106")
    assert "✗" not in client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    auth.logout()
    auth.login(phone)
    response = post(client, f"/programme/claims/{claim_id}/amend", {"certificate_number": "Z-99"},
                    source="/programme/mine")
    assert response.status_code == 302
    assert "已经审核，不能再修改" in client.get("/programme/mine").get_data(as_text=True)
    with app.app_context():
        claim = db.session.get(SubsidyClaim, claim_id)
        assert claim.status == ClaimStatus.approved and claim.certificate_number == "Z-01"
