"""Attack: another HR department pushes a Hangzhou worker's skill-certificate number first, naming one of its own
workers. The issuing department's true record is still accepted (a number is unique within its sender only; it was
refused with a 409), the holder's claim is checked against it, and a claim paid on the squatted record does not use
up the real certificate; the same worker is still paid once however many departments sent the certificate. With
no record of the claim's area, the squatter's is not what the holder's claim is checked against either (it would
fail as out of the sender's area for good): the claim rests on its checked scans, and on scans alone the number is
paid once. Records sent by a department answering for the claim's county still block a claim naming another
person, when the claimant has none of their own."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Invalid
from app.extensions import db as _db
from app.timefmt import beijing_today
from programme.admissions import applications, quotas
from programme.exchange.models import CertificateRecord
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus
from programme.reporting import reports
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.exchange.test_attack_diploma_squatting import NUMBER as DIPLOMA
from tests.programme.exchange.test_attack_diploma_squatting import REAL, _import
from tests.programme.helpers import OPEN_DAY, admitted_on, offering, open_year, org, staff, worker
from tests.programme.money.test_subsidies import enrolled
from tests.programme.money.test_subsidy_evidence import _second_enrolment
from tests.programme.sharing.conftest import bearer, token_for

URL = "/api/exchange/v1/certificates"
NUMBER = "S330100-2026-0042"


def _city_hr(db, parent: str = "330200", code: str = "HR-NB", name: str = "宁波市人力资源和社会保障局"):
    org = organisations.create_organisation(db.session, SYSTEM, parent_code=parent, code=code, name=name,
                                            kind=OrgKind.hr_dept)
    service.grant_role(db.session, factories.user(), Role.union_staff, org)
    db.session.commit()
    return org


def _ningbo_hr(db):
    return _city_hr(db)


def _hangzhou_hr(db):
    return _city_hr(db, "330100", "HR-HZ", "杭州市人力资源和社会保障局")


def _body(person, **changes):
    return {"id_number": person.profile.id_number, "name": person.profile.real_name, "occupation": "电工",
            "skill_level": 3, "certificate_no": NUMBER, "issued_on": beijing_today().isoformat(), **changes}


def _squat(db, client):
    friend = worker("郑一", union_code="330203")  # a Ningbo worker
    db.session.commit()
    assert client.post(URL, json=_body(friend), headers=bearer(token_for(_ningbo_hr(db)))).status_code == 201
    return friend


def _scans_claim(app, db, person, enrolment):
    claim = subsidies.claim(db.session, person, enrolment, "senior_worker", NUMBER, "人社厅",
                            attained_on=beijing_today(), files=[pdf_bytes()],
                            storage=evidence.storage(app.config["DATA_DIR"]))
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "证书扫描件与本人一致")
    return claim


def _approve(claim, county: str = "330106"):
    return subsidies.decide(_db.session, staff(code=county), claim, True)


def _ningbo_enrolled(plan, name: str):
    """A 海曙区 (Ningbo) worker enrolled at the Hangzhou institution, the year's places handed down to 海曙区."""
    quotas.allocate(_db.session, staff(code="330000"), plan, org("330200"), 10, 10_000)
    quotas.allocate(_db.session, staff(code="330200"), plan, org("330203"), 5, 5_000)
    person = worker(name, union_code="330203")
    application = applications.apply(_db.session, person, offering(plan), OPEN_DAY)
    applications.verify(_db.session, staff(code="330203"), application, True)
    applications.admit(_db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    return person, applications.enrol(_db.session, staff("institution_staff"), application, "S2", date(2026, 9, 1))


def test_attack_the_issuers_true_record_is_accepted_after_another_departments_squat(db, client, hr):
    plan = open_year()
    me, record = enrolled(plan)  # a 西湖区 (Hangzhou) worker, holder of NUMBER issued by the province
    friend = _squat(db, client)
    true = _body(me, occupation="机电一体化")
    raw = token_for(hr)
    response = client.post(URL, json=true, headers=bearer(raw))
    assert response.status_code == 201 and response.get_json()["created"]  # refused before: 409 conflicting_result
    again = client.post(URL, json=true, headers=bearer(raw))  # the same result again is the record held
    assert again.status_code == 200 and again.get_json()["id"] == response.get_json()["id"]
    changed = client.post(URL, json={**true, "skill_level": 2}, headers=bearer(raw))  # its own number: not rewritten
    assert changed.status_code == 409 and set(changed.get_json()["error"]["fields"]) == {"skill_level"}
    held = {(r.batch.org_id, r.user_id) for r in db.session.scalars(select(CertificateRecord))}
    assert held == {(hr.id, me.id), (organisations.get_by_code(db.session, "HR-NB").id, friend.id)}

    claim = subsidies.claim(db.session, me, record, "senior_worker", NUMBER, "人社厅", attained_on=beijing_today())
    review = claim_checks.review(db.session, claim)
    assert review.record is not None and review.record.id == response.get_json()["id"]
    assert all(row.ok for row in review.rows) and review.problems == []
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.certificate_id == review.record.id
    assert claim.result_key == f"certificate:{hr.id}:{claim_checks.normalise(NUMBER)}"


def test_attack_a_claim_paid_on_a_squatted_record_does_not_use_up_the_real_certificate(db, client, hr):
    """The squatter is a department answering for the accomplice's county (Hangzhou's own bureau): every line of the
    accomplice's claim agrees with its record, so nothing shows the reviewer the number is not theirs. Its key
    names that department: the issuer's record, pushed afterwards, still pays the holder."""
    plan = open_year()
    accomplice, theirs = enrolled(plan, "钱伪")
    me, record = enrolled(plan, "林真")
    squatter = _hangzhou_hr(db)
    body = _body(accomplice, occupation="机电一体化")
    assert client.post(URL, json=body, headers=bearer(token_for(squatter))).status_code == 201
    paid = subsidies.claim(db.session, accomplice, theirs, "senior_worker", NUMBER, "", attained_on=beijing_today())
    _approve(paid)
    assert paid.result_key == f"certificate:{squatter.id}:{claim_checks.normalise(NUMBER)}"

    true = _body(me, occupation="机电一体化")
    assert client.post(URL, json=true, headers=bearer(token_for(hr))).status_code == 201
    claim = subsidies.claim(db.session, me, record, "senior_worker", NUMBER, "", attained_on=beijing_today())
    review = claim_checks.review(db.session, claim)  # the holder's own record first, though the squatter's is older
    assert review.record is not None and review.record.org_id == hr.id and review.consumed_by is None
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.amount == paid.amount


def test_one_workers_certificate_sent_by_two_departments_is_paid_once(app, db, client, hr):
    """Paid on checked scans before any record came; then the province's record arrives, and the same worker claims
    the certificate again through an enrolment of the year before: keys differ (the number alone; the
    department's), the same worker's payment of the number stops it."""
    plan = open_year()
    me, record = enrolled(plan)
    first = _scans_claim(app, db, me, record)
    _approve(first)
    assert first.result_key == claim_checks.normalise(NUMBER)
    assert client.post(URL, json=_body(me, occupation="机电一体化"), headers=bearer(token_for(hr))).status_code == 201
    later = _second_enrolment(me)
    again = subsidies.claim(db.session, me, later, "senior_worker", NUMBER, "", attained_on=beijing_today())
    review = claim_checks.review(db.session, again)
    assert review.record is not None and review.consumed_by is first
    with pytest.raises(Conflict) as refused:
        subsidies.decide(db.session, staff(code="330105"), again, True)
    assert refused.value.code == "already_subsidised" and again.status == ClaimStatus.claimed


def test_a_number_paid_on_any_departments_record_stops_scans_alone_but_not_the_issuers_record(app, db, client, hr):
    """Ningbo's bureau squats the number for a Ningbo accomplice, who is paid on it. The holder's claim on scans
    alone is stopped by that payment (on scans, a number paid anywhere is paid); once the issuer's record comes,
    the claim rests on it and is paid."""
    plan = open_year()
    me, record = enrolled(plan)
    accomplice, theirs = _ningbo_enrolled(plan, "郑一")
    db.session.commit()
    body = _body(accomplice, occupation="机电一体化")
    assert client.post(URL, json=body, headers=bearer(token_for(_ningbo_hr(db)))).status_code == 201
    paid = subsidies.claim(db.session, accomplice, theirs, "senior_worker", NUMBER, "", attained_on=beijing_today())
    _approve(paid, "330203")
    claim = _scans_claim(app, db, me, record)
    review = claim_checks.review(db.session, claim)
    assert review.record is None and review.consumed_by is paid
    with pytest.raises(Conflict) as refused:
        _approve(claim)
    assert refused.value.code == "already_subsidised"
    assert client.post(URL, json=_body(me, occupation="机电一体化"), headers=bearer(token_for(hr))).status_code == 201
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.result_key.startswith(f"certificate:{hr.id}:")


def test_attack_a_conflict_with_another_senders_diploma_names_no_fields(db, client, edu):
    """A diploma number is its institution's, whoever sent it: the education department's different result under
    an institution's imported number is refused, and not told which fields differ (a probe of records it may not
    read). A certificate's number is its sending department's: no other sender's record conflicts with it."""
    plan = open_year()
    graduate, _enrolment = enrolled(plan, "林真")
    assert _import(REAL, graduate).imported == 1
    probe = {"id_number": graduate.profile.id_number, "name": "林假", "institution_code": REAL, "level": "zhuanke",
             "major": "机电一体化", "diploma_no": DIPLOMA, "graduated_on": beijing_today().isoformat()}
    answer = client.post("/api/exchange/v1/graduations", json=probe, headers=bearer(token_for(edu)))
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "conflicting_result" and "fields" not in error


def test_attack_another_citys_squatted_record_does_not_block_the_holders_claim(app, db, client, hr):
    plan = open_year()
    me, record = enrolled(plan)  # a 西湖区 (Hangzhou) worker
    _squat(db, client)
    claim = _scans_claim(app, db, me, record)
    review = claim_checks.review(db.session, claim)
    assert review.record is None and review.problems == []
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved and claim.certificate_id is None
    assert claim.result_key == claim_checks.normalise(NUMBER)  # the number is paid once, wherever it was sent
    again, enrolment = enrolled(plan, "郑四")
    with pytest.raises(Conflict) as refused:
        subsidies.decide(db.session, staff(code="330106"), _scans_claim(app, db, again, enrolment), True)
    assert refused.value.code == "already_subsidised"


def test_a_record_of_the_claims_own_area_naming_another_person_still_blocks(app, db, client, hr):
    me, record = enrolled(open_year())
    holder = worker("郑三")
    db.session.commit()
    assert client.post(URL, json=_body(holder), headers=bearer(token_for(hr))).status_code == 201  # province HR
    claim = _scans_claim(app, db, me, record)
    assert claim_checks.review(db.session, claim).record is not None
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "mismatch" and claim.status == ClaimStatus.claimed


def test_one_workers_certificate_sent_by_two_departments_counts_once_in_the_reports(db, client, hr):
    """Each department keeps its own record of the number now: the yearly figures count the person's certificate
    once, and a second certificate of theirs (another number) still counts."""
    me = worker("林真")
    db.session.commit()
    for department in (hr, _hangzhou_hr(db)):
        assert client.post(URL, json=_body(me), headers=bearer(token_for(department))).status_code == 201
    assert client.post(URL, json=_body(me, certificate_no="S330100-2026-0043"),
                       headers=bearer(token_for(hr))).status_code == 201
    report = reports.build(db.session, SYSTEM, org("330000"), beijing_today().year, reports.support_metrics())
    assert report.total("certificates") == 2 and report.by_region["certificates"][org("330100").id] == 2


def test_attack_an_older_wrong_copy_of_the_holders_certificate_does_not_hide_the_issuers(db, client, hr):
    """Hangzhou's bureau sends the holder's number first, naming the holder but at another level; the province's
    true record, sent after, is what the claim is checked against (records of the claim's area naming the claimant,
    one agreeing with the claim first)."""
    me, record = enrolled(open_year())
    wrong = _body(me, occupation="机电一体化", skill_level=2)
    assert client.post(URL, json=wrong, headers=bearer(token_for(_hangzhou_hr(db)))).status_code == 201
    true = client.post(URL, json=_body(me, occupation="机电一体化"), headers=bearer(token_for(hr)))
    assert true.status_code == 201
    claim = subsidies.claim(db.session, me, record, "senior_worker", NUMBER, "", attained_on=beijing_today())
    review = claim_checks.review(db.session, claim)
    assert review.record is not None and review.record.id == true.get_json()["id"] and review.problems == []
    _approve(claim)
    assert claim.status == ClaimStatus.approved
