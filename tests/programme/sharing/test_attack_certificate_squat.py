"""Attack: another city's HR department pushes a Hangzhou worker's skill-certificate number first, naming one of its
own workers. The squatter's record is not what the holder's claim is checked against (it would fail as out of the
sender's area for good): the claim rests on its checked scans, and the number is still paid once. A department
whose result conflicts with another department's record is not told which fields differ (a probe of records it
may not read). Records sent by a department answering for the claim's county still block a claim naming another
person."""

from __future__ import annotations

import pytest

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Invalid
from app.timefmt import beijing_today
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import open_year, staff, worker
from tests.programme.money.test_subsidies import enrolled
from tests.programme.sharing.conftest import bearer, token_for

URL = "/api/exchange/v1/certificates"
NUMBER = "S330100-2026-0042"


def _ningbo_hr(db):
    org = organisations.create_organisation(db.session, SYSTEM, parent_code="330200", code="HR-NB",
                                            name="宁波市人力资源和社会保障局", kind=OrgKind.hr_dept)
    service.grant_role(db.session, factories.user(), Role.union_staff, org)
    db.session.commit()
    return org


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


def test_attack_a_conflict_with_another_departments_record_names_no_fields(db, client, hr):
    friend = _squat(db, client)
    probe = client.post(URL, json=_body(friend, name="郑二", skill_level=2), headers=bearer(token_for(hr)))
    assert probe.status_code == 409
    error = probe.get_json()["error"]
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
