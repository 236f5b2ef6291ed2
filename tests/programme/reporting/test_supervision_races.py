"""A supervision notice (督办) answered twice at the same moment by two clerks of the receiving unit: both had
succeeded, the second answer replacing the first unseen; now one answer stands and the other clerk is told."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import User
from app.extensions import db
from app.timefmt import beijing_today
from programme.reporting import supervision
from programme.reporting.models import Supervision
from tests.programme.helpers import at_once, open_year, org, staff


def test_a_supervision_notice_is_answered_once_when_two_clerks_press_at_once(app):
    with app.app_context():
        plan = open_year()
        sent = supervision.send(db.session, staff(code="330000"), plan, org("330100"), "录取进度滞后，请说明原因。",
                                beijing_today() + timedelta(days=7))
        clerks = [staff(code="330100").id, staff(code="330100").id]
        db.session.commit()
        notice_id = sent.id

    def answer(i: int):
        clerk = db.session.get(User, clerks[i])
        found = supervision.get(db.session, clerk, notice_id)
        return lambda: supervision.answer(db.session, clerk, found, f"第{i}位：已加快录取。")

    outcomes = at_once(app, len(clerks), answer)
    assert sorted(outcomes) == ["already_answered", "ok"], outcomes
    with app.app_context():
        answered = db.session.get(Supervision, notice_id)
        winner = clerks.index(answered.answered_by_id)
        assert answered.answer == f"第{winner}位：已加快录取。"
