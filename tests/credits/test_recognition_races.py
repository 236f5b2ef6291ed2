"""One certificate, two requests decided or sent at the same moment (a review, 2026): two issuers' reviewers
pressing 通过 together each saw no approved twin, and both appended credits; a double-clicked form kept two
requests. Approvals and requests of one applicant now take turns (their user row held until commit), so the second
sees the first. A barrier after the twin check pins the interleaving racing requests hit: both have checked before
either writes (with the hold, the first waits it out alone)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.errors import Invalid
from app.extensions import db as _db
from credits import ledger, recognition
from credits.models import Recognition
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.credits.credit_factories import pdf_bytes, request_values, worker
from tests.programme.helpers import at_once


def _submit(app, user, **overrides):
    return recognition.submit(_db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


def _wait_after_the_twin_check(monkeypatch) -> None:
    """Each caller of recognition._same_certificate waits (up to 1 s) until both have run it."""
    both_checked, original = threading.Barrier(2, timeout=1), recognition._same_certificate

    def check_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return found

    monkeypatch.setattr(recognition, "_same_certificate", check_then_wait)


def test_attack_two_issuers_approve_one_certificate_at_the_same_moment(app, monkeypatch):
    with app.app_context():
        user = worker()
        first = _submit(app, user, issuer="INST-T1")
        twin = _submit(app, user, issuer="330100", outcome_type="qualification_certificate")
        twin.certificate_no = first.certificate_no  # both sent at the same moment: neither saw the other
        decisions = [(factories.user("institution_staff").id, first.id),
                     (factories.user("union_staff", org_code="330100").id, twin.id)]
        _db.session.commit()
        user_id = user.id
    _wait_after_the_twin_check(monkeypatch)

    def approve(i: int):
        reviewer, request_id = _db.session.get(User, decisions[i][0]), decisions[i][1]
        return lambda: recognition.review(_db.session, reviewer, request_id, "approve")

    outcomes = at_once(app, 2, approve)
    with app.app_context():
        assert ledger.balance(ledger.ledger(_db.session, user_id)) == 6  # one certificate, credited once
    assert sorted(outcomes) == ["already_recognised", "ok"], outcomes


def test_a_double_clicked_form_keeps_one_request(app, monkeypatch):
    with app.app_context():
        user_id = worker().id
        _db.session.commit()
    _wait_after_the_twin_check(monkeypatch)
    refused: list[str] = []

    def send(i: int):
        user = _db.session.get(User, user_id)

        def act() -> None:
            try:
                _submit(app, user, outcome_type="training_certificate", certificate_no="", title="焊接安全培训",
                        issuer=("INST-T1", "330100")[i])
            except Invalid as err:  # the page's 400: nothing of this request is kept
                _db.session.rollback()
                refused.append(err.fields["certificate_no"])
        return act

    at_once(app, 2, send)
    with app.app_context():
        assert len(_db.session.scalars(select(Recognition).where(Recognition.user_id == user_id)).all()) == 1
    assert len(refused) == 1 and "已提交过学分认定" in refused[0]


# SQLite has one writer: the first transaction's write (its applicant's row held) already makes the second wait.
ONE_WRITER = "PostgreSQL only: on SQLite the first write of either transaction already makes the other wait"


@pytest.mark.skipif(not TEST_DATABASE_URL, reason=ONE_WRITER)
def test_attack_two_people_s_requests_of_one_certificate_approved_at_the_same_moment(app, monkeypatch):
    """Two applicants sent one certificate's number (its holder, and someone with a copy), to two issuers; both
    reviewers pressed 通过 together: each held only its own applicant, saw no approved twin, and both credited it.
    Approvals of one number now take turns too."""
    with app.app_context():
        holder, copier = worker(), worker("李四")
        first = _submit(app, holder, issuer="INST-T1")
        twin = _submit(app, copier, issuer="330100")
        twin.certificate_no = first.certificate_no  # both sent at the same moment: neither saw the other
        decisions = [(factories.user("institution_staff").id, first.id),
                     (factories.user("union_staff", org_code="330100").id, twin.id)]
        _db.session.commit()
        applicants = [holder.id, copier.id]
    _wait_after_the_twin_check(monkeypatch)

    def approve(i: int):
        reviewer, request_id = _db.session.get(User, decisions[i][0]), decisions[i][1]
        return lambda: recognition.review(_db.session, reviewer, request_id, "approve")

    outcomes = at_once(app, 2, approve)
    with app.app_context():
        credited = [ledger.balance(ledger.ledger(_db.session, user_id)) for user_id in applicants]
    assert sorted(credited) == [0, 6], credited  # one certificate, credited once, to one person
    assert sorted(outcomes) == ["already_recognised", "ok"], outcomes


@pytest.mark.skipif(not TEST_DATABASE_URL, reason=ONE_WRITER)
def test_two_people_sending_one_certificate_at_once_keep_one_request(app, monkeypatch):
    with app.app_context():
        senders = [worker().id, worker("李四").id]
        _db.session.commit()
    _wait_after_the_twin_check(monkeypatch)
    refused: list[str] = []

    def send(i: int):
        user = _db.session.get(User, senders[i])

        def act() -> None:
            try:
                _submit(app, user, certificate_no="S330100-2025-7001", issuer=("INST-T1", "330100")[i])
            except Invalid as err:
                _db.session.rollback()
                refused.append(err.fields["certificate_no"])
        return act

    at_once(app, 2, send)
    with app.app_context():
        kept = _db.session.scalars(select(Recognition).where(Recognition.certificate_no == "S33010020257001")).all()
    assert len(kept) == 1 and len(refused) == 1 and "已提交过学分认定" in refused[0]
