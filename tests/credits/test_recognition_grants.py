"""What a recognition may grant: never more than the worker claimed (a reviewer's grant is capped at the claim), and
a conversion row only for the occupation it names, matched whole (never a longer or shorter occupation)."""

from __future__ import annotations

import pytest

from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db
from credits import conversion, ledger, recognition
from credits.models import Recognition, RecognitionStatus, RecordKind
from tests import factories
from tests.conftest import post_form
from tests.credits.credit_factories import pathway, pdf_bytes, request_values, worker


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


def test_a_reviewer_cannot_grant_more_than_the_worker_claimed(app, db):
    """A reviewer's attack: a worker claims 6 credits for a certificate and a friendly reviewer types 60 (or 6.01)
    into 认定学分; before, the ledger got 60. Refused with `above_claimed`, the request stays pending; the claim
    itself, or less, goes through."""
    user, staff = worker(), factories.user("institution_staff")
    request = _submit(app, user, claimed_credits="6")
    for amount in ("60", "6.01", "200"):
        with pytest.raises(Invalid) as err:
            recognition.review(db.session, staff, request.id, "approve", amount=amount)
        assert err.value.code == "above_claimed" and "不能超过申请的6学分" in err.value.fields["amount"]
    assert db.session.get(Recognition, request.id).status == RecognitionStatus.pending
    assert ledger.ledger(db.session, user.id) == []
    recognition.review(db.session, staff, request.id, "approve", amount="6")
    less = _submit(app, user, claimed_credits="6")
    recognition.review(db.session, staff, less.id, "approve", amount="2.5")
    assert [r.amount for r in ledger.ledger(db.session, user.id)] == [6, 2.5]
    nothing_claimed = _submit(app, user, claimed_credits="")
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, staff, nothing_claimed.id, "approve", amount="1")
    assert err.value.code == "above_claimed"


def test_the_review_page_refuses_a_grant_above_the_claim(app, client, auth):
    with app.app_context():
        user = worker()
        request_id, user_id = _submit(app, user, claimed_credits="6").id, user.id
        db.session.commit()
    auth.as_role("institution_staff")
    url, page = f"/credits/recognition/{request_id}/review", f"/credits/recognition/{request_id}"
    refused = post_form(client, url, {"decision": "approve", "amount": "60"}, source=page)
    assert refused.status_code == 400 and "不能超过申请的6学分" in refused.get_data(as_text=True)
    with app.app_context():
        assert ledger.ledger(db.session, user_id) == []
        assert db.session.get(Recognition, request_id).status == RecognitionStatus.pending
    assert post_form(client, url, {"decision": "approve", "amount": "6"}, source=page).status_code == 302
    with app.app_context():
        assert ledger.balance(ledger.ledger(db.session, user_id)) == 6


@pytest.mark.parametrize(("row", "certificate"), [("维修电工", "电工"), ("电工", "维修电工"), ("电工", "电工仪表")])
def test_a_conversion_row_matches_its_occupation_whole(app, db, row, certificate):
    """A worker's attack: a certificate for one occupation converted by the row of a longer or shorter one. Only
    the same occupation converts; any other is recognised at what the reviewer grants (capped at the claim)."""
    conversion.add_conversion(db.session, SYSTEM, {"outcome_type": "skill_certificate", "occupation": row,
                                                    "level": "高级工", "credits": "12",
                                                    "pathways": [pathway(30, kind="skill").id]})
    user = worker()
    request = _submit(app, user, occupation=certificate, claimed_credits="6")
    assert conversion.match_conversion(db.session, request) is None
    recognition.review(db.session, factories.user("institution_staff"), request.id, "approve")
    [record] = ledger.ledger(db.session, user.id)
    assert (record.kind, record.amount, record.conversion_id) == (RecordKind.recognised, 6, None)
    same = _submit(app, user, occupation=f" {row} ", claimed_credits="6")
    assert conversion.match_conversion(db.session, same) is not None
