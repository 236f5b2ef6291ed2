"""One certificate is recognised once, whatever letters its number is dressed in (a review, 2026): the number's
identity keeps every Unicode letter, so "第S330100-2025-0001号" or a Cyrillic Ѕ for S was a new certificate,
approved by a second issuer, doubling its credits. Numbered outcomes now take ASCII letters and digits only."""

from __future__ import annotations

import io

import pytest

from app.errors import Invalid
from app.extensions import db
from credits import ledger, recognition
from tests import factories
from tests.conftest import csrf_token
from tests.credits.credit_factories import pdf_bytes, request_values, worker

REFUSED = "证书编号只能包含英文字母和数字"


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


@pytest.mark.parametrize("outcome", ["diploma", "skill_certificate", "qualification_certificate"])
@pytest.mark.parametrize("typed", ["第S330100-2025-0001号", "Ѕ330100-2025-0001", "S330100-2025-ООО1"],
                         ids=["cjk-affix", "cyrillic-dze", "cyrillic-o"])
def test_attack_one_certificate_recognised_twice_through_a_lookalike_number(app, db, outcome, typed):
    user = worker()
    first = _submit(app, user, outcome_type=outcome, certificate_no="S330100-2025-0001", issuer="INST-T1")
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    with pytest.raises(Invalid) as err:  # the same certificate, to the city union, its number dressed up
        _submit(app, user, outcome_type=outcome, certificate_no=typed, issuer="330100")
    assert REFUSED in err.value.fields["certificate_no"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6  # credited once
    assert len(recognition.mine(db.session, user.id)) == 1


def test_a_training_certificate_keeps_its_chinese_serial(app, db):
    """Short courses print serials such as 浙培字第2025001号: that outcome is not refused, only compared."""
    user = worker()
    _submit(app, user, outcome_type="training_certificate", certificate_no="浙培字第2025001号", title="焊接安全培训")
    with pytest.raises(Invalid) as err:
        _submit(app, worker(), outcome_type="training_certificate", certificate_no="浙培字第 2025001 号")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]


def test_the_form_says_why_a_lookalike_number_is_refused(app, client, auth):
    with app.app_context():
        user = worker()
        db.session.commit()
        phone = user.phone
    auth.login(phone)
    response = client.post("/credits/recognition/new", data={
        **request_values(certificate_no="Ѕ330100-2025-0009"), "evidence": (io.BytesIO(pdf_bytes()), "c.pdf"),
        "csrf_token": csrf_token(client, "/credits/recognition/new")}, content_type="multipart/form-data")
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    with app.app_context():
        assert recognition.mine(db.session, user.id) == []
