"""A subsidy payment's date (review: "a subsidy payment date may be any date"): a batch dated after today in
Beijing, or before the day the claim was approved, is refused with its message and stable code, by the service
and through the payment form, and the approved claim stays unpaid; "today" and the approval day are Beijing's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today, local_day
from programme.money import subsidies
from programme.money.models import ClaimStatus, PaymentBatch, SubsidyClaim, SubsidyPayment
from tests.conftest import post_form
from tests.programme.helpers import graduation, open_year, org, staff
from tests.programme.money.test_subsidies import enrolled


def approved():
    """An approved claim of 西湖区 (330106) on an agreeing graduation record: (plan, claim)."""
    plan = open_year()
    me, record = enrolled(plan)
    graduation(me, "ZJ-PAY-1")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-PAY-1", "")
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    return plan, claim


def _unpaid(claim_id: int) -> bool:
    return (db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.approved
            and db.session.scalar(select(func.count(SubsidyPayment.id))) == 0
            and db.session.scalar(select(func.count(PaymentBatch.id))) == 0)


@pytest.mark.parametrize(("days", "code"), [(1, "future_date"), (3650, "future_date"),
                                            (-1, "paid_before_approval"), (-3650, "paid_before_approval")])
def test_a_payment_dated_in_the_future_or_before_approval_is_refused(db, days, code):
    plan, claim = approved()
    with pytest.raises(Invalid) as err:
        subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id],
                      beijing_today() + timedelta(days=days))
    assert err.value.code == code and set(err.value.fields) == {"paid_on"}
    assert "%" not in err.value.message
    assert _unpaid(claim.id)
    batch = subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], beijing_today())
    assert batch.paid_on == beijing_today() and claim.status == ClaimStatus.paid


def test_today_and_the_approval_day_are_beijing_days(db):
    with time_machine.travel(datetime(2026, 12, 3, 20, 0, tzinfo=UTC)):  # 04:00 on the 4th in Beijing
        plan, claim = approved()
        assert local_day(claim.verified_at) == date(2026, 12, 4)
        with pytest.raises(Invalid) as err:  # the UTC day: before the approval in Beijing
            subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], date(2026, 12, 3))
        assert err.value.code == "paid_before_approval" and "2026-12-04" in err.value.message
        with pytest.raises(Invalid) as err:
            subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], date(2026, 12, 5))
        assert err.value.code == "future_date" and "2026-12-04" in err.value.message
        subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], date(2026, 12, 4))
        assert claim.status == ClaimStatus.paid


@pytest.mark.parametrize(("paid_on", "message"), [
    ((beijing_today() + timedelta(days=1)).isoformat(), "发放日期不能晚于今天"),
    ("2999-01-01", "发放日期不能晚于今天"),
    ((beijing_today() - timedelta(days=1)).isoformat(), "发放日期不能早于"),
    ("2026-13-45", "请填写日期"),
], ids=["tomorrow", "year-2999", "before-approval", "not-a-date"])
def test_the_payment_form_refuses_a_bad_date_says_why_and_pays_nothing(app, client, auth, paid_on, message):
    with app.app_context():
        claim_id = approved()[1].id
        db.session.commit()
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/programme/subsidies/330106/pay", {"claim": str(claim_id), "paid_on": paid_on},
                         source="/programme/subsidies")
    assert response.status_code == 302
    assert message in client.get("/programme/subsidies").get_data(as_text=True)
    with app.app_context():
        assert _unpaid(claim_id)
