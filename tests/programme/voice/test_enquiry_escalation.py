"""Enquiries go to the worker's township union first; one left unanswered past ENQUIRY_ESCALATE_HOURS goes up
to the county (by the recurring duty, once, audited), and the staff queue shows how long each has waited."""

from datetime import timedelta

from app import audit, jobs
from app.accounts import organisations, profiles
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db as _db
from programme.voice import enquiries, escalation
from tests import factories


def township():
    return organisations.create_organisation(_db.session, SYSTEM, parent_code="330106", code="330106001",
                                             name="西溪街道总工会", kind=OrgKind.union)


def ask_from(union_code: str, now):
    asker = factories.user(name="张三明")
    profiles.update_profile(_db.session, asker, asker, {"union_member": True, "union_code": union_code})
    return enquiries.ask(_db.session, asker, subject="学费", question="学费怎么补贴？", now=now)


def run_duty(app):
    duty = jobs.RECURRING[escalation.DUTY]
    return duty.run(jobs.DutyContext(app=app, session=_db.session, name=duty.name, worker="test", failures=0))


def test_unanswered_township_enquiry_goes_to_the_county_at_the_deadline(db):
    street = township()
    start = utcnow() - timedelta(days=10)
    enquiry = ask_from(street.code, start)
    answered = ask_from(street.code, start)
    enquiries.answer(db.session, factories.user("union_staff", street.code), answered, "可以申请。")
    county_asked = ask_from("330106", start)
    assert enquiry.org == street
    assert escalation.escalate_overdue(db.session, now=start + timedelta(hours=48, seconds=-1), hours=48) == 0
    assert enquiry.org == street and enquiry.escalated_at is None
    deadline = start + timedelta(hours=48)
    assert escalation.escalate_overdue(db.session, now=deadline, hours=48) == 1
    assert (enquiry.org.code, enquiry.escalated_at) == ("330106", deadline)
    assert answered.org == street and county_asked.escalated_at is None  # answered or not at a township: stay
    assert escalation.escalate_overdue(db.session, now=deadline + timedelta(days=3), hours=48) == 0  # once only
    entries = [e for e in audit.entries(db.session) if e.action == "enquiry.escalate"]
    assert [(e.target_id, e.actor_label) for e in entries] == [(str(enquiry.id), "system")]
    assert enquiries.inbox(db.session, factories.user("union_staff", "330106"))[1] == 2  # the county's queue
    assert enquiries.inbox(db.session, factories.user("union_staff", street.code))[1] == 0  # no longer theirs


def test_the_registered_duty_uses_the_configured_hours(app, db):
    street = township()
    app.config["ENQUIRY_ESCALATE_HOURS"] = 2
    late = ask_from(street.code, utcnow() - timedelta(hours=3))
    fresh = ask_from(street.code, utcnow() - timedelta(hours=1))
    run_duty(app)
    assert (late.org.code, fresh.org.code) == ("330106", street.code)
    run_duty(app)  # again: nothing more moves
    assert fresh.org.code == street.code


def test_staff_queue_shows_ages_and_the_escalated_mark(app, db, client, auth):
    street = township()
    ask_from(street.code, utcnow() - timedelta(hours=60))
    ask_from("330106", utcnow() - timedelta(hours=5))
    escalation.escalate_overdue(db.session, hours=48)
    db.session.commit()
    auth.as_role("union_staff", "330106")
    page = client.get("/enquiries/inbox").get_data(as_text=True)
    assert "已等待2天" in page and "已等待5小时" in page and "乡镇逾期转来" in page
    assert escalation.age_text(utcnow(), utcnow() + timedelta(minutes=7)) == "7分钟"


def test_the_desk_shows_when_a_township_question_goes_up(app, db):
    from programme import desk

    street = township()
    asked = utcnow().replace(hour=2)  # 10:00 in Beijing: two days on is the same Beijing day
    at_township, at_county = ask_from(street.code, asked), ask_from("330106", asked)
    with app.test_request_context():
        waiting = desk.enquiries_to_answer(db.session, factories.user("union_staff", "330106"))
    deadlines = {item.org: item.deadline for item in waiting.items}
    assert deadlines == {"西溪街道总工会": (asked + timedelta(hours=48)).date(), "西湖区总工会": None}
    assert escalation.deadline(at_county, 48) is None and escalation.deadline(at_township, 48) is not None
