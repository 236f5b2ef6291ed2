"""The programme's permission matrix per level: who may do what, for every role against real targets.
A county never spends a city's quota; an institution only admits to its own offerings."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts import organisations
from app.accounts.models import Membership, OrgKind, Role
from app.accounts.policy import SYSTEM, can
from programme.admissions import applications
from programme.money import subsidies
from programme.voice import notices, objections
from tests import factories
from tests.programme.helpers import OPEN_DAY, admitted_on, offering, open_year, org, staff, worker

ACTORS = ["worker", "applicant", "inst", "other_inst", "enterprise", "county", "other_county", "city", "other_city",
          "province", "education", "admin"]
# action (target name): the actors allowed; everyone else is refused
MATRIX = {
    ("plan.manage", "province"): {"province", "admin"},
    ("quota.allocate", "province"): {"province", "admin"},
    ("quota.allocate", "city"): {"city", "province", "admin"},
    ("quota.allocate", "county"): {"admin"},  # counties hand nothing further down
    ("quota.top_up", "city"): {"city", "province", "admin"},
    ("quota.top_up", "county"): {"county", "city", "province", "admin"},
    ("offering.declare", "inst_org"): {"inst", "admin"},
    ("offering.review", "offering"): {"city", "province", "education", "admin"},
    ("application.verify", "application"): {"county", "city", "province", "admin"},
    ("application.admit", "application"): {"inst", "admin"},
    ("subsidy.claim", "enrolment"): {"applicant", "inst", "admin"},
    ("subsidy.verify", "claim"): {"county", "city", "province", "admin"},
    ("subsidy.pay", "county"): {"county", "city", "province", "admin"},
    ("notice.publish", "county"): {"county", "city", "province", "admin"},
    ("subsidy.evidence", "claim"): {"applicant", "inst", "county", "city", "province", "admin"},
    ("notice.resolve", "objection"): {"county", "city", "province", "admin"},  # to a notice of 西湖区
}


@pytest.fixture
def world(db):
    plan = open_year()
    item = offering(plan)
    applicant = worker()
    application = applications.apply(db.session, applicant, item, OPEN_DAY)
    applications.verify(db.session, SYSTEM, application, True)
    applications.admit(db.session, SYSTEM, application, True)
    admitted_on(application, date(2026, 9, 1))
    record = applications.enrol(db.session, SYSTEM, application, "S1", date(2026, 9, 1))
    claim = subsidies.claim(db.session, applicant, record, "dazhuan", "C1", "")
    notice = notices.publish(db.session, SYSTEM, plan, org("330106"), "admissions", date(2026, 7, 1),
                             today=date(2026, 7, 1))
    objection = objections.file(db.session, worker("异议人"), notice, text="名单有误，请核实。", today=date(2026, 7, 1))
    dept = organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="EDU-ZJ",
                                             name="省教育厅", kind=OrgKind.education_dept)
    education = worker("教育厅职员")
    education.memberships.append(Membership(organisation=dept, role=Role.union_staff))  # as org_views appoints them
    db.session.flush()
    actors = {"worker": worker("旁人"), "applicant": applicant, "inst": staff("institution_staff"),
              "other_inst": staff("institution_staff", factories.OTHER_INSTITUTION),
              "enterprise": staff("enterprise_staff"), "county": staff(code="330106"),
              "other_county": staff(code="330105"), "city": staff(code="330100"), "other_city": staff(code="330200"),
              "province": staff(code="330000"), "education": education, "admin": staff("admin")}
    targets = {"province": org("330000"), "city": org("330100"), "county": org("330106"),
               "inst_org": org(factories.INSTITUTION), "offering": item, "application": application,
               "enrolment": record, "claim": claim, "objection": objection}
    return actors, targets


def test_permission_matrix(world):
    actors, targets = world
    wrong = {}
    for (action, target), allowed in MATRIX.items():
        for name in ACTORS:
            if can(actors[name], action, targets[target]) != (name in allowed):
                wrong[(action, target, name)] = name in allowed
    assert wrong == {}
