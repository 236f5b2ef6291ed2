"""A union clerk's own recognition request is decided above their reach (a review's attack: a city clerk made a
second account staff of a county, named that county as issuer and had the second account approve 200 credits)."""

from __future__ import annotations

import pytest

from app.accounts import organisations, service
from app.accounts.divisions import PROVINCE
from app.accounts.models import Role
from app.errors import Forbidden
from app.extensions import db
from credits import ledger, recognition
from tests import factories
from tests.credits.credit_factories import pdf_bytes, request_values


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


def test_attack_a_city_clerks_request_approved_by_the_county_they_staff(app, db):
    clerk = factories.user("union_staff", org_code="330100")
    second = factories.user("worker", name="另一个号")
    service.grant_role(db.session, second, Role.union_staff, organisations.get_by_code(db.session, "330106"),
                       actor=clerk)
    request = _submit(app, clerk, issuer="330106", claimed_credits="200")
    for reviewer in (second, factories.user("union_staff", org_code="330100")):  # the county, the clerk's own city
        with pytest.raises(Forbidden):
            recognition.review(db.session, reviewer, request.id, "approve", amount="200")
    assert ledger.balance(ledger.ledger(db.session, clerk.id)) == 0
    recognition.review(db.session, factories.user("union_staff", org_code=PROVINCE[0]), request.id, "approve",
                       amount="200")  # a union above the clerk's decides
    assert ledger.balance(ledger.ledger(db.session, clerk.id)) == 200


def test_a_county_clerks_request_to_another_county_is_decided_there(app, db):
    clerk = factories.user("union_staff", org_code="330106")
    request = _submit(app, clerk, issuer="330105", claimed_credits="6")  # not theirs to staff
    recognition.review(db.session, factories.user("union_staff", org_code="330105"), request.id, "approve",
                       amount="6")
    assert ledger.balance(ledger.ledger(db.session, clerk.id)) == 6
