"""Decisions taken twice at the same moment (a review): two reviewers selecting and rejecting one declaration, two
clerks entering different graduation dates on one enrolment. Each had both succeed, the last write standing
unseen; now one decision stands and the other clerk is told."""

from __future__ import annotations

from datetime import date

from app.accounts.models import User
from app.extensions import db
from programme.admissions import applications, declarations
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import Application, EnrolmentRecord, Offering, OfferingStatus
from tests import factories
from tests.programme.helpers import OPEN_DAY, admitted_on, at_once, offering, open_year, org, staff, worker


def test_a_declaration_is_decided_once_when_two_reviewers_press_at_once(app):
    with app.app_context():
        plan = open_year()
        item = declarations.declare(db.session, staff("institution_staff"), plan, org(factories.INSTITUTION),
                                    OfferingInput(kind="academic", level="zhuanke", major="机电一体化", mode="业余",
                                                  years=3, tuition_yuan=6000, discount_yuan=0, places=30))
        reviewers = [staff(code="330000").id, staff(code="330000").id]
        db.session.commit()
        offering_id = item.id

    def decide(i: int):
        reviewer, declared = db.session.get(User, reviewers[i]), declarations.get(db.session, offering_id)
        decision, comment = ("select", "") if i == 0 else ("reject", "不符合条件")
        return lambda: declarations.review(db.session, reviewer, declared, decision, comment)

    outcomes = at_once(app, len(reviewers), decide)
    assert sorted(outcomes) == ["already_reviewed", "ok"], outcomes
    with app.app_context():
        decided = db.session.get(Offering, offering_id)
        winner = 0 if decided.status == OfferingStatus.selected else 1
        assert decided.reviewed_by_id == reviewers[winner]
        assert decided.review_comment == ("", "不符合条件")[winner]


def test_one_graduation_date_stands_when_two_clerks_enter_different_ones_at_once(app):
    dates = (date(2026, 11, 1), date(2026, 12, 1))
    with app.app_context():
        application = applications.apply(db.session, worker(), offering(open_year()), OPEN_DAY)
        applications.verify(db.session, staff(code="330106"), application, True)
        applications.admit(db.session, staff("institution_staff"), application, True)
        admitted_on(application, date(2026, 9, 1))
        record = applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 9, 1))
        clerks = [staff("institution_staff").id for _ in dates]
        db.session.commit()
        ids = (application.id, record.id)

    entered: list[date] = []

    def enter(i: int):
        clerk, enrolled = db.session.get(User, clerks[i]), db.session.get(Application, ids[0])
        assert enrolled.enrolment is not None

        def act() -> None:
            applications.graduate(db.session, clerk, enrolled, dates[i])
            entered.append(dates[i])
        return act

    outcomes = at_once(app, len(clerks), enter)
    assert sorted(outcomes) == ["already_graduated", "ok"], outcomes
    with app.app_context():
        assert [db.session.get(EnrolmentRecord, ids[1]).graduated_on] == entered
