"""One certificate is recognised once however its number is typed (a review, 2025: separators and a blank number
each let the same certificate be approved twice, by two issuers, doubling its credits)."""

from __future__ import annotations

import io

import pytest

from app.errors import Invalid
from app.extensions import db
from credits import ledger, recognition
from tests import factories
from tests.conftest import csrf_token
from tests.credits.credit_factories import pdf_bytes, request_values, worker


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


@pytest.mark.parametrize("typed", ["S33010020250001", "s330100/2025/0001", "Ｓ３３０１００．２０２５—０００１",
                                   "S 330100_2025_0001"])
def test_same_certificate_refused_however_its_separators_are_typed(app, db, typed):
    user = worker()
    first = _submit(app, user, certificate_no="S330100-2025-0001", issuer="INST-T1")
    with pytest.raises(Invalid) as err:
        _submit(app, user, certificate_no=typed, issuer="330100")  # the same certificate, to the city union
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6


@pytest.mark.parametrize("outcome", ["diploma", "skill_certificate", "qualification_certificate"])
@pytest.mark.parametrize("blank", ["", "   ", "--/--"])
def test_outcomes_that_carry_a_number_require_it(app, db, outcome, blank):
    with pytest.raises(Invalid) as err:
        _submit(app, worker(), outcome_type=outcome, certificate_no=blank)
    assert err.value.fields["certificate_no"] == "请填写证书编号。"


def test_blank_number_no_longer_skips_the_check(app, db):
    """The reviewer's second attack: two blank-number requests for one certificate, to two issuers, both approved."""
    user = worker()
    for issuer in ("INST-T1", "330100"):
        with pytest.raises(Invalid):
            _submit(app, user, certificate_no="", issuer=issuer)
    assert ledger.ledger(db.session, user.id) == []


def test_a_training_certificate_without_a_number_is_sent_once(app, db):
    """Training certificates may carry no number; without one, the same applicant's request of the same title is
    the same certificate (to whichever issuer)."""
    user = worker()
    first = _submit(app, user, outcome_type="training_certificate", certificate_no="", title="焊接安全培训")
    with pytest.raises(Invalid) as err:
        _submit(app, user, outcome_type="training_certificate", certificate_no=" ", title="焊接安全培训",
                issuer="330100")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
    assert _submit(app, worker(), outcome_type="training_certificate", certificate_no="", title="焊接安全培训").id
    assert _submit(app, user, outcome_type="training_certificate", certificate_no="", title="电工安全培训").id
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6


def test_the_number_is_kept_as_compared(app, db):
    found = _submit(app, worker(), certificate_no=" zj-2025/０００1 ")
    assert found.certificate_no == "ZJ20250001"


def test_the_form_refuses_the_same_certificate_and_a_blank_number(app, client, auth):
    with app.app_context():
        user = worker()
        _submit(app, user, certificate_no="S330100-2025-0001")
        db.session.commit()
        phone = user.phone
    auth.login(phone)
    form = client.get("/credits/recognition/new").get_data(as_text=True)  # says which outcomes need the number
    assert 'aria-describedby="certificate_no-hint"' in form and "必须填写证书上的编号" in form
    for typed, message in (("S33010020250001", "已提交过学分认定"), ("", "请填写证书编号")):
        response = client.post("/credits/recognition/new", data={
            **request_values(certificate_no=typed, issuer="330100"), "evidence": (io.BytesIO(pdf_bytes()), "c.pdf"),
            "csrf_token": csrf_token(client, "/credits/recognition/new")}, content_type="multipart/form-data")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
