"""Attack: an institution (or anyone with its exchange rights) imports another institution's graduate's diploma
number first. The awarding institution's true record is still accepted, the graduate's claim is checked against
it (the squatter's is shown only while it is missing, refused on its 院校 row), and a claim paid on the squatted
record does not use up the real diploma."""

from __future__ import annotations

import pytest

from app.errors import Conflict, Invalid
from app.extensions import db as _db
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.exchange import imports as exchange
from programme.exchange.models import GraduationRecord
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import OPEN_DAY, offering, open_year, org, staff, worker

REAL = factories.INSTITUTION          # INST-T1 awarded the diploma
SQUATTER = factories.OTHER_INSTITUTION  # INST-T2 imports its number first
NUMBER = "1234512026000042"


def _enrolled(person, plan, institution: str):
    application = applications.apply(_db.session, person, offering(plan, institution=institution), OPEN_DAY)
    applications.verify(_db.session, staff(code="330106"), application, True)
    clerk = staff("institution_staff", institution)
    applications.admit(_db.session, clerk, application, True)
    return person, applications.enrol(_db.session, clerk, application, f"S{person.id}", beijing_today())


def _import(institution: str, person, number: str = NUMBER):
    """`institution`'s clerk sends a graduation file with one row about `person`."""
    data = ("身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"
            f"{person.profile.id_number},{person.profile.real_name},专科,机电一体化,{number},"
            f"{beijing_today().isoformat()}\n").encode()
    return exchange.import_file(_db.session, staff("institution_staff", institution), org(institution),
                                "graduation", data, "g.csv")


def _approve(claim):
    return subsidies.decide(_db.session, staff(code="330106"), claim, True)


def test_attack_another_institution_imports_the_graduates_diploma_number_first(app, db):
    graduate, enrolment = _enrolled(worker("林真"), open_year(), REAL)
    assert _import(SQUATTER, graduate).imported == 1  # a copy of the graduate's own line, sent by INST-T2
    claim = subsidies.claim(db.session, graduate, enrolment, "dazhuan", NUMBER, "")
    waiting = claim_checks.review(db.session, claim)  # the squatter's record, while INST-T1's is missing: refused
    assert [row.label for row in waiting.rows if not row.ok] == ["院校"]
    with pytest.raises(Invalid):
        _approve(claim)

    real = _import(REAL, graduate)
    assert real.errors == [] and real.imported == 1  # refused before: "已导入过或在文件中重复"

    review = claim_checks.review(db.session, claim)
    assert review.record is not None and review.record.institution_id == org(REAL).id
    assert all(row.ok for row in review.rows) and review.problems == []
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.graduation_id == review.record.id
    assert claim.result_key == f"diploma:{org(REAL).id}:{NUMBER}"
    again = _import(REAL, graduate)  # the institution's own number is still refused twice
    assert again.imported == 0 and "已导入过" in again.errors[0].message
    assert db.session.query(GraduationRecord).count() == 2


def test_attack_a_claim_paid_on_the_squatted_record_does_not_use_up_the_real_diploma(app, db):
    plan = open_year()
    graduate, enrolment = _enrolled(worker("林真"), plan, REAL)
    accomplice, theirs = _enrolled(worker("钱伪"), plan, SQUATTER)
    assert _import(SQUATTER, accomplice).imported == 1  # INST-T2's own student, under INST-T1's number
    paid = subsidies.claim(db.session, accomplice, theirs, "dazhuan", NUMBER, "")
    _approve(paid)  # every line agrees with INST-T2's record: nothing shows the reviewer the number is not its own
    assert _import(REAL, graduate).imported == 1

    claim = subsidies.claim(db.session, graduate, enrolment, "dazhuan", NUMBER, "")
    assert claim_checks.review(db.session, claim).consumed_by is None
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.amount == 1000


def test_scans_of_a_diploma_already_paid_at_another_institution_are_refused(app, db):
    """No record anywhere: the graduate is paid at INST-T1 on checked scans; someone else files the same number
    at INST-T2 on scans too. Keys naming the institution differ, yet one result is paid once: on scans alone,
    a payment of the number anywhere stops the claim (only a claim on its own institution's record is not
    stopped by another person's payment)."""
    plan = open_year()
    store = evidence.storage(app.config["DATA_DIR"])
    graduate, enrolment = _enrolled(worker("林真"), plan, REAL)
    first = subsidies.claim(db.session, graduate, enrolment, "dazhuan", NUMBER, "", files=[pdf_bytes()],
                            storage=store, attained_on=beijing_today())
    claim_checks.check_evidence(db.session, staff(code="330106"), first)
    _approve(first)
    other, theirs = _enrolled(worker("钱伪"), plan, SQUATTER)
    copied = subsidies.claim(db.session, other, theirs, "dazhuan", "12345 12026 000042", "", files=[pdf_bytes()],
                             storage=store, attained_on=beijing_today())
    claim_checks.check_evidence(db.session, staff(code="330106"), copied)
    assert claim_checks.review(db.session, copied).consumed_by is first
    with pytest.raises(Conflict) as refused:
        _approve(copied)
    assert refused.value.code == "already_subsidised" and copied.status == ClaimStatus.claimed
