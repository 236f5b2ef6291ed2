"""Attacks on subsidy approval, performed as the claimant and the reviewers would: a result the claimant dates
before the enrolment (or leaves undated) paid on checked scans alone, which no record dates; and one worker's
diploma (or one number on scans) paid twice when two county reviewers approve two claims at the same moment,
through two institutions whose keys differ (nothing UNIQUE collides)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import OPEN_DAY, at_once, graduation, offering, open_year, staff, worker
from tests.programme.money.test_subsidies import enrolled
from tests.programme.money.test_subsidy_evidence import _second_enrolment


def _approve(claim: SubsidyClaim, county: str = "330106") -> SubsidyClaim:
    return subsidies.decide(db.session, staff(code=county), claim, True)


def test_attack_scans_of_a_certificate_dated_before_the_enrolment_are_not_paid(app, db):
    me, record = enrolled(open_year())  # admitted and enrolled 2026-09-01
    store = evidence.storage(app.config["DATA_DIR"])
    # the claimant's own stated date: 1 June, three months before the admission and the enrolment
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-OLD-2", "高级工 2026-06-01",
                            attained_on=date(2026, 6, 1), files=[pdf_bytes()], storage=store)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致")
    review = claim_checks.review(db.session, claim)
    assert review.record is None
    [row] = review.rows
    assert (row.label, row.claim_says, row.ok) == ("取得日期", "2026-06-01", False)
    assert "早于入学日期 2026-09-01" in row.note
    with pytest.raises(Invalid) as refused:
        _approve(claim)
    assert refused.value.code == "mismatch" and "取得日期" in refused.value.fields
    assert claim.status == ClaimStatus.claimed and claim.amount == 0 and claim.result_key is None
    subsidies.amend(db.session, me, claim, "S-OLD-2", record.enrolled_on)  # a result of this programme: paid
    assert claim.evidence_checked_at is None  # once the scans are checked again, against the new date
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致，取得日期 2026-09-01")
    _approve(claim)
    assert claim.status == ClaimStatus.approved and claim.result_key == "SOLD2"


def test_attack_undated_scans_are_refused_when_filed_and_when_approved(app, db):
    me, record = enrolled(open_year())
    store = evidence.storage(app.config["DATA_DIR"])
    with pytest.raises(Invalid) as refused:  # scans with the claim: the date on them is asked for at once
        subsidies.claim(db.session, me, record, "dazhuan", "ZJ-NODATE", "", files=[pdf_bytes()], storage=store)
    assert "取得日期" in refused.value.fields["attained_on"]
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-NODATE", "")  # filed bare, scans added later
    evidence.attach(db.session, me, claim, [pdf_bytes()], store)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致")
    [row] = claim_checks.review(db.session, claim).rows
    assert (row.label, row.claim_says, row.ok) == ("取得日期", "未填写", False) and "须填写取得日期" in row.note
    with pytest.raises(Invalid) as refused:
        _approve(claim)
    assert refused.value.code == "mismatch" and claim.status == ClaimStatus.claimed and claim.amount == 0
    subsidies.amend(db.session, me, claim, "ZJ-NODATE", record.enrolled_on)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致，取得日期 2026-09-01")
    _approve(claim)
    assert claim.status == ClaimStatus.approved


def test_the_review_page_shows_the_scans_date_against_the_enrolment(app, client, auth):
    with app.app_context():
        me, record = enrolled(open_year())
        claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-PAGE", "", attained_on=date(2026, 6, 1),
                                files=[pdf_bytes()], storage=evidence.storage(app.config["DATA_DIR"]))
        claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致")
        claim_id = claim.id
        db.session.commit()
    auth.as_role("union_staff", "330106")
    page = client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    assert '<tr class="mismatch"><th scope="row">取得日期</th><td data-label="申请所填">2026-06-01</td>' in page
    assert "早于入学日期 2026-09-01" in page and "申请与记录不一致：取得日期" in page
    assert 'value="approve" class="button primary" disabled' in page


def _race(app, pairs: list[tuple[int, int]]) -> list[str]:
    """Each county reviewer has the claim's page open (nothing paid yet), then both press 核准 at once."""
    def prepare(i: int):
        reviewer_id, claim_id = pairs[i]
        reviewer, item = db.session.get(User, reviewer_id), db.session.get(SubsidyClaim, claim_id)
        assert claim_checks.review(db.session, item).problems == []
        return lambda: subsidies.decide(db.session, reviewer, item, True)

    return at_once(app, 2, prepare)


def _approved(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(SubsidyClaim.result_key).where(
            SubsidyClaim.status == ClaimStatus.approved)))


def test_attack_two_counties_approve_one_workers_diploma_through_two_institutions_at_once(app):
    with app.app_context():
        me, record = enrolled(open_year())                              # INST-T1, 西湖区, 2026
        later = _second_enrolment(me, factories.OTHER_INSTITUTION)      # INST-T2, 拱墅区, 2025
        graduation(me, "ZJ-RACE-X")                                     # INST-T1's record of the diploma
        graduation(me, "ZJ-RACE-X", institution=factories.OTHER_INSTITUTION)  # INST-T2 sends the same line
        first = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-RACE-X", "")
        second = subsidies.claim(db.session, me, later, "dazhuan", "ZJ-RACE-X", "")
        pairs = [(staff(code="330106").id, first.id), (staff(code="330105").id, second.id)]
        db.session.commit()
    outcomes = _race(app, pairs)
    assert sorted(outcomes) == ["already_subsidised", "ok"] and len(_approved(app)) == 1


def _enrolled_at(plan, name: str, institution: str):
    person = worker(name)
    application = applications.apply(db.session, person, offering(plan, institution=institution), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    clerk = staff("institution_staff", institution)
    applications.admit(db.session, clerk, application, True)
    return person, applications.enrol(db.session, clerk, application, f"S{person.id}", beijing_today())


def test_attack_two_people_paid_at_once_on_scans_of_one_diploma_number(app):
    """Two claimants, two institutions, no record, scans alone: either approval stops the other (a number paid
    anywhere stops a claim on scans), so the two reviewers may not both read "unpaid"."""
    with app.app_context():
        store, plan, pairs = evidence.storage(app.config["DATA_DIR"]), open_year(), []
        for name, institution in (("林真", factories.INSTITUTION), ("钱伪", factories.OTHER_INSTITUTION)):
            person, record = _enrolled_at(plan, name, institution)
            claim = subsidies.claim(db.session, person, record, "dazhuan", "1234512026000099", "",
                                    attained_on=record.enrolled_on, files=[pdf_bytes()], storage=store)
            claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致")
            pairs.append((staff(code="330106").id, claim.id))
        db.session.commit()
    outcomes = _race(app, pairs)
    assert sorted(outcomes) == ["already_subsidised", "ok"] and len(_approved(app)) == 1
