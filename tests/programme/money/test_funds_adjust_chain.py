"""A top-up's corrections under attack (a review): a correction is itself a top-up entry, so "correcting" it on its
own, or two clerks correcting one top-up at the same moment, took a county's own money put in below nothing, which
takes province money out of the ledger as a "top-up correction" with no payment behind it. The whole chain (the
top-up and every correction of it) is now checked, in the savepoint that posts the correction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import Invalid
from app.extensions import db
from programme.money import funds
from programme.money.models import EntryKind, FundEntry
from tests.programme.helpers import at_once, open_year, org, staff


def _top_ups(plan_id: int, org_id: int) -> int:
    return int(db.session.scalar(select(func.sum(FundEntry.amount_fen)).where(
        FundEntry.plan_id == plan_id, FundEntry.org_id == org_id, FundEntry.kind == EntryKind.top_up)) or 0)


def test_a_top_up_is_never_taken_below_nothing_by_adjusting_its_corrections(db):
    plan = open_year(budget=100_000)  # 西湖区 holds 50,000 yuan of province money
    county = staff(code="330106")
    first = funds.top_up(db.session, county, plan, org("330106"), "100", "区财政配套")
    raised = funds.adjust(db.session, county, first, "1000", "补记")  # the top-up is now 1,100
    funds.adjust(db.session, county, first, "-1100", "冲销")  # 0: allowed, the rule's limit
    with pytest.raises(Invalid) as err:  # the +1000 correction, "corrected" on its own
        funds.adjust(db.session, county, raised, "-1000", "冲销补记")
    assert err.value.fields["amount"] == "最多调减 0.00 元。"
    assert _top_ups(plan.id, org("330106").id) == 0
    # a correction of a correction is posted against the original top-up: the chain stays one level deep
    again = funds.adjust(db.session, county, raised, "50", "补记")
    assert again.corrects_id == first.id
    with pytest.raises(Invalid):
        funds.adjust(db.session, county, again, "-50.01", "再减")
    funds.adjust(db.session, county, again, "-50", "再减")
    assert _top_ups(plan.id, org("330106").id) == 0


def test_two_clerks_reducing_one_top_up_at_once_never_take_it_below_nothing(app):
    """西湖区 put in 1,000 yuan; two clerks each take 600 off it at the same moment: one is refused."""
    with app.app_context():
        plan = open_year(budget=100_000)
        clerks = [staff(code="330106").id for _ in range(2)]
        entry = funds.top_up(db.session, db.session.get(User, clerks[0]), plan, org("330106"), "1000", "")
        db.session.commit()
        ids = (plan.id, org("330106").id, entry.id)
    refused: list[int] = []

    def reduce(i: int):
        clerk, top_up = db.session.get(User, clerks[i]), db.session.get(FundEntry, ids[2])

        def act() -> None:
            try:
                funds.adjust(db.session, clerk, top_up, "-600", "多记")
            except Invalid:
                refused.append(i)
        return act

    outcomes = at_once(app, len(clerks), reduce)
    assert outcomes == ["ok", "ok"] and len(refused) == 1
    with app.app_context():
        assert _top_ups(ids[0], ids[1]) == 400_00
