"""A training certificate is recognised once however its serial is typed, and the platform's own certificate does
not come back as one (a review, 2026): a training serial is free text, so the same certificate typed with or
without 第 and 号, with a Cyrillic О for O, or left blank once, was a new certificate approved by a second issuer;
and a platform certificate, revoked for cheating, sent as a training certificate with no number was credited
again. Serials are now compared without 第 and 号, Chinese numerals as digits, and refused with letters other than
ASCII and Chinese; a request without a number is the applicant's own request of that title with any number, and the
reverse; and a training certificate titled as a platform certificate the applicant holds is refused, at submit and
again at approval."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.extensions import db
from credits import certificates, ledger, recognition
from tests import factories
from tests.credits.credit_factories import complete, pdf_bytes, request_values, resource, worker

TRAINING = {"outcome_type": "training_certificate", "title": "焊接安全培训结业证书", "occupation": "", "level": "",
            "claimed_credits": "6"}
SERIAL = "浙培字第2025001号"


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**{**TRAINING, **overrides}), pdf_bytes(),
                              app.config["DATA_DIR"])


def _city_union():
    return factories.user("union_staff", org_code="330100")


@pytest.mark.parametrize(("typed", "refusal"), [
    ("", "已提交过学分认定"), ("浙培字2025001号", "已提交过学分认定"), ("浙培字第2025001", "已提交过学分认定"),
    ("浙培字 2025001", "已提交过学分认定"), ("浙培字第2О25001号", "只能包含汉字、英文字母和数字"),
    ("浙培字第2〇25001号", "已提交过学分认定"), ("浙培字第二零二五零零一号", "已提交过学分认定"),
    ("浙培字第贰零贰伍零零壹号", "已提交过学分认定")],
    ids=["blank", "no-di", "no-hao", "neither", "cyrillic-o", "ideographic-zero", "chinese-numerals",
         "capital-numerals"])
def test_attack_one_training_certificate_recognised_twice_by_its_serial_typed_another_way(app, db, typed, refusal):
    user = worker()
    first = _submit(app, user, certificate_no=SERIAL, issuer="INST-T1")
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    with pytest.raises(Invalid) as err:  # the same certificate and scan, to the city union
        _submit(app, user, certificate_no=typed, issuer="330100")
    assert refusal in err.value.fields["certificate_no"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6  # credited once
    assert len(recognition.mine(db.session, user.id)) == 1


def test_a_serial_sent_after_the_same_certificate_without_one_is_refused(app, db):
    user = worker()
    _submit(app, user, certificate_no="", issuer="INST-T1")
    with pytest.raises(Invalid) as err:
        _submit(app, user, certificate_no=SERIAL, issuer="330100", title=" 焊接安全培训 结业证书")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]


def test_training_certificates_that_differ_are_still_sent(app, db):
    """Another year's certificate of one course (another serial), another person's course without a serial, and a
    serial with brackets as printed: none is refused."""
    user = worker()
    assert _submit(app, user, certificate_no=SERIAL).certificate_no == "浙培字2025001"
    assert _submit(app, user, certificate_no="浙培字〔2026〕第2026001号").certificate_no == "浙培字20262026001"
    assert _submit(app, worker("李四"), certificate_no="").id


def test_a_request_kept_with_its_serial_unfolded_is_still_found(app, db):
    """Requests sent before 第 and 号 were dropped kept them: the applicant's own are compared folded."""
    user = worker()
    early = _submit(app, user, certificate_no="浙培字2025001", issuer="INST-T1")
    early.certificate_no = SERIAL  # as it was kept then
    db.session.flush()
    recognition.review(db.session, factories.user("institution_staff"), early.id, "approve")
    with pytest.raises(Invalid) as err:
        _submit(app, user, certificate_no="浙培字2025001", issuer="330100")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6


def test_a_lookalike_serial_sent_before_the_rule_is_refused_at_approval(app, db):
    user = worker()
    first = _submit(app, user, certificate_no=SERIAL, issuer="INST-T1")
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    early = _submit(app, user, certificate_no="浙培字第2025002号", issuer="330100")
    early.certificate_no = "浙培字2О25001"  # Cyrillic О, kept before the rule
    db.session.flush()
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, _city_union(), early.id, "approve")
    assert err.value.code == "invalid_number" and "只能包含汉字" in err.value.fields["certificate_no"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6


@pytest.mark.parametrize("revoked", [True, False], ids=["revoked-for-cheating", "held"])
@pytest.mark.parametrize("typed", ["", "浙培字第2025009号"], ids=["blank", "made-up-serial"])
def test_attack_a_platform_certificate_comes_back_as_a_training_certificate(app, db, revoked, typed):
    user = worker()
    complete(user, resource(6, "低压电工作业"))
    [cert] = certificates.mine(db.session, user.id)
    if revoked:
        certificates.revoke(db.session, factories.user("institution_staff"), cert.id, "考试作弊")
    before = ledger.balance(ledger.ledger(db.session, user.id))
    with pytest.raises(Invalid) as err:  # its title as printed, typed with a space; no serial, or an invented one
        _submit(app, user, title="低压电工 作业", certificate_no=typed, issuer="330100")
    assert err.value.code == "own_certificate" and "本平台获得《低压电工 作业》的结业证书" in err.value.fields["title"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == before
    assert recognition.mine(db.session, user.id) == []


def test_a_training_certificate_sent_before_the_platform_certificate_is_refused_at_approval(app, db):
    user = worker()
    early = _submit(app, user, title="低压电工作业", certificate_no="", issuer="330100")
    complete(user, resource(6, "低压电工作业"))  # the platform's certificate of that title, issued since
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, _city_union(), early.id, "approve")
    assert err.value.code == "own_certificate" and "title" in err.value.fields
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6  # the course's credits only


@pytest.mark.parametrize(("typed", "kept"), [
    ("第一二三号", "123"), ("浙培字第二〇二五〇〇一号", "浙培字2025001"), ("浙培字第貳零貳伍零零壹號", "浙培字2025001"),
    ("沪一培字第2025001号", "沪1培字2025001"), ("培字第十二号", "培字十2")],
    ids=["digits", "with-zero", "traditional-capitals", "in-the-prefix", "ten-kept"])
def test_chinese_numerals_in_a_serial_are_its_digits(typed, kept):
    """Digits written one by one as Chinese numerals are the serial's digits; 十 counts, and is kept."""
    assert recognition._number(typed) == kept


def test_attack_a_serial_in_chinese_numerals_credits_another_person_again(app, db):
    """One certificate, its serial 123 typed by its holder and 第一二三号 by someone with a copy: two serials, and
    the copy was approved by a second issuer."""
    holder = worker()
    first = _submit(app, holder, certificate_no="123", issuer="INST-T1")
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    with pytest.raises(Invalid) as err:
        _submit(app, worker("李四"), certificate_no="第一二三号", issuer="330100")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
