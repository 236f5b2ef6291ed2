"""Opening a plan with numbers no column holds (review: "open_plan has no upper bound"): the service refuses
them field by field with the limit in the message, the form answers 400 beside the fields (never a 500, also on
PostgreSQL, whose INTEGER ends at 2,147,483,647), and the plan already saved stays as it was."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import Organisation
from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import plans
from programme.admissions.models import Plan, Quota
from tests.conftest import post_form
from tests.programme.helpers import YEAR, open_year, org, staff

NEXT_YEAR = beijing_today().year + 1
HUGE = {"target_places": 3_000_000_000, "budget_yuan": 2**31, "std_benke": 10**20}


def _input(**changes) -> plans.PlanInput:
    data = {"year": NEXT_YEAR, "notice_date": date(NEXT_YEAR, 3, 1), "opens_on": date(NEXT_YEAR, 3, 1),
            "closes_on": date(NEXT_YEAR, 6, 30), **changes}
    return plans.PlanInput(**data)


@pytest.mark.parametrize(("changes", "field"), [
    ({"target_places": HUGE["target_places"]}, "target_places"),
    ({"budget_yuan": HUGE["budget_yuan"]}, "budget_yuan"),
    ({"standards": {"std_benke": HUGE["std_benke"]}}, "std_benke"),
    ({"year": NEXT_YEAR + 50}, "year"),
])
def test_a_plan_with_a_number_beyond_its_limit_is_refused_by_the_service(db, changes, field):
    with pytest.raises(Invalid) as err:
        plans.open_plan(db.session, staff(code="330000"), _input(**changes))
    assert set(err.value.fields) == {field}
    assert "%" not in err.value.fields[field]
    assert db.session.scalar(select(func.count(Plan.id))) == 0


def test_the_largest_allowed_numbers_open_a_plan_and_fit_the_columns(db):
    plan = plans.open_plan(db.session, staff(code="330000"), _input(
        target_places=plans.MAX_PLACES, budget_yuan=plans.MAX_BUDGET_YUAN,
        standards=dict.fromkeys(plans.STANDARD_FIELDS, plans.MAX_STANDARD_YUAN)))
    db.session.flush()
    assert (plan.target_places, plan.budget_yuan, plan.std_benke) == (
        plans.MAX_PLACES, plans.MAX_BUDGET_YUAN, plans.MAX_STANDARD_YUAN)
    assert plans.MAX_BUDGET_YUAN < 2**31 and plans.MAX_PLACES < 2**31  # PostgreSQL INTEGER
    for name, limit in (("target_places", plans.MAX_PLACES), ("budget_yuan", plans.MAX_BUDGET_YUAN)):
        with pytest.raises(Invalid) as err:
            plans.open_plan(db.session, staff(code="330000"), _input(year=NEXT_YEAR - 1, **{name: limit + 1}))
        assert str(limit) in err.value.fields[name]


def test_the_plan_form_refuses_huge_numbers_with_a_message_and_keeps_the_saved_plan(app, client, auth):
    with app.app_context():
        open_year()  # YEAR, saved before the attack
        db.session.commit()
    auth.as_role("union_staff", "330000")
    response = post_form(client, "/programme/plans", {
        "year": str(NEXT_YEAR), "notice_date": f"{NEXT_YEAR}-03-01", "opens_on": f"{NEXT_YEAR}-03-01",
        "closes_on": f"{NEXT_YEAR}-06-30", **{k: str(v) for k, v in HUGE.items()}})
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:300]
    assert body.count("数额过大，不能超过") == 3  # one message beside each field, in Chinese
    with app.app_context():
        assert db.session.scalars(select(Plan.year)).all() == [YEAR]
        assert db.session.scalar(select(func.count(Quota.id))) == 3  # the province, 杭州市 and 西湖区 of YEAR


def test_a_top_up_no_column_holds_is_refused_beside_its_field_and_the_saved_one_stays(app, client, auth):
    """The city's 配套 per person has the standards' bound: 3,000,000,000 yuan is refused with a message (on
    PostgreSQL it was an INTEGER overflow), and the top-up saved before is kept."""
    from programme.admissions import quotas

    with app.app_context():
        plan = open_year()
        quotas.set_top_up(db.session, staff(code="330100"), plan, org("330100"), 200)
        db.session.commit()
    auth.as_role("union_staff", "330100")
    response = post_form(client, f"/programme/quotas/330100?year={YEAR}", {"top_up": "3000000000"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body[:300]
    assert f"数额过大，不能超过 {plans.MAX_STANDARD_YUAN}" in body
    with app.app_context():
        assert db.session.scalar(select(Quota.top_up_yuan).join(Quota.org).where(Organisation.code == "330100")) == 200
