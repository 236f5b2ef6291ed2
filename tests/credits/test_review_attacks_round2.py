"""A reviewer's second round on the credit bank, each attack as its user would make it: a draft read through a
public pathway, a merge's duplicate revoked with the genuine certificate, the platform's own certificate recognised
as an outside outcome, one certificate recognised twice under two outcome types, revoked credits still counted by
industry, a colleague approving a colleague's request, and a union approving a diploma."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import merge, organisations
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from catalog import service as catalog_service
from credits import certificates, ledger, pathways, recognition
from credits.models import Certificate, CreditRecord
from learning import enrolment
from programme.reporting import reports
from tests import factories
from tests.app.test_merge import _person
from tests.app.test_profile import VALID_ID
from tests.catalog.helpers import make
from tests.credits.credit_factories import complete, pathway, pdf_bytes, request_values, resource, worker
from tests.programme.reporting.test_reports import seed


def _submit(app, user, **overrides):
    return recognition.submit(db.session, user, request_values(**overrides), pdf_bytes(), app.config["DATA_DIR"])


def _org(code):
    return organisations.get_by_code(db.session, code)


# 1. pathways name nothing unpublished ------------------------------------------------------------------------

def test_a_draft_of_another_institution_cannot_be_listed_on_a_pathway(app, client):
    with app.app_context():
        draft = make("INST-T2", title="绝密草稿：2027年焊工考证冲刺班", credits="7")
        staff = factories.user("institution_staff")  # INST-T1
        track = pathways.create(db.session, staff, _org("INST-T1"),
                                {"title": "探路", "kind": "skill", "required_credits": "1"})
        with pytest.raises(Invalid) as err:
            pathways.add_item(db.session, staff, track.id, draft.id, False)
        db.session.commit()
        track_id = track.id
    assert err.value.code == "resource_not_published" and "已发布" in err.value.fields["resource_id"]
    html = client.get(f"/credits/pathways/{track_id}").get_data(as_text=True)
    assert "绝密草稿" not in html and "还没有添加课程" in html


def test_a_course_withdrawn_after_listing_shows_as_a_placeholder(app, client):
    with app.app_context():
        kept, gone = resource(3, "安全用电"), resource(5, "内部培训：不再公开的课程")
        track = pathway(8, ((kept, False), (gone, True)), title="电工路径")
        catalog_service.withdraw(db.session, SYSTEM, gone, "课程调整")
        db.session.commit()
        track_id = track.id
    html = client.get(f"/credits/pathways/{track_id}").get_data(as_text=True)
    assert "安全用电" in html and "一门课程暂未开放" in html
    assert "不再公开的课程" not in html and "5学分" not in html


# 2. revoking a merge's duplicate keeps the genuine certificate -----------------------------------------------

def test_revoking_the_merge_duplicate_keeps_the_certificate_and_the_last_record_takes_it(app, db):
    source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)  # the old account has the ID number
    course = resource(4, "安全用电")
    track = pathway(4, ((course, True),))
    for user in (source, target):
        enrolment.enrol(db.session, user, course.id)
        enrolment.enrolment_of(db.session, user.id, course.id).completed_at = utcnow()
        complete(user, course)
    record = merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    db.session.commit()
    [duplicate] = merge.detail(record)["earned_twice"]  # revoked by the merge itself (a credit counts once)
    assert [r.revokes_id for r in ledger.ledger(db.session, target.id) if r.revokes_id] == [duplicate]
    staff = factories.user("institution_staff")
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == target.id))
    assert cert.revoked_at is None and ledger.balance(ledger.ledger(db.session, target.id)) == 4
    assert pathways.progress(db.session, target.id, [track])[0].complete
    [left] = ledger.in_force(ledger.ledger(db.session, target.id))
    assert cert.record_id == left.id
    # revoking the last one in force still takes the certificate with it
    ledger.revoke_record(db.session, staff, left.id, "考试作弊")
    assert cert.revoked_at is not None and cert.revoked_reason == "考试作弊"
    assert not pathways.progress(db.session, target.id, [track])[0].complete


# 3. the platform's own certificate is no outside outcome -----------------------------------------------------

@pytest.mark.parametrize(("outcome", "typed"), [
    ("training_certificate", "{s}"), ("skill_certificate", "{s}"), ("training_certificate", "第{s}号"),
    ("qualification_certificate", " {l} ")])
def test_the_platforms_own_certificate_is_refused_at_submit(app, db, outcome, typed):
    course = resource(6, "低压电工作业")
    track = pathway(12, ((course, False),), kind="skill", title="电工（中级工）")
    user = worker()
    complete(user, course)
    [cert] = certificates.mine(db.session, user.id)
    with pytest.raises(Invalid) as err:
        _submit(app, user, outcome_type=outcome, title=cert.resource_title, claimed_credits="6",
                certificate_no=typed.format(s=cert.serial, l=cert.serial.lower()), pathway=str(track.id))
    assert err.value.code == "own_certificate" and "本平台颁发的结业证书" in err.value.fields["certificate_no"]
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6
    assert not pathways.progress(db.session, user.id, [track])[0].complete


def test_a_certificate_revoked_for_cheating_does_not_come_back(app, db):
    user = worker()
    complete(user, resource(6, "低压电工作业"))
    [cert] = certificates.mine(db.session, user.id)
    certificates.revoke(db.session, factories.user("institution_staff"), cert.id, "考试作弊")
    with pytest.raises(Invalid) as err:
        _submit(app, user, outcome_type="training_certificate", title=cert.resource_title,
                certificate_no=cert.serial, issuer="330100", claimed_credits="6")
    assert err.value.code == "own_certificate"
    # a request that got in before the check (or before the certificate was issued) is refused at approval
    early = _submit(app, user, outcome_type="training_certificate", title="电工安全培训", issuer="330100",
                    certificate_no="浙培字第2025001号", claimed_credits="6")  # its title is refused now too
    early.certificate_no = cert.serial
    db.session.flush()
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, factories.user("union_staff", org_code="330100"), early.id, "approve")
    assert err.value.code == "own_certificate" and "certificate_no" in err.value.fields
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 0


# 4. one number, one recognition, whichever numbered outcome type ---------------------------------------------

def test_one_certificate_is_not_recognised_again_under_another_outcome_type(app, db):
    user, number = worker(), "S330100-2025-0042"
    first = _submit(app, user, certificate_no=number)
    recognition.review(db.session, factories.user("institution_staff"), first.id, "approve")
    with pytest.raises(Invalid) as err:
        _submit(app, user, certificate_no=number, outcome_type="qualification_certificate", issuer="330100")
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
    # two sent at once under two types: the second approval is refused
    twin = _submit(app, user, outcome_type="qualification_certificate", issuer="330100")
    twin.certificate_no = first.certificate_no
    db.session.flush()
    with pytest.raises(Conflict) as err:
        recognition.review(db.session, factories.user("union_staff", org_code="330100"), twin.id, "approve")
    assert err.value.code == "already_recognised"
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6
    # nor as a training certificate: the applicant's own number under any type (a review: credited twice so)
    with pytest.raises(Invalid) as err:
        _submit(app, user, outcome_type="training_certificate", certificate_no=number)
    assert "已提交过学分认定" in err.value.fields["certificate_no"]
    late = _submit(app, user, outcome_type="training_certificate", certificate_no="浙培字第2025042号", issuer="330100")
    late.certificate_no = first.certificate_no  # as if sent before this rule: refused at approval
    db.session.flush()
    with pytest.raises(Conflict):
        recognition.review(db.session, factories.user("union_staff", org_code="330100"), late.id, "approve")
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6


# 5. a revocation leaves the industry breakdown too -----------------------------------------------------------

def test_revoked_credits_leave_the_industry_breakdown(db):
    who = seed()
    [earned] = db.session.scalars(select(CreditRecord).where(CreditRecord.user_id == who["xihu"].id)).all()
    before = reports.build(db.session, SYSTEM, _org("330000"))
    assert before.total("credits") == 2 and before.by_industry["credits"] == {"construction": 2}
    revocation = ledger.revoke_record(db.session, SYSTEM, earned.id, "考试作弊")
    assert revocation.resource_id == earned.resource_id
    after = reports.build(db.session, SYSTEM, _org("330000"))
    assert after.total("credits") == 0
    assert after.by_industry["credits"].get("construction", 0) == 0


# 6. colleagues do not decide each other's requests -----------------------------------------------------------

def test_a_colleague_cannot_grant_a_colleague_credits_and_a_site_admin_decides(app, db):
    applicant = factories.user("institution_staff")
    colleague = factories.user("institution_staff")
    request = _submit(app, applicant, outcome_type="training_certificate", title="教师进修结业证书",
                      certificate_no="", occupation="", level="", claimed_credits="200")
    with pytest.raises(Forbidden) as err:
        recognition.review(db.session, colleague, request.id, "approve")
    assert err.value.code == "colleague_request" and "平台管理员" in err.value.message
    assert recognition.queue(db.session, colleague) == []
    with pytest.raises(Forbidden):  # nor does the other institution, which did not issue it
        recognition.review(db.session, factories.user("institution_staff", org_code=factories.OTHER_INSTITUTION),
                           request.id, "approve")
    admin = factories.user("admin")
    assert request in recognition.queue(db.session, admin)
    recognition.review(db.session, admin, request.id, "approve", amount="20")
    assert ledger.balance(ledger.ledger(db.session, applicant.id)) == 20


def test_a_union_colleague_stands_aside_and_the_union_above_decides(app, db):
    applicant = factories.user("union_staff", org_code="330100")
    request = _submit(app, applicant, issuer="330100")
    with pytest.raises(Forbidden):
        recognition.review(db.session, factories.user("union_staff", org_code="330100"), request.id, "approve")
    recognition.review(db.session, factories.user("union_staff", org_code="330000"), request.id, "approve")
    assert ledger.balance(ledger.ledger(db.session, applicant.id)) == 6


def test_the_applicant_is_told_who_decides(app, client, auth):
    phone = auth.as_role("institution_staff")
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.phone == phone))
        own = _submit(app, staff)
        elsewhere = _submit(app, staff, issuer="330100")
        db.session.commit()
        own_id, elsewhere_id = own.id, elsewhere.id
    assert "由平台管理员审核" in client.get(f"/credits/recognition/{own_id}").get_data(as_text=True)
    assert "由平台管理员审核" not in client.get(f"/credits/recognition/{elsewhere_id}").get_data(as_text=True)


# 7. only a school awards a diploma ---------------------------------------------------------------------------

DIPLOMA = {"outcome_type": "diploma", "title": "机电一体化技术专科毕业证书", "occupation": "", "level": "专科",
           "claimed_credits": "80"}


def test_a_union_cannot_be_named_as_a_diplomas_issuer(app, db):
    user = worker()
    with pytest.raises(Invalid) as err:
        _submit(app, user, **DIPLOMA, certificate_no="133351202505000123", issuer="330106")
    assert "学历证书只能由院校颁发" in err.value.fields["issuer"]
    assert _submit(app, user, **DIPLOMA, certificate_no="133351202505000124", issuer="INST-T1").id
    # one sent to a union before the rule is refused at approval
    early = _submit(app, user, **DIPLOMA, certificate_no="133351202505000125", issuer="INST-T1")
    early.issuer = _org("330106")
    db.session.flush()
    with pytest.raises(Invalid) as err:
        recognition.review(db.session, factories.user("union_staff", org_code="330106"), early.id, "approve")
    assert err.value.code == "diploma_issuer" and "issuer" in err.value.fields
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 0
