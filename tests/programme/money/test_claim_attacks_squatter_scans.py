"""Attack: another institution imports a record under a graduate's diploma number (someone else's name and ID
number) while the awarding institution sends none. The graduate's claim on checked scans is not checked against
the squatter's record (it would fail on 姓名/身份证号/院校 for good); it is approved on its scans, once. The
claimant's own record at another institution still blocks on its 院校 row, and a number already paid anywhere
still stops a claim on scans."""

from __future__ import annotations

import pytest

from app.errors import Conflict, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import OPEN_DAY, graduation, offering, open_year, org, staff, worker

REAL = factories.INSTITUTION            # INST-T1 awarded the diploma; it sends no exchange file
SQUATTER = factories.OTHER_INSTITUTION  # INST-T2 imports the number first
NUMBER = "1234512026000077"


def _enrolled(person, plan, institution: str = REAL):
    application = applications.apply(db.session, person, offering(plan, institution=institution), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    clerk = staff("institution_staff", institution)
    applications.admit(db.session, clerk, application, True)
    return applications.enrol(db.session, clerk, application, f"S{person.id}", beijing_today())


def _scans_claim(app, person, enrolment):
    claim = subsidies.claim(db.session, person, enrolment, "dazhuan", NUMBER, "", attained_on=beijing_today(),
                            files=[pdf_bytes()], storage=evidence.storage(app.config["DATA_DIR"]))
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "毕业证扫描件与本人一致")
    return claim


@pytest.mark.parametrize("forged", [{}, {"name": "林真"}], ids=["stranger", "graduates-name-another-id"])
def test_attack_a_squatters_record_does_not_block_the_graduates_checked_scans(app, db, forged):
    plan = open_year()
    graduate = worker("林真")
    enrolment = _enrolled(graduate, plan)
    graduation(worker("钱伪"), NUMBER, institution=SQUATTER, **forged)
    claim = _scans_claim(app, graduate, enrolment)
    review = claim_checks.review(db.session, claim)
    assert review.record is None and [(r.label, r.ok) for r in review.rows] == [("取得日期", True)]
    assert review.problems == [] and claim_checks.claimants(claim) == {graduate.id}  # not the squatter's importer
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved and claim.graduation_id is None
    assert claim.result_key == f"diploma:{org(REAL).id}:{NUMBER}"


def test_the_claimants_own_record_at_another_institution_still_blocks_on_its_institution(app, db):
    graduate = worker("林真")
    enrolment = _enrolled(graduate, open_year())
    graduation(graduate, NUMBER, institution=SQUATTER)  # the graduate's own line, sent by INST-T2
    claim = _scans_claim(app, graduate, enrolment)
    review = claim_checks.review(db.session, claim)
    assert review.record is not None and [r.label for r in review.rows if not r.ok] == ["院校"]
    with pytest.raises(Invalid) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "mismatch" and claim.status == ClaimStatus.claimed


def test_a_number_paid_on_the_squatters_record_still_stops_the_graduates_scans(app, db):
    plan = open_year()
    accomplice = worker("钱伪")
    paid = subsidies.claim(db.session, accomplice, _enrolled(accomplice, plan, SQUATTER), "dazhuan", NUMBER, "")
    graduation(accomplice, NUMBER, institution=SQUATTER)
    subsidies.decide(db.session, staff(code="330106"), paid, True)  # every line agrees with INST-T2's record
    graduate = worker("林真")
    claim = _scans_claim(app, graduate, _enrolled(graduate, plan))
    assert claim_checks.review(db.session, claim).consumed_by is paid
    with pytest.raises(Conflict) as refused:
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "already_subsidised" and claim.status == ClaimStatus.claimed
