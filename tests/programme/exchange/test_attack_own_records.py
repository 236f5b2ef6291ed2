"""Attacks on the records a subsidy rests on: nobody may make the evidence for their own claim, nobody who made a
record may approve a claim resting on it, and a department's staff send results only for their own area."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts import organisations, profiles, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from programme.admissions import applications
from programme.exchange import imports as exchange
from programme.exchange.models import CertificateRecord, ExchangeBatch, ExchangeKind, GraduationRecord
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.programme.helpers import (
    ELIGIBLE,
    OPEN_DAY,
    admitted_on,
    hr_department,
    id_number,
    offering,
    open_year,
    staff,
    worker,
)

GRAD_HEADER = "身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"
CERT_HEADER = "身份证号,姓名,职业,等级,证书编号,发证日期\n"
GRADUATED = date(2026, 11, 30)


def _enrolled(person, plan, major_offering=None):
    application = applications.apply(_db.session, person, major_offering or offering(plan), OPEN_DAY)
    applications.verify(_db.session, staff(code="330106"), application, True)
    # a clerk's own place is admitted and enrolled by a site admin, never a colleague (test_colleague_decisions.py)
    admitter = factories.user(role="admin")
    applications.admit(_db.session, admitter, application, True)
    admitted_on(application, date(2026, 9, 1))
    return applications.enrol(_db.session, admitter, application, f"S{person.id}", date(2026, 9, 1))


def _grad(id_no: str, name: str, number: str) -> bytes:
    return (GRAD_HEADER + f"{id_no},{name},专科,机电一体化,{number},{GRADUATED.isoformat()}\n").encode()


def _make_own(person, real_name: str, serial: int) -> None:
    profiles.update_profile(_db.session, person, person, {**ELIGIBLE, "real_name": real_name,
                                                          "id_number": id_number(serial)})
    _db.session.flush()


def test_attack_institution_clerk_cannot_import_own_graduation_nor_be_paid_on_it(app, db):
    plan = open_year()
    clerk = staff("institution_staff")
    _make_own(clerk, "王小二", 777)
    enrolment = _enrolled(clerk, plan)
    t1 = organisations.get_by_code(db.session, "INST-T1")
    report = exchange.import_file(db.session, clerk, t1, "graduation", _grad(id_number(777), "王小二", "ZJ-SELF-1"),
                                  "self.csv", valid_only=True)
    assert report.imported == 0 and report.errors[0].column == "身份证号"
    assert "本人" in report.errors[0].message
    assert db.session.query(GraduationRecord).count() == 0
    claim = subsidies.claim(db.session, clerk, enrolment, "dazhuan", "ZJ-SELF-1", "")
    with pytest.raises(Invalid):
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.claimed


def test_attack_hr_clerk_cannot_import_own_certificate(app, db):
    hr, clerk = hr_department()
    _make_own(clerk, "赵六", 778)
    data = (CERT_HEADER + f"{id_number(778)},赵六,电工,高级工,S-SELF-1,2026-05-20\n").encode()
    report = exchange.import_file(db.session, clerk, hr, "certificate", data, "c.csv", valid_only=True)
    assert report.imported == 0 and report.errors[0].column == "身份证号" and "本人" in report.errors[0].message
    assert db.session.query(CertificateRecord).count() == 0


def test_attack_importer_may_not_approve_a_claim_resting_on_their_record(app, db):
    """A clerk of INST-T1 who also reviews for the county imports a graduation, then approves the claim on it."""
    plan = open_year()
    person = worker("孙八")
    enrolment = _enrolled(person, plan)
    clerk = staff("institution_staff")
    service.grant_role(db.session, clerk, Role.union_staff, organisations.get_by_code(db.session, "330106"))
    t1 = organisations.get_by_code(db.session, "INST-T1")
    grad = _grad(person.profile.id_number, "孙八", "ZJ-IMP-1")
    assert exchange.import_file(db.session, clerk, t1, "graduation", grad, "g.csv").imported == 1
    claim = subsidies.claim(db.session, person, enrolment, "dazhuan", "ZJ-IMP-1", "")
    assert clerk.id in claim_checks.claimants(claim)
    with pytest.raises(Forbidden) as refused:
        subsidies.decide(db.session, clerk, claim, True)
    assert refused.value.code == "own_claim"
    subsidies.decide(db.session, staff(code="330106"), claim, True)  # anyone else may
    assert claim.status == ClaimStatus.approved


def test_attack_a_record_the_worker_imported_themselves_is_no_basis(app, db):
    """A record kept before imports refused one's own ID number (or slipped in another way) is not evidence."""
    plan = open_year()
    person = worker("周九")
    enrolment = _enrolled(person, plan)
    t1 = organisations.get_by_code(db.session, "INST-T1")
    batch = ExchangeBatch(kind=ExchangeKind.graduation, org_id=t1.id, filename="old.csv", rows=1, imported=1,
                          imported_by_id=person.id)
    db.session.add(batch)
    db.session.flush()
    db.session.add(GraduationRecord(batch_id=batch.id, institution_id=t1.id, user_id=person.id,
                                    id_number=person.profile.id_number, name="周九", level="zhuanke",
                                    major="机电一体化", diploma_no="ZJ-OLD-1", graduated_on=GRADUATED))
    db.session.flush()
    claim = subsidies.claim(db.session, person, enrolment, "dazhuan", "ZJ-OLD-1", "")
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "own_record"


