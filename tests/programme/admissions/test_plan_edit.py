"""Editing an opened plan: every field checked at once (non-numbers, negatives, closing before opening, fewer
places than already handed out), nothing saved on any error, and each change kept with who and when."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import Forbidden, Invalid
from app.extensions import db
from programme.admissions import plans, quotas
from programme.admissions.models import Plan, PlanChange, QuotaChange
from tests.conftest import post_form
from tests.programme.helpers import YEAR, open_year, org, staff


def test_a_plan_is_edited_and_every_change_is_kept(db):
    plan = open_year(places=100, budget=100_000)
    province = staff(code="330000")
    changes = plans.update_plan(db.session, province, plan, {
        "target_places": "12000", "budget_yuan": "12000000", "std_benke": "1800", "std_dazhuan": "1000",
        "opens_on": "2026-03-20", "closes_on": "2026-07-31", "not_a_field": "x"})
    assert {c.field: (c.before, c.after) for c in changes} == {
        "target_places": ("10000", "12000"), "budget_yuan": ("10000000", "12000000"), "std_benke": ("1500", "1800"),
        "opens_on": ("2026-03-15", "2026-03-20"), "closes_on": ("2026-06-30", "2026-07-31")}
    assert all(c.actor_id == province.id and c.at is not None for c in changes)
    assert (plan.target_places, plan.std_benke, plan.closes_on) == (12000, 1800, date(2026, 7, 31))
    held = quotas.quota_of(db.session, plan, org("330000"))
    assert (held.places, held.budget_yuan, held.handed_out) == (12000, 12_000_000, 100)
    last = db.session.scalars(select(QuotaChange).where(QuotaChange.quota_id == held.id)).all()[-1]
    assert (last.places_before, last.places_after, last.actor_id) == (10000, 12000, province.id)
    assert plans.update_plan(db.session, province, plan, {"std_benke": 1800}) == []  # nothing changed, no history
    assert [c.field for c in plans.plan_history(db.session, plan)][0] in {"closes_on", "opens_on"}


@pytest.mark.parametrize(("values", "fields"), [
    ({"target_places": "很多", "budget_yuan": "1e6", "std_benke": "1,500"}, {"target_places", "budget_yuan",
                                                                          "std_benke"}),
    ({"std_dazhuan": "-1", "budget_yuan": "-5", "target_places": "0"}, {"std_dazhuan", "budget_yuan",
                                                                       "target_places"}),
    ({"std_technician": "", "std_senior_worker": "12.5"}, {"std_technician", "std_senior_worker"}),
    ({"opens_on": "2026-07-01", "closes_on": "2026-06-30"}, {"closes_on"}),
    ({"closes_on": "2026-03-01"}, {"closes_on"}),  # before the opening day already saved
    ({"opens_on": "明天", "closes_on": "2026-02-30"}, {"opens_on", "closes_on"}),
    ({"target_places": "99"}, {"target_places"}),       # 100 places already handed to 杭州市
    ({"budget_yuan": "99999"}, {"budget_yuan"}),        # 100,000 yuan already handed down
    ({"std_benke": "99999999999"}, {"std_benke"}),
])
def test_bad_values_are_all_reported_and_nothing_is_saved(db, values, fields):
    plan = open_year(places=100, budget=100_000)
    before = {k: getattr(plan, k) for k in plans.EDITABLE_NUMBERS + plans.EDITABLE_DATES}
    with pytest.raises(Invalid) as err:
        plans.update_plan(db.session, staff(code="330000"), plan, {"std_benke": "2000", **values})
    assert set(err.value.fields) == fields
    assert all(message and "%" not in message for message in err.value.fields.values())
    assert {k: getattr(plan, k) for k in before} == before
    assert db.session.scalar(select(PlanChange.id)) is None


def test_only_the_province_union_edits_a_plan(db):
    plan = open_year()
    for who in (staff(code="330100"), staff("institution_staff"), staff("worker")):
        with pytest.raises(Forbidden):
            plans.update_plan(db.session, who, plan, {"std_benke": "1"})
    assert plan.std_benke == 1500


def test_the_edit_page_shows_errors_in_chinese_beside_the_fields_and_keeps_the_plan(app, client, auth):
    with app.app_context():
        open_year()
        db.session.commit()
    auth.as_role("union_staff", "330000")
    assert f"/programme/plans/{YEAR}/edit" in client.get("/programme/plans").get_data(as_text=True)
    page = f"/programme/plans/{YEAR}/edit"
    form = {"target_places": "abc", "budget_yuan": "-1", "std_dazhuan": "1000", "std_benke": "1500",
            "std_senior_worker": "800", "std_technician": "1200", "std_senior_technician": "1500",
            "opens_on": "2026-05-01", "closes_on": "2026-04-01"}
    response = post_form(client, page, form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写整数" in body and "预算不能为负数" in body and "截止日期不能早于开始日期" in body
    assert 'value="abc"' in body  # what was typed stays in the form
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        assert (plan.target_places, plan.budget_yuan, plan.closes_on) == (10_000, 10_000_000, date(2026, 6, 30))
    response = post_form(client, page, {**form, "target_places": "11000", "budget_yuan": "10000000",
                                        "opens_on": "2026-03-15", "closes_on": "2026-08-31"})
    assert response.status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert "已保存 2 项修改" in body and "10000 → 11000" in body and "2026-06-30 → 2026-08-31" in body


def test_the_edit_page_refuses_others(app, client, auth):
    with app.app_context():
        open_year()
        db.session.commit()
    auth.as_role("union_staff", "330100")
    assert client.get(f"/programme/plans/{YEAR}/edit").status_code == 403
