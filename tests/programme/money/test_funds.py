"""The funds ledger (经费台账): entries posted by plans, quota changes, top-ups, pass-downs and payments; the
reconciliation equals the sum of the entries and of the payments; history is never rewritten (the service and
the database both refuse); a unit never pays out or passes down more than it holds; the province's split by
rule; the performance dashboard's money read from the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.outbox import OutboxEvent
from app.timefmt import beijing_today
from programme.admissions import quotas
from programme.money import funds, reconciliation, subsidies
from programme.money.models import EntryKind, FundEntry, SubsidyPayment
from programme.reporting import performance
from tests.programme.helpers import at_once, graduation, open_year, org, staff
from tests.programme.money.test_subsidies import enrolled


def _entries(plan, code: str) -> list[FundEntry]:
    return list(db.session.scalars(select(FundEntry).where(FundEntry.plan_id == plan.id,
                                                           FundEntry.org_id == org(code).id)))


def _approved(plan, number: str, name: str = "张三明"):
    me, record = enrolled(plan, name)
    graduation(me, number)
    claim = subsidies.claim(db.session, me, record, "dazhuan", number, "")
    return subsidies.decide(db.session, staff(code="330106"), claim, True)


def test_the_reconciliation_equals_the_entries_and_the_payments(db):
    plan = open_year(budget=100_000)  # 杭州市 100,000 yuan, 西湖区 50,000
    city, county = staff(code="330100"), staff(code="330106")
    quotas.set_top_up(db.session, city, plan, org("330100"), 200)
    funds.top_up(db.session, city, plan, org("330100"), "20000.50", "市财政配套")
    funds.pass_down(db.session, city, plan, org("330106"), "5000", "配套资金下拨")
    funds.top_up(db.session, county, plan, org("330106"), 300_00)
    claim = _approved(plan, "ZJ-F-1")
    subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())

    lines = {line.org.code: line for line in reconciliation.reconcile(db.session, city, plan, org("330100"))}
    for code, line in lines.items():
        entries = _entries(plan, code)
        assert line.balance == sum(e.amount_fen for e in entries) == funds.balance(db.session, plan.id, org(code).id)
        assert line.entries == len(entries)
    paid = db.session.scalar(select(func.sum(SubsidyPayment.amount)))
    assert lines["330106"].paid == paid * 100 == 1200_00  # 1000 province standard + 200 city top-up
    assert (lines["330100"].allocated, lines["330100"].top_ups, lines["330100"].passed_down) == (
        100_000_00, 20_000_50, 55_000_00)
    assert lines["330100"].balance == 65_000_50
    assert (lines["330106"].allocated, lines["330106"].top_ups) == (55_000_00, 300_00)
    assert lines["330106"].balance == 55_000_00 + 300_00 - 1200_00
    # the payment's entry names the payment
    payment = db.session.scalar(select(SubsidyPayment))
    assert db.session.scalar(select(FundEntry.amount_fen).where(FundEntry.payment_id == payment.id)) == -1200_00
    # the province's overview: the city's region holds what it got plus its top-ups, less what was paid in it
    own, cities = reconciliation.overview(db.session, staff(code="330000"), plan)
    hangzhou = next(c for c in cities if c.org.code == "330100")
    assert own.allocated == 10_000_000_00 and own.passed_down == 100_000_00
    assert hangzhou.balance == lines["330100"].balance + lines["330106"].balance
    assert hangzhou.balance == 100_000_00 + 20_000_50 + 300_00 - 1200_00


def test_history_is_never_rewritten(db):
    plan = open_year()
    city = staff(code="330100")
    entry = funds.top_up(db.session, city, plan, org("330100"), 1000_00)
    db.session.commit()
    # through the service layer: the session refuses to flush a changed or deleted entry
    entry.amount_fen = 999_999_00
    with pytest.raises(Conflict) as err:
        db.session.flush()
    assert err.value.code == "ledger_append_only"
    db.session.rollback()
    db.session.delete(db.session.get(FundEntry, entry.id))
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    # around it, in SQL: the database's trigger refuses
    for statement in ("UPDATE programme_fund_entries SET amount_fen = 1 WHERE id = :id",
                      "DELETE FROM programme_fund_entries WHERE id = :id"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement), {"id": entry.id})
        db.session.rollback()
    # a correction is a new entry referring to the one it corrects
    fix = funds.adjust(db.session, city, db.session.get(FundEntry, entry.id), "-200", "多记了200元")
    assert fix.id != entry.id and fix.corrects_id == entry.id and fix.amount_fen == -200_00
    assert db.session.get(FundEntry, entry.id).amount_fen == 1000_00
    with pytest.raises(Invalid):  # a top-up is never corrected below nothing
        funds.adjust(db.session, city, db.session.get(FundEntry, entry.id), "-900", "再减")
    with pytest.raises(Invalid):  # a reason is required
        funds.adjust(db.session, city, db.session.get(FundEntry, entry.id), "10", " ")
    allocation = _entries(plan, "330100")[0]
    with pytest.raises(Invalid):  # money moved between units is corrected where it was moved
        funds.adjust(db.session, city, allocation, "10", "改划拨")


def test_a_quota_change_is_a_new_entry_correcting_the_last(db):
    plan = open_year(budget=100_000)
    quotas.allocate(db.session, staff(code="330000"), plan, org("330100"), 100, 80_000)
    received = [e for e in _entries(plan, "330100") if e.kind == EntryKind.allocation]
    assert [e.amount_fen for e in received] == [100_000_00, -20_000_00]
    assert received[1].corrects_id == received[0].id
    assert funds.balance(db.session, plan.id, org("330100").id) == 30_000_00  # 50,000 went on to 西湖区
    # the ledger posts in the announcing transaction: no outbox row is left for a duty that does not exist
    assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_a_unit_never_pays_out_more_than_it_holds(db):
    plan = open_year(budget=2_000)  # 杭州市 2,000 yuan, 西湖区 1,000
    city, county = staff(code="330100"), staff(code="330106")
    quotas.set_top_up(db.session, city, plan, org("330100"), 200)
    quotas.set_top_up(db.session, county, plan, org("330106"), 300)
    claim = _approved(plan, "ZJ-F-2")  # 1000 + 200 + 300 = 1500 yuan, the county holds 1000
    db.session.commit()
    with pytest.raises(Conflict) as err:
        subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())
    assert err.value.code == "funds_exceeded"
    db.session.rollback()
    assert db.session.scalar(select(func.count(SubsidyPayment.id))) == 0
    assert funds.balance(db.session, plan.id, org("330106").id) == 1000_00
    # passing down more than the city holds is refused too, and so is a pass-down past its balance later
    with pytest.raises(Conflict):
        funds.pass_down(db.session, city, plan, org("330106"), "1000.01")
    db.session.rollback()
    funds.pass_down(db.session, city, plan, org("330106"), "500")
    subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())
    assert funds.balance(db.session, plan.id, org("330106").id) == 0
    assert funds.balance(db.session, plan.id, org("330100").id) == 500_00


def test_who_may_record_and_hand_down(db):
    plan = open_year()
    with pytest.raises(Forbidden):  # another county's staff
        funds.top_up(db.session, staff(code="330105"), plan, org("330106"), "100")
    with pytest.raises(Forbidden):  # a county cannot hand its city's money down
        funds.pass_down(db.session, staff(code="330106"), plan, org("330106"), "100")
    with pytest.raises(Forbidden):
        reconciliation.reconcile(db.session, staff(code="330105"), plan, org("330106"))
    with pytest.raises(Forbidden):
        reconciliation.overview(db.session, staff(code="330100"), plan)
    for bad in ("0", "-5", "1.234", "abc", "１００", ""):
        with pytest.raises(Invalid):
            funds.top_up(db.session, staff(code="330100"), plan, org("330100"), bad)
    with pytest.raises(Invalid):
        funds.pass_down_to(db.session, staff(code="330100"), plan, org("330100"), "999999", "10")


def test_the_province_splits_by_places_and_enrolment(db):
    plan = open_year(places=100, budget=100_000)  # 杭州市 100 places; every other city none yet
    quotas.allocate(db.session, staff(code="330000"), plan, org("330200"), 100, 0)
    enrolled(plan)  # one enrolment record, in 西湖区 (杭州市)
    province = staff(code="330000")
    shares = {s.city.code: s for s in reconciliation.preview(db.session, province, plan)}
    assert sum(s.share_yuan for s in shares.values()) == plan.budget_yuan
    # half by places (50 % each), half by enrolment (all 杭州市): 75 % and 25 %
    assert (shares["330100"].share_yuan, shares["330200"].share_yuan) == (7_500_000, 2_500_000)
    with pytest.raises(Forbidden):
        reconciliation.apply_rule(db.session, staff(code="330100"), plan)
    reconciliation.apply_rule(db.session, province, plan)
    own, cities = reconciliation.overview(db.session, province, plan)
    assert own.passed_down == 10_000_000_00 and own.balance == 0
    assert {c.org.code: c.allocated for c in cities if c.allocated} == {"330100": 7_500_000_00,
                                                                       "330200": 2_500_000_00}
    assert quotas.quota_of(db.session, plan, org("330100")).budget_yuan == 7_500_000  # quota and ledger agree
    # the performance dashboard's money is the ledger's
    board = performance.dashboard(db.session, province, org("330000"), plan)
    row = next(r for r in board.rows if r.org.code == "330100")
    assert row.allocated == 7_500_000


def test_yuan_text_is_exact():
    assert funds.parse_yuan("1,500.5") == 150050 and funds.parse_yuan("-0.01") == -1
    assert funds.yuan(-150050) == "-1,500.50" and funds.yuan(7) == "0.07"


def test_two_clerks_passing_down_at_once_never_overdraw(app):
    """杭州市 holds 50,000 yuan; two clerks each hand 30,000 down at the same moment: one is refused."""
    with app.app_context():
        plan = open_year(budget=100_000)
        clerks = [staff(code="330100").id for _ in range(2)]
        db.session.commit()
        ids = (plan.id, org("330106").id, org("330100").id)

    def hand_down(i: int):
        from app.accounts.models import Organisation, User
        from programme.admissions.models import Plan
        clerk, plan_, county = (db.session.get(User, clerks[i]), db.session.get(Plan, ids[0]),
                                db.session.get(Organisation, ids[1]))
        return lambda: funds.pass_down(db.session, clerk, plan_, county, "30000")

    outcomes = at_once(app, len(clerks), hand_down)
    assert len(outcomes) == 2 and outcomes.count("ok") == 1
    with app.app_context():
        assert funds.balance(db.session, ids[0], ids[2]) == 20_000_00