def _ningbo_hr():
    org = organisations.create_organisation(_db.session, SYSTEM, parent_code="330200", code="HR-NB",
                                            name="宁波市人力资源和社会保障局", kind=OrgKind.hr_dept)
    clerk = factories.user()
    service.grant_role(_db.session, clerk, Role.union_staff, org)
    return org, clerk


def test_attack_city_hr_clerk_cannot_import_certificates_for_another_citys_workers(app, db):
    org, clerk = _ningbo_hr()
    hangzhou = worker("吴十")  # a member of 西湖区 (330106)
    ningbo = worker("郑一", union_code="330203")
    data = (CERT_HEADER + f"{hangzhou.profile.id_number},吴十,电工,高级工,S-NB-1,2026-05-20\n"
            f"{ningbo.profile.id_number},郑一,电工,高级工,S-NB-2,2026-05-20\n").encode()
    report = exchange.import_file(db.session, clerk, org, "certificate", data, "c.csv", valid_only=True)
    assert report.imported == 1 and [(e.row, e.column) for e in report.errors] == [(2, "身份证号")]
    assert "宁波" in report.errors[0].message
    assert [r.certificate_no for r in db.session.query(CertificateRecord)] == ["S-NB-2"]


def test_province_hr_clerk_still_imports_for_any_city(app, db):
    hr, clerk = hr_department()
    hangzhou, ningbo = worker("吴十"), worker("郑一", union_code="330203")
    data = (CERT_HEADER + f"{hangzhou.profile.id_number},吴十,电工,高级工,S-ZJ-1,2026-05-20\n"
            f"{ningbo.profile.id_number},郑一,电工,高级工,S-ZJ-2,2026-05-20\n").encode()
    assert exchange.import_file(db.session, clerk, hr, "certificate", data, "c.csv").imported == 2


def test_attack_a_city_certificate_is_no_basis_for_another_citys_claim(app, db):
    """A 宁波 certificate kept for someone the site could not place yet is not evidence for a 杭州 claim."""
    from tests.programme.money.test_subsidies import enrolled

    org, _clerk = _ningbo_hr()
    me, enrolment = enrolled(open_year())  # a 西湖区 worker
    batch = ExchangeBatch(kind=ExchangeKind.certificate, org_id=org.id, filename="c.csv", rows=1, imported=1)
    db.session.add(batch)
    db.session.flush()
    db.session.add(CertificateRecord(batch_id=batch.id, org_id=org.id, user_id=me.id, id_number=me.profile.id_number,
                                     name=me.profile.real_name, occupation="机电一体化", skill_level=3,
                                     certificate_no="S-NB-OLD-1", issued_on=date(2026, 11, 30)))
    db.session.flush()
    claim = subsidies.claim(db.session, me, enrolment, "senior_worker", "S-NB-OLD-1", "宁波",
                            attained_on=date(2026, 11, 30))
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "outside_area"
