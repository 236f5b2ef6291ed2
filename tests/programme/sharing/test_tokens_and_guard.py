"""The departments' API tokens attacked through the API: a read token cannot push, another department's scope is
never given nor honoured, a revoked or made-up token is refused, a signed-in session is no credential, every
call (refused ones too) leaves an audit row with the token, scope and outcome, and the rate limit answers 429."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import audit
from app.accounts.policy import SYSTEM
from app.audit import AuditEntry
from app.errors import Forbidden, Invalid
from programme.exchange.models import CertificateRecord
from programme.sharing import tokens
from programme.sharing.models import ApiToken
from tests import factories
from tests.programme.helpers import id_number
from tests.programme.sharing.conftest import bearer, token_for

CERT = {"id_number": id_number(501), "name": "王五", "occupation": "电工", "skill_level": 3,
        "certificate_no": "S-API-0001", "issued_on": "2025-05-20"}


def calls(db) -> list[dict]:
    found = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "exchange_api.call")
                               .order_by(AuditEntry.id)).all()
    return [{**audit.detail_of(e), "target": e.target_id, "org": e.org_id, "label": e.actor_label} for e in found]


def test_a_read_token_cannot_push_and_the_refusal_is_audited(db, client, hr):
    raw = token_for(hr, "admissions:read")
    response = client.post("/api/exchange/v1/certificates", json=CERT, headers=bearer(raw))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    assert db.session.query(CertificateRecord).count() == 0
    token = db.session.scalars(select(ApiToken)).one()
    [row] = calls(db)
    assert (row["target"], row["org"], row["scope"], row["status"], row["outcome"]) == (
        str(token.id), hr.id, "certificates:write", 403, "insufficient_scope")
    assert row["prefix"] == raw[:10] and hr.name in row["label"]


def test_another_departments_scope_is_never_given_nor_honoured(db, client, hr, edu):
    with pytest.raises(Invalid) as err:
        tokens.create(db.session, SYSTEM, hr, "越权", ["certificates:write", "graduations:write"])
    assert "scopes" in err.value.fields
    with pytest.raises(Invalid):
        tokens.create(db.session, SYSTEM, edu, "越权", ["certificates:write"])
    hr_token = token_for(hr)  # every scope the HR department may hold
    body = {"id_number": id_number(502), "name": "赵六", "institution_code": factories.INSTITUTION, "level": "zhuanke",
            "major": "机电一体化", "diploma_no": "D-API-1", "graduated_on": "2025-06-30"}
    response = client.post("/api/exchange/v1/graduations", json=body, headers=bearer(hr_token))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    edu_token = token_for(edu)
    response = client.post("/api/exchange/v1/certificates", json=CERT, headers=bearer(edu_token))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    assert client.post("/api/exchange/v1/graduations", json=body, headers=bearer(edu_token)).status_code == 201


def test_only_site_admins_make_and_revoke_tokens(db, hr):
    for role, code in (("union_staff", "330000"), ("union_staff", None)):
        with pytest.raises(Forbidden):
            tokens.create(db.session, factories.user(role, code), hr, "x", ["statistics:read"])
    made, _raw = tokens.create(db.session, factories.user("admin"), hr, "人社", ["statistics:read"])
    with pytest.raises(Forbidden):
        tokens.revoke(db.session, factories.user("union_staff", "330000"), made)


def test_a_revoked_or_unknown_token_is_refused_with_stable_codes(db, client, hr):
    raw = token_for(hr)
    assert client.get("/api/exchange/v1/token", headers=bearer(raw)).status_code == 200
    tokens.revoke(db.session, SYSTEM, db.session.scalars(select(ApiToken)).one())
    db.session.commit()
    for headers, code in ((bearer(raw), "token_revoked"), (bearer(raw + "x"), "token_invalid"),
                          ({}, "token_missing"), ({"Authorization": f"Basic {raw}"}, "token_missing")):
        response = client.get("/api/exchange/v1/applications", headers=headers)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == code
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert [r["outcome"] for r in calls(db)] == ["ok", "token_revoked", "token_invalid", "token_missing",
                                                "token_missing"]


def test_only_the_digest_is_kept(db, hr):
    raw = token_for(hr)
    token = db.session.scalars(select(ApiToken)).one()
    assert raw not in (token.digest, token.prefix, token.name) and token.digest == tokens.digest(raw)


def test_a_signed_in_session_is_no_credential_and_no_cookie_is_set(app, client, auth, hr):
    auth.as_role("admin")
    response = client.get("/api/exchange/v1/applications")
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    raw = token_for(hr)
    client.delete_cookie("session")
    response = client.get("/api/exchange/v1/statistics", headers=bearer(raw))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # a push needs no CSRF token (there is no cookie for a forged form to ride on) but does need the token
    assert client.post("/api/exchange/v1/certificates", json=CERT).status_code == 401


def test_the_rate_limit_answers_429_per_token_and_is_audited(app, db, client, hr, edu):
    app.config["RATE_LIMIT_EXCHANGE_API"] = "2 per minute"
    raw, other = token_for(hr), token_for(edu)
    assert [client.get("/api/exchange/v1/token", headers=bearer(raw)).status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/exchange/v1/token", headers=bearer(raw))
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) >= 1
    assert client.get("/api/exchange/v1/token", headers=bearer(other)).status_code == 200  # counted per token
    rows = calls(db)
    assert [r["outcome"] for r in rows] == ["ok", "ok", "too_many_requests", "ok"]
    assert rows[2]["target"] == rows[0]["target"] != rows[3]["target"] and rows[2]["status"] == 429
