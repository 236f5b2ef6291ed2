"""Admissions under attack (a second review): two clerks admitting to the last place at once, a second account of
one person without an identity taking a second county place, a graduation rewritten after the subsidy it carried
was paid. Each fails on the code before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts import profiles
from app.accounts.models import User
from app.errors import Conflict, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.admissions.models import Application, AppStatus
from programme.money import subsidies
from tests import factories
from tests.programme.helpers import (
    ELIGIBLE,
    OPEN_DAY,
    admitted_on,
    at_once,
    graduation,
    offering,
    open_year,
    org,
    staff,
    worker,
)


def test_clerks_admitting_at_once_fill_the_last_place_once(app):
    """On SQLite both counted a free last place before either wrote: four clerks' admissions at once took four of
    one place. The offering is held before counting: one is admitted, three are told it is full."""
    with app.app_context():
        plan = open_year()
        item = offering(plan, places=1)
        ids = []
        for n in range(4):
            application = applications.apply(db.session, worker(f"工{n}"), item, OPEN_DAY)
            applications.verify(db.session, staff(code="330106"), application, True)
            ids.append(application.id)
        clerk_id, offering_id = staff("institution_staff").id, item.id
        db.session.commit()

    def admit(i: int):
        clerk, application = db.session.get(User, clerk_id), db.session.get(Application, ids[i])
        assert application.offering.institution is not None
        return lambda: applications.admit(db.session, clerk, application, True)

    outcomes = at_once(app, len(ids), admit)
    assert sorted(outcomes) == ["offering_full", "offering_full", "offering_full", "ok"]
    with app.app_context():
        assert len(db.session.scalars(select(Application).where(
            Application.offering_id == offering_id, Application.status == AppStatus.admitted)).all()) == 1


def test_an_account_without_a_name_and_id_number_does_not_apply(db):
    """The same person's second phone, with no ID number and no name, applied and was verified: one person held
    two county places, and the empty identity could no longer be filled in."""
    plan = open_year()
    second = factories.user(name="张三明")
    profiles.update_profile(db.session, second, second, {**ELIGIBLE, "real_name": ""})
    with pytest.raises(Invalid) as refused:
        applications.apply(db.session, second, offering(plan), OPEN_DAY)
    assert refused.value.code == "identity_missing" and "id_number" in refused.value.fields
    assert db.session.query(Application).count() == 0


def test_a_graduation_once_recorded_is_not_rewritten(db):
    """The page hides the form once recorded, but a post rewrote the date a paid subsidy rested on, unaudited."""
    plan = open_year()
    me = worker("张三明")
    application = applications.apply(db.session, me, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    applications.admit(db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    record = applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 9, 1))
    applications.graduate(db.session, staff("institution_staff"), application, date(2026, 11, 1))
    graduation(me, "ZJ-2026-001", on=date(2026, 11, 1))
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-2026-001", "")
    county = staff(code="330106")
    subsidies.decide(db.session, county, claim, True)
    subsidies.pay(db.session, county, plan, org("330106"), [claim.id], beijing_today())
    with pytest.raises(Conflict) as again:
        applications.graduate(db.session, staff("institution_staff"), application, date(2026, 9, 2))
    assert again.value.code == "already_graduated" and record.graduated_on == date(2026, 11, 1)
    applications.graduate(db.session, staff("institution_staff"), application, date(2026, 11, 1))  # the same: fine
