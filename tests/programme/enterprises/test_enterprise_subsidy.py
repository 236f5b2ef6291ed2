"""The enterprise's own subsidy on top of the union's: a claim shows both parts; only a worker the enterprise
confirmed (and who consents: test_subsidy_consent.py) draws it, only for the attainments it lists, and its budget
is never overspent, however the approvals come."""

import pytest

from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from programme.enterprises import topups
from programme.enterprises.topups import SubsidyInput
from programme.money import subsidies
from tests import factories
from tests.programme.enterprises.helpers import OTHER, boss, linked
from tests.programme.helpers import graduation, open_year, org, staff
from tests.programme.money.test_subsidies import enrolled

TOP_UP = SubsidyInput(amount_yuan=600, budget_yuan=1000, attainments=("dazhuan",), conditions="在岗满一年")


def _approved(plan, name: str, number: str, *, link: bool = True, confirm: bool = True):
    me, record = enrolled(plan, name)
    if link:
        linked(me, confirm=confirm, consent=True)
    graduation(me, number)
    claim = subsidies.claim(_db.session, me, record, "dazhuan", number, "")
    return subsidies.decide(_db.session, staff(code="330106"), claim, True)


def test_a_claim_shows_both_parts_and_the_budget_is_never_overspent(db):
    plan = open_year()
    row = topups.set_subsidy(db.session, boss(), org(factories.ENTERPRISE), plan, TOP_UP)
    first = _approved(plan, "张一", "ZJ-1")
    assert (first.amount, first.enterprise_part, first.total) == (1000, 600, 1600)
    assert first.enterprise.code == factories.ENTERPRISE
    second = _approved(plan, "张二", "ZJ-2")  # 400 left of the budget: less than 600, so nothing more
    assert (second.amount, second.enterprise_part) == (1000, 0)
    db.session.refresh(row)
    assert (row.committed_yuan, row.remaining) == (600, 400)
    with pytest.raises(Invalid) as err:  # the budget cannot drop below what is promised
        topups.set_subsidy(db.session, boss(), org(factories.ENTERPRISE), plan,
                           SubsidyInput(600, 500, ("dazhuan",)))
    assert "budget_yuan" in err.value.fields


def test_only_confirmed_workers_draw_it_and_only_its_staff_set_it(db):
    plan = open_year()
    topups.set_subsidy(db.session, boss(), org(factories.ENTERPRISE), plan, TOP_UP)
    claimed_only = _approved(plan, "张三", "ZJ-3", confirm=False)  # says they work there; never confirmed
    nobody = _approved(plan, "张四", "ZJ-4", link=False)
    assert claimed_only.enterprise_part == 0 and nobody.enterprise_part == 0 and nobody.enterprise_id is None
    for outsider in (boss(OTHER), factories.user(), staff(code="330106")):
        with pytest.raises(Forbidden):
            topups.set_subsidy(db.session, outsider, org(factories.ENTERPRISE), plan, SubsidyInput(99999, 99999,
                                                                                                   ("dazhuan",)))
    with pytest.raises(Invalid) as err:
        topups.set_subsidy(db.session, boss(), org(factories.ENTERPRISE), plan, SubsidyInput(-1, 10, ()))
    assert set(err.value.fields) == {"amount_yuan", "attainments"}


def test_the_budget_holds_even_against_a_direct_update(db):
    """The CHECK constraint is the last word: committing past the budget fails in the database itself."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from programme.enterprises.models import EnterpriseSubsidy

    plan = open_year()
    row = topups.set_subsidy(db.session, boss(), org(factories.ENTERPRISE), plan, TOP_UP)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(EnterpriseSubsidy).where(EnterpriseSubsidy.id == row.id).values(committed_yuan=1001))
