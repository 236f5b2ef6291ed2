"""Subsidy claims rest on evidence (issue 17, item 10), attacked through the service: no record, a record of
someone else, the same result claimed again in another year, union and institution, the same claim approved
twice (also by two reviewers at once), a reviewer checking their own claim; and the honest flows."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts import profiles, service
from app.accounts.models import Role
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications, plans, quotas
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import (
    ELIGIBLE,
    OPEN_DAY,
    YEAR,
    admitted_on,
    certificate,
    graduation,
    id_number,
    offering,
    open_year,
    org,
    staff,
    worker,
)
from tests.programme.money.test_subsidies import enrolled


def _approve(claim, union="330106"):
    return subsidies.decide(db.session, staff(code=union), claim, True)


def test_a_claim_with_no_record_and_no_checked_evidence_is_refused_clearly(db):
    me, record = enrolled(open_year())
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0001", "")
    with pytest.raises(Invalid) as err:
        _approve(claim)
    assert err.value.code == "no_evidence" and "没有可核对的毕业或证书记录" in err.value.message
    assert claim.status == ClaimStatus.claimed and claim.result_key is None and claim.amount == 0


def test_a_record_with_another_id_number_is_shown_as_a_mismatch_and_refused(db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-0002", id_number=id_number(999))  # the diploma is someone else's
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0002", "")
    review = claim_checks.review(db.session, claim)
    rows = {r.label: r for r in review.rows}
    assert not rows["身份证号"].ok and rows["姓名"].ok and rows["证书编号"].ok and rows["专业"].ok
    assert rows["身份证号"].record_says.endswith(id_number(999)[-4:])
    with pytest.raises(Invalid) as err:
        _approve(claim)
    assert err.value.code == "mismatch" and "身份证号" in err.value.message and "身份证号" in err.value.fields
    assert claim.status == ClaimStatus.claimed


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "李四光"}, "姓名"),
    ({"major": "会计"}, "专业"),
    ({"level": "专升本"}, "层次"),
    ({"institution": factories.OTHER_INSTITUTION}, "院校"),
    ({"on": date(2026, 1, 5)}, "取得日期"),  # before the enrolment of 2026-09-01: not this programme's result
])
def test_every_mismatching_field_blocks_approval(db, changes, field):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-0003", **changes)
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0003", "")
    bad = [r.label for r in claim_checks.review(db.session, claim).rows if not r.ok]
    assert bad == [field]
    with pytest.raises(Invalid) as err:
        _approve(claim)
    assert err.value.code == "mismatch"


def test_a_stated_date_that_differs_from_the_record_is_a_mismatch(db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-0004", on=date(2026, 11, 20))
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0004", "", attained_on=date(2026, 11, 21))
    assert [r.label for r in claim_checks.review(db.session, claim).rows if not r.ok] == ["取得日期"]
    with pytest.raises(Invalid):
        _approve(claim)


def _second_enrolment(me, institution: str = factories.OTHER_INSTITUTION):
    """The same worker's enrolment of the year before, then in 拱墅区 (another county union), at another institution
    (a year before, not after: an enrolment is dated no later than today, and a later year's notice is ahead)."""
    province = staff(code="330000")
    plan = plans.open_plan(db.session, province, plans.PlanInput(
        year=YEAR - 1, notice_date=date(YEAR - 1, 3, 1), opens_on=date(YEAR - 1, 3, 15),
        closes_on=date(YEAR - 1, 6, 30)))
    quotas.allocate(db.session, province, plan, org("330100"), 10, 10_000)
    quotas.allocate(db.session, staff(code="330100"), plan, org("330105"), 5, 5_000)
    profiles.update_profile(db.session, me, me, {**ELIGIBLE, "real_name": me.profile.real_name, "contract_end": "",
                                                 "contract_start": f"{YEAR - 2}-09-01",
                                                 "id_number": me.profile.id_number, "union_code": "330105"})
    application = applications.apply(db.session, me, offering(plan, institution=institution), date(YEAR - 1, 4, 1))
    applications.verify(db.session, staff(code="330105"), application, True)
    applications.admit(db.session, staff("institution_staff", institution), application, True)
    admitted_on(application, date(YEAR - 1, 9, 1))
    return applications.enrol(db.session, staff("institution_staff", institution), application, "T1",
                              date(YEAR - 1, 9, 1))


def test_the_same_graduation_is_never_paid_again_in_another_year_union_or_institution(app, db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-2026-0005")
    first = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-2026-0005", "")
    _approve(first)
    later = _second_enrolment(me)
    again = subsidies.claim(db.session, me, later, "dazhuan", "ZJ-2026-0005", "")
    # and as a scan with the number's case and separators changed, checked by the new county
    store = evidence.storage(app.config["DATA_DIR"])
    disguised = subsidies.claim(db.session, staff("institution_staff", factories.OTHER_INSTITUTION), later, "benke",
                                "zj 2026 0005", "", files=[pdf_bytes()], storage=store,
                                attained_on=later.enrolled_on)
    claim_checks.check_evidence(db.session, staff(code="330105"), disguised)
    for claim in (again, disguised):
        assert claim_checks.review(db.session, claim).consumed_by is first
        with pytest.raises(Conflict) as err:
            subsidies.decide(db.session, staff(code="330105"), claim, True)
        assert err.value.code == "already_subsidised" and f"第 {first.id} 号申请" in err.value.message
        assert claim.status == ClaimStatus.claimed and claim.result_key is None


def test_the_same_claim_is_never_approved_twice(db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-0006")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0006", "")
    _approve(claim)
    with pytest.raises(Conflict) as err:
        _approve(claim)
    assert err.value.code == "already_decided"
    with pytest.raises(Conflict):
        subsidies.decide(db.session, staff(code="330100"), claim, False, "改判")
    assert claim.status == ClaimStatus.approved


def test_the_database_refuses_two_claims_consuming_one_result(db):
    me, record = enrolled(open_year())
    one = subsidies.claim(db.session, me, record, "dazhuan", "X-1", "")
    two = subsidies.claim(db.session, me, record, "benke", "X-1", "")
    one.result_key = two.result_key = "X1"
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize("same_claim", [True, False], ids=["one-claim-twice", "two-claims-one-result"])
def test_two_reviewers_approving_at_once_pay_one_result_once(app, same_claim):
    """Both pass the service's checks before either writes; the conditional UPDATE (one claim) or the UNIQUE
    result_key (two claims of one diploma, through two enrolments) lets exactly one through."""
    with app.app_context():
        me, record = enrolled(open_year())
        graduation(me, "ZJ-RACE-1")
        first = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-RACE-1", "")
        if same_claim:
            ids = [first.id, first.id]
        else:
            # a second enrolment at the same institution that matches the record just as well
            later = _second_enrolment(me, factories.INSTITUTION)
            second = subsidies.claim(db.session, me, later, "dazhuan", "ZJ-RACE-1", "")
            assert claim_checks.review(db.session, second).problems == []
            ids = [first.id, second.id]
        reviewers = [staff(code="330100").id, staff(code="330100").id]
        db.session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve(reviewer_id: int, claim_id: int) -> None:
        from app.accounts.models import User

        with app.app_context():
            reviewer, claim = db.session.get(User, reviewer_id), db.session.get(SubsidyClaim, claim_id)
            claim_checks.review(db.session, claim)  # both read "not yet consumed"
            barrier.wait()
            try:
                subsidies.decide(db.session, reviewer, claim, True)
                db.session.commit()
                outcomes.append("approved")
            except (Conflict, Invalid) as err:
                db.session.rollback()
                outcomes.append(err.code)

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(reviewers, ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        refused = "already_decided" if same_claim else "already_subsidised"
        assert sorted(outcomes) == sorted(["approved", refused]), outcomes
        approved = db.session.scalar(select(func.count(SubsidyClaim.id)).where(
            SubsidyClaim.status == ClaimStatus.approved))
        assert approved == 1


def test_uploads_count_only_once_checked_by_someone_other_than_the_claimant(app, db):
    plan = open_year()
    me, record = enrolled(plan)
    store = evidence.storage(app.config["DATA_DIR"])
    claim = subsidies.claim(db.session, me, record, "dazhuan", "UP-1", "", files=[pdf_bytes()], storage=store,
                            attained_on=record.enrolled_on)
    with pytest.raises(Invalid):  # a file alone is not evidence: someone must look at it
        _approve(claim)
    # a union clerk who is also the claimant (a worker with a staff role) may neither check nor approve
    service.grant_role(db.session, me, Role.union_staff, org("330106"))
    with pytest.raises(Forbidden) as err:
        claim_checks.check_evidence(db.session, me, claim)
    assert err.value.code == "own_claim"
    with pytest.raises(Forbidden):
        subsidies.decide(db.session, me, claim, True)
    with pytest.raises(Forbidden):  # nor may the institution that filed or uploaded
        claim_checks.check_evidence(db.session, staff("institution_staff"), claim)
    with pytest.raises(Forbidden):  # nor the clerk's desk neighbours: the union above checks and decides it
        claim_checks.check_evidence(db.session, staff(code="330106"), claim)
    bare = subsidies.claim(db.session, me, record, "benke", "UP-2", "")
    with pytest.raises(Invalid) as err:
        claim_checks.check_evidence(db.session, staff(code="330100"), bare)
    assert err.value.code == "no_files"
    checker = staff(code="330100")
    claim_checks.check_evidence(db.session, checker, claim, "姓名、身份证号、专业、日期与申请一致")
    assert claim.evidence_checked_by_id == checker.id and claim.evidence_checked_at is not None
    with pytest.raises(Conflict):  # checked once
        claim_checks.check_evidence(db.session, staff(code="330100"), claim)
    # a file added after the check (a reviewer's attack: the check still stood for it) voids the check
    evidence.attach(db.session, me, claim, [pdf_bytes()], store)
    assert claim.evidence_checked_at is None and claim.evidence_checked_by_id is None
    with pytest.raises(Invalid):
        _approve(claim, "330100")
    claim_checks.check_evidence(db.session, checker, claim, "补充的材料也已核对")
    _approve(claim, "330100")
    key = f"diploma:{org(factories.INSTITUTION).id}:UP1"  # the number within its institution
    assert claim.status == ClaimStatus.approved and claim.result_key == key and claim.amount == 1000


def test_a_skill_certificate_claim_rests_on_the_hr_departments_record(db):
    me, record = enrolled(open_year())
    certificate(me, "S-0007", level="技师")
    wrong_level = subsidies.claim(db.session, me, record, "senior_worker", "S-0007", "")
    assert [r.label for r in claim_checks.review(db.session, wrong_level).rows if not r.ok] == ["等级"]
    with pytest.raises(Invalid):
        _approve(wrong_level)
    right = subsidies.claim(db.session, me, record, "technician", "S-0007", "")
    _approve(right)
    assert right.certificate_id is not None and right.amount == 1200


def test_the_honest_flow_import_claim_approve_pay(db):
    plan = open_year()
    me, record = enrolled(plan)
    graduation(me, "ZJ-2026-0100")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-2026-0100", "浙江开放大学")
    review = claim_checks.review(db.session, claim)
    assert review.record is not None and all(r.ok for r in review.rows) and review.problems == []
    _approve(claim)
    key = f"diploma:{org(factories.INSTITUTION).id}:ZJ20260100"
    assert claim.graduation_id == review.record.id and claim.result_key == key
    subsidies.pay(db.session, staff(code="330106"), plan, org("330106"), [claim.id], beijing_today())
    assert claim.status == ClaimStatus.paid


def test_a_claim_by_a_worker_without_an_id_number_cannot_match_a_record(db):
    plan = open_year()
    me = worker("无证人")
    application = applications.apply(db.session, me, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    me.profile.id_number = None  # an application from before an ID number was required (apply refuses it now)
    db.session.flush()
    applications.admit(db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    record = applications.enrol(db.session, staff("institution_staff"), application, "S2", date(2026, 9, 1))
    from programme.exchange import imports as exchange

    exchange.import_file(db.session, staff("institution_staff"), org(factories.INSTITUTION), "graduation", (
        "id_number,name,level,major,diploma_no,graduated_on\n"
        f"{id_number(5)},无证人,专科,机电一体化,N-1,2026-11-01\n").encode(), "g.csv")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "N-1", "")
    assert [r.label for r in claim_checks.review(db.session, claim).rows if not r.ok] == ["身份证号"]
    with pytest.raises(Invalid):
        _approve(claim)


def test_correcting_the_number_voids_an_evidence_check_made_for_the_old_one(app, db):
    """Otherwise a scan checked for one number would carry approval of another."""
    me, record = enrolled(open_year())
    claim = subsidies.claim(db.session, me, record, "dazhuan", "OLD-1", "", files=[pdf_bytes()],
                            storage=evidence.storage(app.config["DATA_DIR"]), attained_on=record.enrolled_on)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim)
    # the same number, written differently, and the same date: the check is kept
    subsidies.amend(db.session, me, claim, "old 1", record.enrolled_on)
    assert claim.evidence_checked_at is not None
    subsidies.amend(db.session, me, claim, "NEW-2", record.enrolled_on)
    assert claim.evidence_checked_at is None and claim.evidence_checked_by_id is None
    with pytest.raises(Invalid) as err:
        _approve(claim)
    assert err.value.code == "no_evidence"
    with pytest.raises(Forbidden):
        subsidies.amend(db.session, worker("旁人"), claim, "NEW-3", None)


def test_a_correction_filed_while_the_reviewer_looks_is_not_approved_unseen(app):
    """The reviewer checked number R-1; the claimant changes it to R-2 before the button is pressed: the approval
    does not go through on a claim the reviewer never saw."""
    with app.app_context():
        me, record = enrolled(open_year())
        graduation(me, "R-1")
        claim = subsidies.claim(db.session, me, record, "dazhuan", "R-1", "")
        ids = (me.id, claim.id, staff(code="330106").id)
        db.session.commit()
    from app.accounts.models import User

    with app.app_context():  # the reviewer's request
        reviewer, seen = db.session.get(User, ids[2]), db.session.get(SubsidyClaim, ids[1])
        assert claim_checks.review(db.session, seen).problems == []
        with app.app_context():  # meanwhile, the claimant's
            subsidies.amend(db.session, db.session.get(User, ids[0]), db.session.get(SubsidyClaim, ids[1]), "R-2",
                            None)
            db.session.commit()
        with pytest.raises(Conflict) as err:
            subsidies.decide(db.session, reviewer, seen, True)
        assert err.value.code == "already_decided" and "刚被申请人更正" in err.value.message
        db.session.rollback()
        fresh = db.session.get(SubsidyClaim, ids[1])
        assert (fresh.status, fresh.certificate_number, fresh.result_key) == (ClaimStatus.claimed, "R-2", None)
