"""Who may be named as a recognition request's issuer (a review, 2026): the form offers institutions and unions
down to county level, but a forged form naming a township union was accepted, and that union's staff could grant
any claim. A township-level issuer is now refused at submit and again at approval."""

from __future__ import annotations

import io

import pytest

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db
from credits import ledger, recognition
from tests import factories
from tests.conftest import csrf_token
from tests.credits.credit_factories import pdf_bytes, request_values, worker

TOWNSHIP = "330106001"


def _township():
    return organisations.create_organisation(db.session, SYSTEM, parent_code="330106", code=TOWNSHIP,
                                             name="测试街道", kind=OrgKind.union)


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


def test_attack_a_township_union_named_as_issuer_by_a_forged_form(app, db):
    township = _township()
    assert township not in recognition.issuers(db.session)  # the form never offers it
    user = worker()
    with pytest.raises(Invalid) as err:
        _submit(app, user, issuer=TOWNSHIP, claimed_credits="200")
    assert err.value.fields["issuer"] == "请选择发证的院校或工会。"
    assert recognition.mine(db.session, user.id) == []


def test_a_request_naming_a_township_union_before_the_rule_is_refused_at_approval(app, db):
    township = _township()
    user = worker()
    early = _submit(app, user, issuer="330106", claimed_credits="200")
    early.issuer_id = township.id  # kept before the rule
    db.session.flush()
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, factories.user("union_staff", org_code=TOWNSHIP), early.id, "approve",
                           amount="200")
    assert err.value.code == "township_issuer" and "街道（乡镇）一级不能认定学分" in err.value.fields["issuer"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 0


def test_the_forged_form_is_refused_on_the_page(app, client, auth):
    with app.app_context():
        _township()
        user = worker()
        db.session.commit()
        phone, user_id = user.phone, user.id
    auth.login(phone)
    response = client.post("/credits/recognition/new", data={
        **request_values(issuer=TOWNSHIP, claimed_credits="200"), "evidence": (io.BytesIO(pdf_bytes()), "c.pdf"),
        "csrf_token": csrf_token(client, "/credits/recognition/new")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "请选择发证的院校或工会" in response.get_data(as_text=True)
    with app.app_context():
        assert recognition.mine(db.session, user_id) == []
