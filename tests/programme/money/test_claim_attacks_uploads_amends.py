"""Attacks on a subsidy claim's files and corrections, performed as the claimant and the reviewers would: two
uploads at once past the limit of five files; a file added while a reviewer approves on a check that never saw it
(or to a claim approved a moment before); and a site admin who corrects a claim and then approves it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimEvidence, ClaimStatus, SubsidyClaim
from tests import factories
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import at_once, graduation, open_year, staff
from tests.programme.money.test_subsidies import enrolled
from tests.programme.test_staff_pages import post


def _claim_on_scans(app, checked: bool = False) -> tuple[int, int, int]:
    """(claimant id, claim id, county reviewer id), committed: a claim on one scan, checked by the union if asked."""
    with app.app_context():
        me, record = enrolled(open_year())
        claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-SCAN-1", "", attained_on=record.enrolled_on,
                                files=[pdf_bytes()], storage=evidence.storage(app.config["DATA_DIR"]))
        if checked:
            claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致")
        ids = (me.id, claim.id, staff(code="330106").id)
        db.session.commit()
    return ids


def _files(app, claim_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ClaimEvidence.id)).where(ClaimEvidence.claim_id == claim_id))


def test_attack_two_uploads_at_once_never_pass_five_files(app):
    """The claim has one file; two tabs each send three at the same moment: both read "one file" before either
    writes, unless the claim is held while the files are counted and written."""
    me_id, claim_id, _reviewer = _claim_on_scans(app)
    store = evidence.storage(app.config["DATA_DIR"])

    def prepare(_i: int):
        me, claim = db.session.get(User, me_id), db.session.get(SubsidyClaim, claim_id)
        assert len(claim.files) == 1  # what the page showed

        def upload() -> None:
            try:
                evidence.attach(db.session, me, claim, [pdf_bytes(), pdf_bytes(), pdf_bytes()], store)
            except Invalid as err:  # the refusal the second tab shows: reported as its code
                raise Conflict(err.message, code=err.code) from None
        return upload

    outcomes = at_once(app, 2, prepare)
    assert sorted(outcomes) == ["ok", "too_many_files"], outcomes
    assert _files(app, claim_id) == 4


def test_attack_a_file_added_while_the_reviewer_looks_is_not_approved_on_the_old_check(app):
    """The union checked one scan; the reviewer has the claim open (checked, nothing wrong) when the claimant adds
    another file, which voids the check: pressing 核准 then does not approve on a check that never saw the file."""
    me_id, claim_id, reviewer_id = _claim_on_scans(app, checked=True)
    with app.app_context():  # the reviewer's request
        reviewer, seen = db.session.get(User, reviewer_id), db.session.get(SubsidyClaim, claim_id)
        assert claim_checks.review(db.session, seen).problems == []
        with app.app_context():  # meanwhile, the claimant's
            evidence.attach(db.session, db.session.get(User, me_id), db.session.get(SubsidyClaim, claim_id),
                            [pdf_bytes()], evidence.storage(app.config["DATA_DIR"]))
            db.session.commit()
        with pytest.raises((Conflict, Invalid)) as refused:
            subsidies.decide(db.session, reviewer, seen, True)
        assert refused.value.code == "already_decided"
        db.session.rollback()
        fresh = db.session.get(SubsidyClaim, claim_id)
        assert (fresh.status, fresh.evidence_checked_at, fresh.amount) == (ClaimStatus.claimed, None, 0)
        assert len(fresh.files) == 2


def test_attack_a_file_added_as_the_claim_is_approved_is_refused(app):
    """The claimant's upload read "awaiting review" just before the reviewer approved: the file is not added to the
    approved claim, nor is the check the approval rested on voided after the fact."""
    me_id, claim_id, reviewer_id = _claim_on_scans(app, checked=True)
    with app.app_context():  # the claimant's upload
        me, mine = db.session.get(User, me_id), db.session.get(SubsidyClaim, claim_id)
        assert mine.status == ClaimStatus.claimed and len(mine.files) == 1
        with app.app_context():  # meanwhile, the reviewer's approval
            subsidies.decide(db.session, db.session.get(User, reviewer_id), db.session.get(SubsidyClaim, claim_id),
                             True)
            db.session.commit()
        with pytest.raises(Conflict) as refused:
            evidence.attach(db.session, me, mine, [pdf_bytes()], evidence.storage(app.config["DATA_DIR"]))
        assert refused.value.code == "already_decided"
        db.session.rollback()
    assert _files(app, claim_id) == 1
    with app.app_context():
        fresh = db.session.get(SubsidyClaim, claim_id)
        assert fresh.status == ClaimStatus.approved and fresh.evidence_checked_at is not None


def test_attack_a_site_admin_corrects_a_claim_and_approves_it_themselves(db):
    """A claim that disagrees with its record is blocked; an admin (who may correct any claim) makes it agree and
    would then approve it on their own correction. Whoever corrects a claim is one of its claimants now."""
    me, record = enrolled(open_year())
    graduation(me, "ZJ-ADM-1")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-ADM-9", "")
    admin = factories.user(role="admin")
    with pytest.raises(Invalid):  # the number on the claim is not the record's
        subsidies.decide(db.session, admin, claim, True)
    subsidies.amend(db.session, admin, claim, "ZJ-ADM-1", None)
    assert claim_checks.review(db.session, claim).problems == []
    with pytest.raises(Forbidden) as refused:
        subsidies.decide(db.session, admin, claim, True)
    assert refused.value.code == "own_claim" and admin.id in claim_checks.claimants(claim)
    assert claim.status == ClaimStatus.claimed and claim.amount == 0
    with pytest.raises(Forbidden):  # nor may they check scans of a claim they corrected
        claim_checks.check_evidence(db.session, admin, claim)
    subsidies.decide(db.session, staff(code="330106"), claim, True)  # a reviewer who did not touch it
    assert claim.status == ClaimStatus.approved


def test_a_correction_by_the_claimant_leaves_other_reviewers_free_to_approve(db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-OWN-1", on=date(2026, 9, 1))
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-OWN-9", "")
    subsidies.amend(db.session, me, claim, "ZJ-OWN-1", date(2026, 9, 1))
    subsidies.decide(db.session, factories.user(role="admin"), claim, True)
    assert claim.status == ClaimStatus.approved


def test_an_admin_who_corrected_the_claim_on_its_page_is_refused_its_approval(app, client, auth):
    with app.app_context():
        me, record = enrolled(open_year())
        graduation(me, "ZJ-PAGE-1")
        claim_id = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-PAGE-9", "").id
        db.session.commit()
    auth.as_role("admin")
    post(client, f"/programme/claims/{claim_id}/amend", {"certificate_number": "ZJ-PAGE-1", "attained_on": ""})
    page = client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    assert "✗" not in page and 'value="approve" class="button primary" disabled' in page
    assert "您提交、更正过这份申请或为它提交过材料，不能审核它" in page  # the page says why
    refused = post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    assert refused.status_code == 403 and "不能审核自己申请或提交材料的补贴" in refused.get_data(as_text=True)
    with app.app_context():
        fresh = db.session.get(SubsidyClaim, claim_id)
        assert (fresh.certificate_number, fresh.status) == ("ZJ-PAGE-1", ClaimStatus.claimed)
