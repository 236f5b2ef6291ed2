"""Attack: a clerk of the HR department, who is also a worker in the programme, pushes their own skill certificate
through the department's API token and is paid a subsidy on it. A push names no sender (the token is the
department's system), so the file import's rule (nobody imports their own number) becomes: no push about anyone on
the department's staff, and none of them is the maker of a claim's pushed evidence nor approves on it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import service
from app.accounts.models import Role
from app.errors import Forbidden, Invalid
from app.timefmt import beijing_today
from programme.exchange.models import CertificateRecord
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.programme.helpers import open_year, staff
from tests.programme.money.test_subsidies import enrolled
from tests.programme.sharing.conftest import bearer, token_for

URL = "/api/exchange/v1/certificates"


def _body(person, number: str) -> dict[str, object]:
    return {"id_number": person.profile.id_number, "name": person.profile.real_name, "occupation": "机电一体化",
            "skill_level": 3, "certificate_no": number, "issued_on": beijing_today().isoformat()}


def test_attack_a_department_clerk_cannot_push_their_own_certificate(db, client, hr):
    me, _record = enrolled(open_year())
    service.grant_role(db.session, me, Role.union_staff, hr)  # a clerk of the department, and a worker
    db.session.commit()
    response = client.post(URL, json=_body(me, "S-SELF-0001"), headers=bearer(token_for(hr)))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "outside_area" and "本部门工作人员" in error["fields"]["id_number"]
    assert db.session.scalars(select(CertificateRecord)).all() == []


def test_attack_a_clerk_joining_after_the_push_is_not_paid_on_it(db, client, hr):
    """The push saw a worker not (yet) on the staff, or whose ID number was not yet on file; the claim is checked
    against the department's staff when it is relied on."""
    me, record = enrolled(open_year())
    assert client.post(URL, json=_body(me, "S-SELF-0002"), headers=bearer(token_for(hr))).status_code == 201
    service.grant_role(db.session, me, Role.union_staff, hr)
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-SELF-0002", "人社厅",
                            attained_on=beijing_today())
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "own_record" and "数据接口" in refused.value.message
    assert claim.status == ClaimStatus.claimed


def test_attack_the_departments_staff_do_not_approve_on_its_pushed_record(db, client, hr):
    me, record = enrolled(open_year())
    assert client.post(URL, json=_body(me, "S-PUSH-0003"), headers=bearer(token_for(hr))).status_code == 201
    both = factories.user(role="union_staff", org_code="330106")  # a county reviewer who is also on HR's staff
    service.grant_role(db.session, both, Role.union_staff, hr)
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-PUSH-0003", "人社厅",
                            attained_on=beijing_today())
    db.session.commit()
    assert both.id in claim_checks.claimants(claim)
    with pytest.raises(Forbidden) as refused:
        subsidies.decide(db.session, both, claim, True)
    assert refused.value.code == "own_claim" and claim.status == ClaimStatus.claimed
    subsidies.decide(db.session, staff(code="330106"), claim, True)  # anyone else approves it as before
    assert claim.status == ClaimStatus.approved
