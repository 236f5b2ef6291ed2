"""Domains tell the person a thing happened to them through the notifications centre, in the transaction of the
change, each message linking to the thing: an enquiry answered, a certificate issued (once, however often the
completion is announced), a course selected again after its provider changed it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db
from app.notifications import kinds
from app.notifications.models import Notification
from catalog import service as catalog_service
from credits import certificates
from learning import enrolment
from programme.voice import enquiries
from tests import factories
from tests.credits.credit_factories import complete, resource, worker
from tests.programme.voice.test_enquiry_escalation import ask_from


def _messages(user_id: int) -> list[tuple[str, str, str]]:
    return [(n.kind, n.title, n.url) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))]


def test_an_answered_enquiry_tells_the_asker(app, db):
    enquiry = ask_from("330106", None)
    enquiries.answer(db.session, factories.user("union_staff", "330106"), enquiry, "可以申请补贴。")
    assert _messages(enquiry.asker_id) == [(kinds.ENQUIRY, "你的咨询有了回复", f"/enquiries/{enquiry.id}")]


def test_a_certificate_is_announced_once(app, db):
    learner = worker("张三明")
    course = resource(4, "低压电工作业")
    complete(learner, course)
    certificates.issue(db.session, learner.id, course)  # announced again: the same certificate, no new message
    found = [m for m in _messages(learner.id) if m[0] == kinds.CERTIFICATE]
    assert found == [(kinds.CERTIFICATE, "证书已发放：低压电工作业", "/credits/transcript")]


def test_learners_hear_when_their_course_is_published_again(app, db):
    course = resource(2, "叉车安全操作")
    learner, done = factories.user("worker"), factories.user("worker")
    enrolment.enrol(db.session, learner, course.id)
    enrolment.enrol(db.session, done, course.id)[0].completed_at = utcnow()  # finished before the change
    catalog_service.withdraw(db.session, SYSTEM, course, "补一节课")
    catalog_service.submit(db.session, SYSTEM, course)
    assert _messages(learner.id) == []  # nothing until it is public again
    catalog_service.review(db.session, SYSTEM, course, "select")
    assert _messages(learner.id) == [(kinds.COURSE, "课程有更新：《叉车安全操作》",
                                      f"/learning/r/{course.id}/continue")]
    assert [m for m in _messages(done.id) if m[0] == kinds.COURSE] == []  # finished it: not bothered


def test_an_admission_decision_is_told_in_the_site_and_by_text(app, db):
    from app.notifications import delivery
    from app.sms import SmsMessage
    from programme.admissions import applications
    from tests.programme.helpers import OPEN_DAY, offering, open_year, staff
    from tests.programme.helpers import worker as applicant

    plan = open_year()
    me = applicant()
    found = applications.apply(db.session, me, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), found, True)
    applications.admit(db.session, staff("institution_staff"), found, True)
    db.session.commit()
    told = [m for m in _messages(me.id) if m[0] != kinds.ACCOUNT]  # not the profile's "name and ID number set"
    assert told == [(kinds.APPLICATION, "你已被录取，请按学校通知报到", "/programme/mine")]
    before = db.session.scalar(select(func.max(SmsMessage.id)).where(SmsMessage.phone == me.phone)) or 0
    delivery.deliver_pending(db.session, app.config)
    texts = db.session.scalars(select(SmsMessage).where(SmsMessage.phone == me.phone, SmsMessage.id > before)).all()
    assert [t.text for t in texts] == ["【求学】你已被录取，请按学校通知报到。请登录求学查看详情。"]
