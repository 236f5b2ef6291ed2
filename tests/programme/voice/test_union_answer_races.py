"""A union's answer written over one it never saw (a review): the union's answer was an unconditional write, so a
union sending its page just after a point's desk answered replaced the desk's answer with no `enquiry.answer_change`
row, and of two union answers at once the first was lost the same way. Now the union's form sends the answer it
showed; one written since is refused (409, the page shows the new answer and keeps what was typed), and a rewrite of
the answer seen is written and audited as before."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from app import audit
from app.accounts.models import User
from app.db import utcnow
from app.extensions import db
from programme.network import points
from programme.voice import enquiries, point_desk
from programme.voice.models import Enquiry
from tests import factories
from tests.app.appointing import accepted
from tests.conftest import post_form
from tests.programme.helpers import at_once, org, staff
from tests.programme.voice.test_decision_races import XIHU
from tests.programme.voice.test_enquiry_escalation import ask_from

DESK = "服务点：周六上午也开门，带身份证来。"
UNION = "县总工会：请到县总工会报名。"
_SEEN = re.compile(r'name="seen" value="([^"]*)"')


def _seen(page: str) -> str:
    """The answer the page says it showed (its hidden field), as a browser would send it back."""
    found = _SEEN.search(page)
    assert found is not None, "the answer form sends no `seen`"
    return html.unescape(found.group(1))


def _changes():
    return audit.entries(db.session, audit.Filter(action="enquiry.answer_change"))


def test_a_union_page_opened_before_a_desk_answered_does_not_replace_it_unseen(app, db, client, auth):
    county = staff(code="330106")
    point = points.create(db.session, county, org("330106"), XIHU)
    helper = factories.user(name="服务点小陈")
    accepted(point_desk.name_staff(db.session, county, point, helper.phone))  # invited, then accepted
    enquiry = ask_from("330106", utcnow() - timedelta(hours=3))
    db.session.commit()
    url = f"/enquiries/{enquiry.id}"
    auth.login(county.phone)
    shown = _seen(client.get(url).get_data(as_text=True))
    assert shown == ""  # nothing answered when the union opened the page
    point_desk.answer(db.session, helper, point, enquiry, DESK)  # meanwhile, at the desk
    db.session.commit()

    stale = post_form(client, url, {"answer": UNION, "seen": shown})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "请看过最新的回复后再提交" in page and DESK in page and UNION in page  # the new answer shown, text kept
    db.session.expire_all()
    assert (enquiry.answer, enquiry.answered_by_id) == (DESK, helper.id) and _changes() == []
    forged = post_form(client, url, {"answer": UNION})  # a post without the field saw no answer
    assert forged.status_code == 409

    rewrite = post_form(client, url, {"answer": UNION, "seen": _seen(page)})  # sent again, having seen it
    assert rewrite.status_code == 302
    db.session.expire_all()
    assert (enquiry.answer, enquiry.answered_by_id) == (UNION, county.id)
    [changed] = _changes()
    assert audit.detail_of(changed)["before"] == DESK and changed.actor_id == county.id


def test_an_answer_sent_back_with_browser_line_breaks_is_the_one_seen(app, db, client, auth):
    county = staff(code="330106")
    enquiry = ask_from("330106", utcnow() - timedelta(hours=3))
    enquiries.answer(db.session, county, enquiry, "第一行\n第二行")
    db.session.commit()
    auth.login(county.phone)
    url = f"/enquiries/{enquiry.id}"
    seen = _seen(client.get(url).get_data(as_text=True)).replace("\n", "\r\n")
    assert post_form(client, url, {"answer": "第一行\r\n第二行（补充）", "seen": seen}).status_code == 302
    db.session.expire_all()
    assert enquiry.answer == "第一行\r\n第二行（补充）"
    assert audit.detail_of(_changes()[0])["before"] == "第一行\n第二行"


def test_of_two_union_rewrites_at_once_one_stands_and_the_other_is_told(app):
    with app.app_context():
        writers = [staff(code="330106"), staff(code="330100")]
        enquiry = ask_from("330106", utcnow() - timedelta(hours=3))
        enquiries.answer(db.session, writers[0], enquiry, "可以申请。")
        db.session.commit()
        ids, enquiry_id = [w.id for w in writers], enquiry.id

    def rewrite(i: int):
        writer = db.session.get(User, ids[i])
        found = enquiries.get(db.session, writer, enquiry_id)
        seen = found.answer
        return lambda: enquiries.answer(db.session, writer, found, f"第{i}位的更正。", seen=seen)

    outcomes = at_once(app, len(ids), rewrite)
    assert sorted(outcomes) == ["answer_changed", "ok"], outcomes
    with app.app_context():
        answered = db.session.get(Enquiry, enquiry_id)
        winner = ids.index(answered.answered_by_id)
        assert answered.answer == f"第{winner}位的更正。"
        [changed] = _changes()
        assert audit.detail_of(changed)["before"] == "可以申请。" and changed.actor_id == ids[winner]


def test_a_union_and_a_desk_answering_at_once_leave_one_answer(app):
    with app.app_context():
        county = staff(code="330106")
        point = points.create(db.session, county, org("330106"), XIHU)
        helper = factories.user(name="服务点小陈")
        accepted(point_desk.name_staff(db.session, county, point, helper.phone))  # invited, then accepted
        enquiry = ask_from("330106", utcnow() - timedelta(minutes=5))
        db.session.commit()
        ids, point_id, enquiry_id = (county.id, helper.id), point.id, enquiry.id

    def answer(i: int):
        person = db.session.get(User, ids[i])
        if i == 0:
            found = enquiries.get(db.session, person, enquiry_id)
            return lambda: enquiries.answer(db.session, person, found, UNION, seen="")
        desk = point_desk.desk_point(db.session, person, point_id)
        at_desk = point_desk.enquiry_at(db.session, person, desk, enquiry_id)
        return lambda: point_desk.answer(db.session, person, desk, at_desk, DESK)

    outcomes = at_once(app, 2, answer)
    assert sorted(outcomes) in (["already_answered", "ok"], ["answer_changed", "ok"]), outcomes
    with app.app_context():
        answered = db.session.get(Enquiry, enquiry_id)
        assert (answered.answer, answered.answered_by_id) in ((UNION, ids[0]), (DESK, ids[1]))
        assert _changes() == []
