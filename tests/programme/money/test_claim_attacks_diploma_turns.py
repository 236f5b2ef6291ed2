"""Reported (2026): a diploma approval on scans alone does not wait for one on a record at another institution
(only the former takes the province's turn, claim_checks.hold_result), so two county clerks pressing 核准 at
the same moment on one diploma number both pay. They do, and that is the outcome the rules give the same two
approvals one after the other, scans first: a claim on its institution's record is not stopped by another
person's payment (a squatter's scans must not refuse the graduate), and it reads nothing the scans approval
writes. Only the other order stops a claim (the scans one); a turn would only pick the order, never make one
payment certain. These tests pin that: the race leaves what the serial order leaves."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.errors import Conflict
from app.extensions import db
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from tests.conftest import TEST_DATABASE_URL
from tests.programme.helpers import at_once, graduation, open_year, org, staff, worker
from tests.programme.money.test_claim_attacks_squatter_scans import NUMBER, REAL, SQUATTER, _enrolled, _scans_claim

ONE_WRITER = "PostgreSQL only: on SQLite the first write of either transaction already makes the other wait"


def _two_claims(app) -> tuple[int, int]:
    """The graduate's claim on INST-T1's record of the diploma, and another worker's at INST-T2 on checked scans
    of the same number (INST-T2 holds no record of it): each page shows nothing paid."""
    plan = open_year()
    graduate, copier = worker("林真"), worker("钱伪")
    on_record = subsidies.claim(db.session, graduate, _enrolled(graduate, plan, REAL), "dazhuan", NUMBER, "")
    graduation(graduate, NUMBER, institution=REAL)
    on_scans = _scans_claim(app, copier, _enrolled(copier, plan, SQUATTER))
    for claim, scans in ((on_record, False), (on_scans, True)):
        review = claim_checks.review(db.session, claim)
        assert review.problems == [] and (review.record is None) is scans
    return on_record.id, on_scans.id


def _keys() -> dict[str, str]:
    return {"record": f"diploma:{org(REAL).id}:{NUMBER}", "scans": f"diploma:{org(SQUATTER).id}:{NUMBER}"}


def _approved() -> set[str]:
    return set(db.session.scalars(select(SubsidyClaim.result_key).where(SubsidyClaim.status == ClaimStatus.approved)))


@pytest.mark.parametrize("first", ["scans", "record"])
def test_one_after_the_other_scans_first_pays_both_record_first_stops_the_scans(app, db, first):
    ids = dict(zip(("record", "scans"), _two_claims(app), strict=True))
    subsidies.decide(db.session, staff(code="330106"), db.session.get(SubsidyClaim, ids[first]), True)
    second = db.session.get(SubsidyClaim, ids["record" if first == "scans" else "scans"])
    keys = _keys()
    if first == "scans":  # the graduate's own record is not stopped by another person's payment on scans
        subsidies.decide(db.session, staff(code="330106"), second, True)
        assert _approved() == set(keys.values())
    else:  # a payment of the number anywhere stops a claim on scans alone
        with pytest.raises(Conflict) as refused:
            subsidies.decide(db.session, staff(code="330106"), second, True)
        assert refused.value.code == "already_subsidised" and _approved() == {keys["record"]}


@pytest.mark.skipif(not TEST_DATABASE_URL, reason=ONE_WRITER)
def test_two_clerks_approving_at_once_leave_what_scans_first_would(app, monkeypatch):
    """Both clerks press 核准 together; a barrier after each approval's check pins the interleaving the report
    feared (both read "unpaid" before either writes): both are paid, under the keys the serial order scans-first
    gives (above). Whatever the interleaving, the payments are those of one order or the other (a turn between
    the two would only choose which): none the rules would refuse one at a time."""
    with app.app_context():
        record_id, scans_id = _two_claims(app)
        pairs = [(staff(code="330106").id, record_id), (staff(code="330106").id, scans_id)]
        keys = _keys()
        db.session.commit()
    both_checked, original = threading.Barrier(2, timeout=2), claim_checks.basis

    def check_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return found

    monkeypatch.setattr(claim_checks, "basis", check_then_wait)

    def prepare(i: int):
        reviewer, item = db.session.get(User, pairs[i][0]), db.session.get(SubsidyClaim, pairs[i][1])
        return lambda: subsidies.decide(db.session, reviewer, item, True)

    outcomes = at_once(app, 2, prepare)
    with app.app_context():
        approved = _approved()
    assert approved in (set(keys.values()), {keys["record"]}), approved  # what scans-first or record-first leaves
    assert (sorted(outcomes) == ["ok", "ok"]) is (approved == set(keys.values())), outcomes
    if not both_checked.broken:  # both read "unpaid" before either wrote (today: no turn between them)
        assert outcomes == ["ok", "ok"] and approved == set(keys.values())
