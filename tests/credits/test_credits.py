"""The ledger: awards exactly once (also when requests race), revocation appends, the API returns it all."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from credits import awards, ledger
from credits.models import Certificate, CreditRecord, LedgerIsAppendOnly, RecordKind
from tests import factories
from tests.credits.credit_factories import complete, resource, worker


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_completion_earns_the_resource_credits_once_with_a_certificate(db):
    user, item = worker(), resource(4.5)
    first = complete(user, item)
    again = complete(user, item)
    db.session.commit()
    assert first is not None and again.id == first.id
    assert (first.kind, first.amount, first.source, first.issuer.code) == (RecordKind.earned, 4.5, item.title,
                                                                           "INST-T1")
    assert _count(CreditRecord, user_id=user.id) == 1
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
    assert (certificate.holder_name, certificate.credits, certificate.record_id) == ("张小明", 4.5, first.id)


def test_a_resource_without_credits_gives_a_certificate_but_no_record(db):
    user, item = worker(), resource(0)
    assert complete(user, item) is None
    assert _count(CreditRecord, user_id=user.id) == 0
    assert _count(Certificate, user_id=user.id) == 1


def test_unknown_resource_or_user_is_refused(db):
    user, item = worker(), resource()
    with pytest.raises(NotFound):
        awards.award_completion(db.session, user.id, 999_999)
    with pytest.raises(NotFound):
        awards.award_completion(db.session, 999_999, item.id)


def test_double_award_race_leaves_one_record(app):
    """Eight requests complete the same resource at once, each in its own session and connection."""
    with app.app_context():
        user, item = worker(), resource(3)
        db.session.commit()
        user_id, resource_id = user.id, item.id
    barrier, errors, results = threading.Barrier(8), [], []

    def finish() -> None:
        with app.app_context():
            try:
                barrier.wait()
                record = awards.award_completion(db.session, user_id, resource_id)
                db.session.commit()
                results.append(record.id)
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finish) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert _count(CreditRecord, user_id=user_id) == 1
        assert _count(Certificate, user_id=user_id) == 1
        assert len(set(results)) == 1 and len(results) == 8


def test_revocation_appends_and_never_rewrites(db):
    user, item = worker(), resource(4)
    earned = complete(user, item)
    staff = factories.user("institution_staff")
    before = (earned.kind, earned.amount, earned.source, earned.created_at)
    revocation = ledger.revoke_record(db.session, staff, earned.id, "证书信息有误")
    db.session.commit()
    records = ledger.ledger(db.session, user.id)
    assert [r.kind for r in records] == [RecordKind.earned, RecordKind.revoked]
    assert (earned.kind, earned.amount, earned.source, earned.created_at) == before
    assert (revocation.amount, revocation.revokes_id, revocation.reason, revocation.reviewer_id) == (
        -4, earned.id, "证书信息有误", staff.id)
    assert ledger.balance(records) == 0 and ledger.in_force(records) == []
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
    assert certificate.revoked_at is not None and certificate.revoked_reason == "证书信息有误"
    with pytest.raises(Conflict):
        ledger.revoke_record(db.session, staff, earned.id, "再撤一次")
    with pytest.raises(Invalid):
        ledger.revoke_record(db.session, staff, revocation.id, "撤销撤销")
    assert complete(user, item).id == earned.id  # completing again does not award again


def test_revocation_bad_inputs_and_permissions(db):
    user, item = worker(), resource(4)
    earned = complete(user, item)
    for reason in ("", "   ", None, "长" * 501):
        with pytest.raises(Invalid) as err:
            ledger.revoke_record(db.session, SYSTEM, earned.id, reason)
        assert "reason" in err.value.fields
    with pytest.raises(NotFound):
        ledger.revoke_record(db.session, SYSTEM, 999_999, "原因")
    for outsider in (user, factories.user("institution_staff", org_code=factories.OTHER_INSTITUTION),
                     factories.user("union_staff", org_code="330200")):
        with pytest.raises(Forbidden):
            ledger.revoke_record(db.session, outsider, earned.id, "原因")
    union_above = factories.user("union_staff", org_code="330100")
    assert ledger.revoke_record(db.session, union_above, earned.id, "原因").amount == -4


def test_no_code_can_change_or_delete_a_record_through_the_orm(db):
    public = {name for name in dir(credits) if not name.startswith("_")}
    assert not {n for n in public if n.startswith(("update", "delete", "edit", "remove", "set_"))}
    record = complete(worker(), resource(4))
    db.session.commit()
    record.amount = 40
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(CreditRecord, record.id))
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(CreditRecord, record.id).amount == 4


def test_api_returns_the_ledger_in_readable_chinese(app, client, auth):
    anonymous = client.get("/api/v1/me/credits")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "login_required"
    phone = auth.as_role("worker")
    with app.app_context():
        from app.accounts.models import User

        user = db.session.scalar(select(User).where(User.phone == phone))
        item = resource(2.5, title="叉车司机安全操作")
        complete(user, item)
        ledger.revoke_record(db.session, SYSTEM, complete(user, resource(1, title="焊工入门")).id, "重复登记")
        db.session.commit()
    response = client.get("/api/v1/me/credits")
    assert response.status_code == 200 and "叉车司机安全操作".encode() in response.data
    body = response.get_json()
    assert body["balance"] == 2.5
    kinds = [(r["kind"], r["amount"], r["revoked"]) for r in body["records"]]
    assert kinds == [("earned", 2.5, False), ("earned", 1.0, True), ("revoked", -1.0, False)]
    assert body["records"][2]["reason"] == "重复登记" and body["records"][2]["revokes"] == body["records"][1]["id"]
    assert {c["title"] for c in body["certificates"]} == {"叉车司机安全操作", "焊工入门"}
    assert client.post("/api/v1/me/credits").status_code in (400, 405)


@given(st.lists(st.tuples(st.integers(0, 40).map(lambda n: n / 4), st.booleans()), max_size=12))
def test_balance_is_the_sum_of_what_is_in_force(rows):
    """Whatever is earned and revoked, the plain sum (revocations negative) equals the records still in force."""
    records, next_id = [], 1
    for amount, revoke in rows:
        earned = CreditRecord(id=next_id, kind=RecordKind.earned, amount=amount)
        records.append(earned)
        next_id += 1
        if revoke:
            records.append(CreditRecord(id=next_id, kind=RecordKind.revoked, amount=-amount, revokes_id=earned.id))
            next_id += 1
    assert ledger.balance(records) == round(sum(r.amount for r in ledger.in_force(records)), 2)
    assert all(r.amount >= 0 for r in ledger.in_force(records))
