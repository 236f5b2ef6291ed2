"""Attacks on "one result is paid once" through the number's letters, and on the evidence check through the date
(a review, 2026): the same diploma or certificate claimed again on scans with its number typed inside Chinese
("第ZJ-2026-0005号") or with a lookalike letter (Greek Ζ, Cyrillic Ѕ), each a new number for result_key, the
UNIQUE key and `_paid_elsewhere`; and a checked claim on scans re-dated to the enrolment after the check."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Invalid
from app.extensions import db
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimStatus, SubsidyClaim
from tests import factories
from tests.conftest import csrf_token
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import graduation, open_year, staff
from tests.programme.money.test_subsidies import enrolled
from tests.programme.money.test_subsidy_evidence import _second_enrolment
from tests.programme.test_staff_pages import enrolled as enrolled_today

REFUSED = "证书编号只能包含英文字母和数字"
LOOKALIKES = ["第ZJ-2026-0005号", "ΖJ-2026-0005", "ZJ-2026-ОО05", "ZJ-2026-0005 号"]  # Greek Zeta; Cyrillic O


def _claims() -> int:
    return db.session.scalar(select(func.count()).select_from(SubsidyClaim)) or 0


@pytest.mark.parametrize("typed", LOOKALIKES, ids=["cjk-affix", "greek-zeta", "cyrillic-o", "cjk-suffix"])
def test_attack_one_diploma_claimed_again_on_scans_with_other_letters_is_refused(app, db, typed):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-2026-0005")
    first = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-2026-0005", "")
    subsidies.decide(db.session, staff(code="330106"), first, True)
    later = _second_enrolment(me)  # the same worker, the year before, another institution and county
    store = evidence.storage(app.config["DATA_DIR"])
    before = _claims()
    with pytest.raises(Invalid) as refused:  # the institution files the same diploma's scan, the number dressed up
        subsidies.claim(db.session, staff("institution_staff", factories.OTHER_INSTITUTION), later, "benke", typed,
                        "", files=[pdf_bytes()], storage=store, attained_on=later.enrolled_on)
    assert REFUSED in refused.value.fields["certificate_number"] and _claims() == before
    # typed as printed (full width is folded, as before), it is the diploma already paid
    again = subsidies.claim(db.session, staff("institution_staff", factories.OTHER_INSTITUTION), later, "benke",
                            "ＺＪ－２０２６－０００５", "", files=[pdf_bytes()], storage=store,
                            attained_on=later.enrolled_on)
    claim_checks.check_evidence(db.session, staff(code="330105"), again)
    with pytest.raises(Conflict) as err:
        subsidies.decide(db.session, staff(code="330105"), again, True)
    assert err.value.code == "already_subsidised" and again.status == ClaimStatus.claimed and again.amount == 0


def test_attack_a_skill_certificate_on_scans_with_a_cyrillic_letter_is_refused(app, db):
    me, record = enrolled(open_year())
    store = evidence.storage(app.config["DATA_DIR"])
    first = subsidies.claim(db.session, me, record, "senior_worker", "S-2026-0001", "", files=[pdf_bytes()],
                            storage=store, attained_on=record.enrolled_on)
    claim_checks.check_evidence(db.session, staff(code="330106"), first)
    subsidies.decide(db.session, staff(code="330106"), first, True)
    later = _second_enrolment(me)
    with pytest.raises(Invalid) as refused:
        subsidies.claim(db.session, me, later, "senior_worker", "Ѕ-2026-0001", "",  # Cyrillic DZE for S
                        files=[pdf_bytes()], storage=store, attained_on=later.enrolled_on)
    assert REFUSED in refused.value.fields["certificate_number"]
    # nor by filing it honestly and then correcting the number to the lookalike
    again = subsidies.claim(db.session, me, later, "senior_worker", "S-2026-0001", "", files=[pdf_bytes()],
                            storage=store, attained_on=later.enrolled_on)
    with pytest.raises(Invalid) as refused:
        subsidies.amend(db.session, me, again, "Ѕ-2026-0001", later.enrolled_on)
    assert REFUSED in refused.value.fields["certificate_number"]
    db.session.refresh(again)
    assert again.certificate_number == "S-2026-0001"
    claim_checks.check_evidence(db.session, staff(code="330105"), again)
    with pytest.raises(Conflict):
        subsidies.decide(db.session, staff(code="330105"), again, True)


def test_a_re_dated_claim_on_scans_is_checked_again_before_it_is_paid(app, db):
    me, record = enrolled(open_year())  # enrolled 2026-09-01
    store = evidence.storage(app.config["DATA_DIR"])
    # the scan (and the claimant's first word) date the certificate 1 June, before the enrolment: not payable
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-OLD-9", "高级工 2026-06-01",
                            attained_on=date(2026, 6, 1), files=[pdf_bytes()], storage=store)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim, "扫描件与本人一致，取得日期 2026-06-01")
    subsidies.amend(db.session, me, claim, "S-OLD-9", record.enrolled_on)  # re-dated after the check
    assert claim.evidence_checked_at is None and claim.evidence_checked_by_id is None
    assert claim.evidence_check_note == ""
    with pytest.raises(Invalid) as refused:  # the reviewer must look at the scans again, against the new date
        subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert refused.value.code == "no_evidence" and claim.status == ClaimStatus.claimed and claim.amount == 0


def test_an_unchanged_date_and_number_keep_the_check(app, db):
    me, record = enrolled(open_year())
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-KEEP-1", "", attained_on=record.enrolled_on,
                            files=[pdf_bytes()], storage=evidence.storage(app.config["DATA_DIR"]))
    claim_checks.check_evidence(db.session, staff(code="330106"), claim)
    subsidies.amend(db.session, me, claim, "s keep 1", record.enrolled_on)
    assert claim.evidence_checked_at is not None
    assert subsidies.decide(db.session, staff(code="330106"), claim, True).status == ClaimStatus.approved


def test_the_claim_form_says_why_a_lookalike_number_is_refused(app, client, auth):
    phone, record_id = enrolled_today(app)
    auth.login(phone)
    response = client.post(f"/programme/enrolments/{record_id}/claim", data={
        "csrf_token": csrf_token(client, "/me/profile"), "attainment": "dazhuan",
        "certificate_number": "第ZJ-2026-0005号", "evidence": "毕业证书"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in page and 'value="第ZJ-2026-0005号"' in page
    with app.app_context():
        assert _claims() == 0


def test_a_full_width_number_is_still_accepted(app, db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-2026-0007")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ＺＪ－２０２６－０００７", "")
    assert subsidies.decide(db.session, staff(code="330106"), claim, True).result_key.endswith(":ZJ20260007")

