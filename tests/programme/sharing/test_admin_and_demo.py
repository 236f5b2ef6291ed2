"""Tokens made and revoked by a site admin on the page and at the command line, the secret shown once; and the
demo's done-when by hand: the HR department's demo token pushes the certificate 赵春燕's waiting claim rests on,
and 西湖区 approves it."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from programme.sharing import demo as sharing_demo
from programme.sharing.models import ApiToken
from tests.conftest import csrf_token, post_form
from tests.programme.sharing.conftest import bearer


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(app, db, client, auth, hr):
    auth.as_role("union_staff", "330000")
    assert client.get("/exchange/tokens").status_code == 403
    auth.logout()
    auth.as_role("admin")
    refused = post_form(client, "/exchange/tokens", {"org": hr.code, "name": "", "scopes": ["graduations:write"]})
    assert refused.status_code == 400 and "请填写用途" in refused.get_data(as_text=True)
    made = post_form(client, "/exchange/tokens", {"org": hr.code, "name": "人社厅证书系统",
                                                  "scopes": ["certificates:write", "statistics:read"]})
    secret = re.search(r"qxe_[\w-]{20,}", made.get_data(as_text=True)).group(0)
    assert made.status_code == 200 and "只显示这一次" in made.get_data(as_text=True)
    assert secret not in client.get("/exchange/tokens").get_data(as_text=True)  # never again
    assert client.get("/api/exchange/v1/token", headers=bearer(secret)).get_json()["scopes"] == [
        "certificates:write", "statistics:read"]
    token = db.session.scalars(select(ApiToken)).one()
    response = client.post(f"/exchange/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client,
                                                                                                "/exchange/tokens")})
    assert response.status_code == 302
    assert client.get("/api/exchange/v1/token", headers=bearer(secret)).status_code == 401


def test_the_command_line_makes_lists_and_revokes_tokens(runner, db, client, hr):
    made = runner.invoke(args=["programme", "api-tokens", "create", "--org", hr.code, "--name", "证书系统",
                               "--scope", "certificates:write"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert client.get("/api/exchange/v1/token", headers=bearer(secret)).status_code == 200
    listed = runner.invoke(args=["programme", "api-tokens", "list"])
    assert secret[:10] in listed.output and secret not in listed.output and "live" in listed.output
    wrong = runner.invoke(args=["programme", "api-tokens", "create", "--org", "330100", "--name", "x",
                                "--scope", "statistics:read"])
    assert wrong.exit_code != 0 and "教育部门或人力社保部门" in wrong.output
    token_id = db.session.scalars(select(ApiToken.id)).one()
    assert runner.invoke(args=["programme", "api-tokens", "revoke", str(token_id)]).exit_code == 0
    assert client.get("/api/exchange/v1/token", headers=bearer(secret)).status_code == 401
    assert runner.invoke(args=["programme", "api-tokens", "demo"]).exit_code != 0  # no demo here


@pytest.mark.demo
def test_the_demo_hr_token_pushes_the_certificate_a_waiting_claim_rests_on(app, db, client, runner):
    db.session.commit()
    printed = runner.invoke(args=["programme", "api-tokens", "demo"])
    assert printed.exit_code == 0 and sharing_demo.HR_TOKEN in printed.output
    body = json.loads(re.search(r"-d '(\{.*\})'", printed.output).group(1))
    worker = db.session.scalar(select(User).where(User.phone == sharing_demo.WORKER_PHONE))
    claim = db.session.scalar(select(SubsidyClaim).where(SubsidyClaim.certificate_number == body["certificate_no"]))
    assert claim.enrolment.user_id == worker.id and claim_checks.review(db.session, claim).record is None
    response = client.post("/api/exchange/v1/certificates", json=body, headers=bearer(sharing_demo.HR_TOKEN))
    assert response.status_code == 201, response.get_json()
    assert client.get("/api/exchange/v1/statistics", headers=bearer(sharing_demo.EDU_TOKEN)).status_code == 200
    db.session.expire_all()
    assert claim_checks.review(db.session, claim).problems == []
    county = db.session.scalar(select(User).where(User.phone == "13900000004"))
    subsidies.decide(db.session, county, claim, True)
    assert claim.status == ClaimStatus.approved
