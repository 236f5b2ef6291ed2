"""The enterprise's top-up is drawn only for a worker who shares their learning with it. Its subsidy page shows
what is committed; had a non-consenting worker's approved claim drawn on it, that total moving by the per-claim
amount told the enterprise that the worker had a diploma or certificate approved, without their consent."""

from app.extensions import db as _db
from programme.admissions.models import Plan
from programme.enterprises import topups
from programme.enterprises.topups import SubsidyInput
from programme.money import subsidies
from tests import factories
from tests.programme.enterprises.helpers import boss, linked
from tests.programme.helpers import graduation, open_year, org, staff
from tests.programme.money.test_subsidies import enrolled

TOP_UP = SubsidyInput(amount_yuan=600, budget_yuan=5000, attainments=("dazhuan",))


def _approved(plan, name: str, number: str, *, consent: bool):
    me, record = enrolled(plan, name)
    linked(me, consent=consent)
    graduation(me, number)
    claim = subsidies.claim(_db.session, me, record, "dazhuan", number, "")
    return subsidies.decide(_db.session, staff(code="330106"), claim, True)


def _committed(client) -> str:
    page = client.get("/programme/enterprise/subsidy").get_data(as_text=True)
    return page.split("已承诺 ")[1].split(" 元")[0]


def test_a_non_consenting_workers_approved_claim_does_not_move_the_enterprises_total(app, client, auth):
    with app.app_context():
        plan = open_year()
        topups.set_subsidy(_db.session, boss(), org(factories.ENTERPRISE), plan, TOP_UP)
        phone, plan_id = boss().phone, plan.id
        _db.session.commit()
    auth.login(phone)
    assert _committed(client) == "0"
    with app.app_context():
        hidden = _approved(_db.session.get(Plan, plan_id), "赵不授权", "ZJ-11", consent=False)
        _db.session.commit()
        parts = (hidden.enterprise_id, hidden.enterprise_part, hidden.amount)
    assert _committed(client) == "0"  # had read 600: the worker's claim and its amount, told without consent
    assert parts == (None, 0, 1000)  # the union's part is paid as ever; the claim names no enterprise
    with app.app_context():
        shared = _approved(_db.session.get(Plan, plan_id), "王建国", "ZJ-12", consent=True)
        assert (shared.enterprise.code, shared.enterprise_part) == (factories.ENTERPRISE, 600)
        _db.session.commit()
    assert _committed(client) == "600"
