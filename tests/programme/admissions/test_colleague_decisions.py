"""An institution clerk's own application and subsidy (review attack): the clerk at the next desk admitted, enrolled
and graduated them, imported the graduation file, and the county paid 大专 on a record only the clerk's colleagues
vouched for. Colleagues now decide nothing on it (a site admin admits, enrols and graduates), and a record a colleague
made counts only once scans were checked by a reviewer outside the clerk's organisations."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts import organisations
from app.accounts import profiles as account_profiles
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from programme.admissions import applications
from programme.admissions.models import Application, AppStatus
from programme.exchange import imports as exchange
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.conftest import post_form
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import ELIGIBLE, OPEN_DAY, admitted_on, fresh_id_number, offering, open_year, staff, worker

GRADUATED = date(2026, 11, 30)


def _clerk_application(plan) -> tuple[object, Application]:
    """An INST-T1 clerk applies to INST-T1's offering; the county verifies."""
    clerk = factories.user(role="institution_staff", org_code=factories.INSTITUTION, name="赵职员")
    account_profiles.update_profile(_db.session, clerk, clerk, {**ELIGIBLE, "real_name": "赵职员",
                                                                "id_number": fresh_id_number()})
    application = applications.apply(_db.session, clerk, offering(plan), OPEN_DAY)
    applications.verify(_db.session, staff(code="330106"), application, True)
    return clerk, application


def _admin():
    return factories.user(role="admin")


def test_attack_a_colleague_admits_an_institution_clerks_own_application_on_the_admissions_page(app, db, client,
                                                                                                auth):
    _clerk, application = _clerk_application(open_year())
    application_id = application.id
    db.session.commit()
    auth.as_role("institution_staff", factories.INSTITUTION)  # the desk neighbour
    post_form(client, f"/programme/applications/{application_id}/admit", {"decision": "approve"},
              "/programme/admissions")
    db.session.expire_all()
    assert db.session.get(Application, application_id).status == AppStatus.verified


def test_attack_a_colleague_enrols_or_graduates_an_institution_clerk(app, db):
    """Enrol and graduate ask the same permission: a colleague does neither, even once someone else admitted."""
    _clerk, application = _clerk_application(open_year())
    colleague = staff("institution_staff")
    with pytest.raises(Forbidden):
        applications.admit(db.session, colleague, application, True)
    admin = _admin()
    applications.admit(db.session, admin, application, True)
    admitted_on(application, date(2026, 9, 1))
    with pytest.raises(Forbidden):
        applications.enrol(db.session, colleague, application, "S1", date(2026, 9, 1))
    assert application.status == AppStatus.admitted
    applications.enrol(db.session, admin, application, "S1", date(2026, 9, 1))
    with pytest.raises(Forbidden):
        applications.graduate(db.session, colleague, application, GRADUATED)
    assert application.enrolment.graduated_on is None


def test_a_site_admin_admits_enrols_and_graduates_an_institution_clerk_through_the_page(app, db, client, auth):
    _clerk, application = _clerk_application(open_year())
    application_id = application.id
    db.session.commit()
    auth.as_role("admin")
    # the admissions page lists only the staff's own institutions' applications: the form's token from the admin's page
    url, back = f"/programme/applications/{application_id}/admit", "/me"
    assert post_form(client, url, {"decision": "approve"}, back).status_code == 302
    db.session.expire_all()
    admitted_on(db.session.get(Application, application_id), date(2026, 9, 1))
    db.session.commit()
    assert post_form(client, url, {"decision": "enrol", "student_number": "S1", "enrolled_on": "2026-09-01"},
                     back).status_code == 302
    assert post_form(client, url, {"decision": "graduate", "graduated_on": GRADUATED.isoformat()},
                     back).status_code == 302
    db.session.expire_all()
    item = db.session.get(Application, application_id)
    assert item.status == AppStatus.enrolled and item.enrolment.graduated_on == GRADUATED


def test_another_institutions_clerk_still_admits_a_worker_who_is_not_their_colleague(app, db):
    """The conflict is about the applicant's organisations: INST-T1's clerks admit an INST-T2 clerk to INST-T1."""
    plan = open_year()
    other = factories.user(role="institution_staff", org_code="INST-T2", name="钱职员")
    account_profiles.update_profile(db.session, other, other, {**ELIGIBLE, "real_name": "钱职员",
                                                               "id_number": fresh_id_number()})
    application = applications.apply(db.session, other, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    assert applications.admit(db.session, staff("institution_staff"), application, True).status == AppStatus.admitted


def _enrolled_by_admin(plan):
    clerk, application = _clerk_application(plan)
    admin = _admin()
    applications.admit(_db.session, admin, application, True)
    admitted_on(application, date(2026, 9, 1))
    return clerk, applications.enrol(_db.session, admin, application, "S1", date(2026, 9, 1))


def _colleague_imports_graduation(clerk) -> int:
    data = ("身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"
            f"{clerk.profile.id_number},赵职员,专科,机电一体化,ZJ-COLL-1,{GRADUATED.isoformat()}\n").encode()
    return exchange.import_file(_db.session, staff("institution_staff"),
                                organisations.get_by_code(_db.session, "INST-T1"), "graduation", data, "g.csv",
                                valid_only=True).imported


def test_attack_a_colleague_imports_an_institution_clerks_graduation_and_the_clerk_is_paid(app, db):
    clerk, enrolment = _enrolled_by_admin(open_year())
    assert _colleague_imports_graduation(clerk) == 1
    claim = subsidies.claim(db.session, clerk, enrolment, "dazhuan", "ZJ-COLL-1", "")
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "own_record" and "同事" in refused.value.message
    assert claim.status == ClaimStatus.claimed


def test_a_colleagues_record_stands_once_the_county_checked_the_clerks_scans(app, db):
    """The clerk is not left unpaid: scans checked by the county (outside the clerk's institution) vouch for it."""
    clerk, enrolment = _enrolled_by_admin(open_year())
    assert _colleague_imports_graduation(clerk) == 1
    claim = subsidies.claim(db.session, clerk, enrolment, "dazhuan", "ZJ-COLL-1", "", files=[pdf_bytes()],
                            storage=evidence.storage(app.config["DATA_DIR"]), attained_on=GRADUATED)
    with pytest.raises(Forbidden):  # the desk neighbour checks nothing of theirs either
        claim_checks.check_evidence(db.session, staff("institution_staff"), claim)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim)
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved


def test_a_workers_record_imported_by_the_institution_is_still_evidence(app, db):
    """A worker holds no role anywhere: the institution's clerks make their records as before."""
    plan = open_year()
    person = worker("孙八")
    application = applications.apply(db.session, person, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    applications.admit(db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    enrolment = applications.enrol(db.session, staff("institution_staff"), application, "S2", date(2026, 9, 1))
    data = ("身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"
            f"{person.profile.id_number},孙八,专科,机电一体化,ZJ-W-1,{GRADUATED.isoformat()}\n").encode()
    t1 = organisations.get_by_code(db.session, "INST-T1")
    assert exchange.import_file(db.session, staff("institution_staff"), t1, "graduation", data, "g.csv").imported == 1
    claim = subsidies.claim(db.session, person, enrolment, "dazhuan", "ZJ-W-1", "")
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved
