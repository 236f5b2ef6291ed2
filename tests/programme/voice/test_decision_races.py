"""Decisions in the voice desks taken twice at the same moment (a review): two clerks resolving one objection, two
point desks answering one enquiry. Each had both succeed, the last write standing unseen (the first desk's answer
lost without an audit row); now one stands and the other clerk is told."""

from __future__ import annotations

from datetime import date, timedelta

from app.accounts.models import User
from app.db import utcnow
from app.extensions import db
from programme.network import points
from programme.voice import objections, point_desk
from programme.voice.models import Enquiry, Objection, ObjectionStatus
from tests import factories
from tests.app.appointing import accepted
from tests.programme.helpers import at_once, org, staff, worker
from tests.programme.voice.test_enquiry_escalation import ask_from
from tests.programme.voice.test_objections import notice

XIHU = points.PointInput(name="西湖区职工教育服务点", address="文三路100号", hours="9:00-17:00", phone="0571-1")


def test_an_objection_is_resolved_once_when_two_clerks_press_at_once(app):
    findings = (("upheld", "异议成立，已更正。"), ("dismissed", "经核实无误。"))
    with app.app_context():
        item = notice()
        objection = objections.file(db.session, worker("李异议"), item, text="名单有误，请核实。",
                                    today=date(2026, 7, 2))
        clerks = [staff(code="330106").id, staff(code="330106").id]
        db.session.commit()
        objection_id = objection.id

    def resolve(i: int):
        clerk = db.session.get(User, clerks[i])
        found = objections.get(db.session, clerk, objection_id)
        return lambda: objections.resolve(db.session, clerk, found, *findings[i])

    outcomes = at_once(app, len(clerks), resolve)
    assert sorted(outcomes) == ["already_resolved", "ok"], outcomes
    with app.app_context():
        resolved = db.session.get(Objection, objection_id)
        winner = 0 if resolved.status == ObjectionStatus.upheld else 1
        assert (resolved.resolved_by_id, resolved.reply) == (clerks[winner], findings[winner][1])


def test_a_point_desk_answer_is_not_silently_replaced_by_a_second_at_once(app):
    with app.app_context():
        point = points.create(db.session, staff(code="330106"), org("330106"), XIHU)
        helpers = [factories.user(name="服务点小陈"), factories.user(name="服务点小王")]
        for helper in helpers:
            accepted(point_desk.name_staff(db.session, staff(code="330106"), point, helper.phone))
        enquiry = ask_from("330106", utcnow() - timedelta(minutes=5))
        db.session.commit()
        ids, point_id, enquiry_id = [h.id for h in helpers], point.id, enquiry.id

    def answer(i: int):
        helper = db.session.get(User, ids[i])
        desk = point_desk.desk_point(db.session, helper, point_id)
        found = point_desk.enquiry_at(db.session, helper, desk, enquiry_id)
        return lambda: point_desk.answer(db.session, helper, desk, found, f"第{i}位的回复：带身份证来报名。")

    outcomes = at_once(app, len(ids), answer)
    assert sorted(outcomes) == ["already_answered", "ok"], outcomes
    with app.app_context():
        answered = db.session.get(Enquiry, enquiry_id)
        winner = ids.index(answered.answered_by_id)
        assert answered.answer == f"第{winner}位的回复：带身份证来报名。"
