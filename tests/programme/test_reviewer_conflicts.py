"""Who decides, in programme admissions and subsidies (reviews' attacks): a city's education bureau selecting another
city's institution onto the public menu; a union clerk's own application verified, and own subsidy approved, by a
desk neighbour at the same union."""

from datetime import date

import pytest

from app.accounts import organisations, service
from app.accounts.divisions import PROVINCE
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Forbidden
from app.extensions import db as _db
from programme.admissions import applications, declarations
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import AppStatus, OfferingStatus
from programme.money import subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.programme.helpers import OPEN_DAY, admitted_on, graduation, offering, open_year, org, staff, worker


def _department_clerk(code: str, kind: OrgKind, parent: str):
    dept = organisations.create_organisation(_db.session, SYSTEM, parent_code=parent, code=code, name=f"部门{code}",
                                             kind=kind)
    clerk = factories.user()
    service.grant_role(_db.session, clerk, Role.union_staff, dept)
    return clerk


def _declared():
    return declarations.declare(_db.session, staff("institution_staff"), open_year(), org(factories.INSTITUTION),
                                OfferingInput(kind="academic", level="zhuanke", major="机电一体化", mode="业余",
                                              years=3, tuition_yuan=6000, discount_yuan=0, places=30))


def test_attack_a_city_bureau_selects_another_citys_institution(db):
    item = _declared()  # a 杭州 institution's
    with pytest.raises(Forbidden):
        declarations.review(db.session, _department_clerk("EDU-NB", OrgKind.education_dept, "330200"), item,
                            "select", "")
    assert item.status == OfferingStatus.declared
    assert declarations.review(db.session, _department_clerk("EDU-HZ", OrgKind.education_dept, "330100"), item,
                               "select", "").status == OfferingStatus.selected


def test_a_province_bureau_selects_anywhere(db):
    item = _declared()
    clerk = _department_clerk("HR-ZJ", OrgKind.hr_dept, PROVINCE[0])
    assert declarations.review(db.session, clerk, item, "select", "").status == OfferingStatus.selected


def _clerk_applicant():
    clerk = worker("王五")
    service.grant_role(_db.session, clerk, Role.union_staff, org("330106"))  # 西湖区 union staff, and a learner
    return clerk


def test_attack_a_union_clerks_application_verified_by_a_desk_neighbour(db):
    plan = open_year()
    clerk = _clerk_applicant()
    application = applications.apply(db.session, clerk, offering(plan), OPEN_DAY)
    with pytest.raises(Forbidden):
        applications.verify(db.session, staff(code="330106"), application, True)
    assert application.status == AppStatus.applied
    applications.verify(db.session, staff(code="330100"), application, True)  # from the union above: fine
    assert application.status == AppStatus.verified


def test_attack_a_union_clerks_subsidy_approved_by_a_desk_neighbour(db):
    plan = open_year()
    clerk = _clerk_applicant()
    application = applications.apply(db.session, clerk, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330100"), application, True)
    applications.admit(db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    record = applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 9, 1))
    graduation(clerk, "ZJ-COLL-1")
    claim = subsidies.claim(db.session, clerk, record, "dazhuan", "ZJ-COLL-1", "")
    with pytest.raises(Forbidden):
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.claimed
