"""Objections to public notices (公示异议): filed by a signed-in person within the objection period (refused
after it), throttled like enquiries, resolved once by the publishing union with a reply that the objector
sees as a new reply; the objector never appears on a public page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import plans
from programme.voice import notices, objections
from programme.voice.models import Objection, ObjectionStatus
from tests import factories
from tests.conftest import post_form
from tests.programme.helpers import open_year, org, staff, worker

PUBLISHED = date(2026, 7, 1)  # objection period 2026-07-01 .. 2026-07-05


def notice(code: str = "330106", kind: str = "institutions", published: date = PUBLISHED):
    plan = plans.get_plan(db.session, 2026) if plans.all_plans(db.session) else open_year()
    return notices.publish(db.session, staff(code=code), plan, org(code), kind, published, 5, today=published)


def test_file_within_the_period_resolve_once_and_the_objector_sees_the_reply(db):
    item = notice()
    me = worker("李异议")
    objection = objections.file(db.session, me, item, text="  该院校未按规定开班，请核实。 ", today=date(2026, 7, 5))
    assert (objection.status, objection.line_id) == (ObjectionStatus.open, None)
    assert objection.text == "该院校未按规定开班，请核实。"
    county = staff(code="330106")
    assert objections.for_staff(db.session, county) == [objection]
    assert objections.for_staff(db.session, staff(code="330100")) == [objection]  # the union above it too
    assert objections.for_staff(db.session, staff(code="330105")) == []
    assert objections.unread_count(db.session, me) == 0
    objections.resolve(db.session, county, objection, "dismissed", "经核实已按期开班。")
    assert (objection.status, objection.resolved_by_id) == (ObjectionStatus.dismissed, county.id)
    assert objections.unread_count(db.session, me) == 1
    objections.mark_seen(db.session, me)
    assert objections.unread_count(db.session, me) == 0
    with pytest.raises(Conflict):
        objections.resolve(db.session, county, objection, "upheld", "改判")
    assert objections.for_staff(db.session, county, "resolved") == [objection]


@pytest.mark.parametrize(("today", "code"), [(date(2026, 7, 6), "objection_closed"),
                                             (date(2026, 6, 30), "objection_not_open")])
def test_outside_the_period_an_objection_is_refused_with_the_dates(db, today, code):
    item = notice()
    with pytest.raises(Conflict) as err:
        objections.file(db.session, worker(), item, text="名单有误，请核实。", today=today)
    assert err.value.code == code and "2026-07-0" in err.value.message
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


def test_bad_input_is_reported_per_field(db):
    item = notice()
    other = notice("330100")
    for text, line, fields in (("短", "", {"text"}), ("很" * 2001, "", {"text"}),
                               (" \n  ", "abc", {"text", "line"}),
                               ("名单有误，请核实。", str(other.lines[0].id) if other.lines else "999999", {"line"})):
        with pytest.raises(Invalid) as err:
            objections.file(db.session, worker(), item, text=text, line=line, today=PUBLISHED)
        assert set(err.value.fields) == fields
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


def test_filing_is_throttled_like_enquiries(db):
    item, me = notice(), worker()
    now = datetime(2026, 7, 2, 9, 0)  # the period is judged by `today`, the rate by `now`
    for n in range(3):
        objections.file(db.session, me, item, text=f"第{n}条异议内容", today=PUBLISHED, max_count=3,
                        window=timedelta(hours=1), now=now + timedelta(minutes=n))
    with pytest.raises(TooManyRequests) as err:
        objections.file(db.session, me, item, text="第四条异议内容", today=PUBLISHED, max_count=3,
                        window=timedelta(hours=1), now=now + timedelta(minutes=10))
    assert "分钟后再试" in err.value.message and err.value.retry_after > 0
    objections.file(db.session, me, item, text="一小时后可以再提", today=PUBLISHED, max_count=3,
                    window=timedelta(hours=1), now=now + timedelta(minutes=61))


def test_who_may_see_and_resolve(db):
    item = notice()
    me = worker()
    objection = objections.file(db.session, me, item, text="名单有误，请核实。", today=PUBLISHED)
    for refused in (worker("旁人"), staff(code="330105"), staff("institution_staff"), staff(code="330200")):
        with pytest.raises(Forbidden):
            objections.resolve(db.session, refused, objection, "upheld", "成立")
        with pytest.raises(NotFound):
            objections.get(db.session, refused, objection.id)
    assert objections.get(db.session, me, objection.id) is objection
    for bad in ({"decision": "maybe", "reply": "x"}, {"decision": "upheld", "reply": " "}):
        with pytest.raises(Invalid):
            objections.resolve(db.session, staff(code="330000"), objection, bad["decision"], bad["reply"])
    assert objection.status == ObjectionStatus.open


def _published_today(app) -> tuple[int, int]:
    """A notice of 西湖区 published today (period open) listing one admitted applicant, and one long closed."""
    from tests.security.routes_programme import extra_samples

    ids = extra_samples(app, {})
    with app.app_context():
        plan = plans.current_plan(db.session)
        long_ago = beijing_today() - timedelta(days=40)
        old = notices.publish(db.session, SYSTEM, plan, org("330106"), "admissions", long_ago, today=long_ago)
        db.session.commit()
        return ids["notice"], old.id


def test_through_the_pages_no_identity_on_public_pages(app, client, auth):
    open_id, closed_id = _published_today(app)
    anonymous = client.get(f"/programme/notices/{open_id}").get_data(as_text=True)
    assert "登录后可在异议期内提出异议" in anonymous
    with app.app_context():
        objector = factories.user(name="欧阳异议人")
        phone = objector.phone
        db.session.commit()
    auth.login(phone)
    page = f"/programme/notices/{open_id}"
    response = post_form(client, f"/programme/notices/{open_id}/objections", {"text": "短", "line": ""}, source=page)
    assert response.status_code == 400 and "至少5个字" in response.get_data(as_text=True)
    response = post_form(client, f"/programme/notices/{closed_id}/objections", {"text": "名单有误，请核实。"},
                         source=page)
    assert response.status_code == 409 and "异议期已于" in response.get_data(as_text=True)
    response = post_form(client, f"/programme/notices/{open_id}/objections",
                         {"text": "第一行的人并未录取，请核实。", "line": ""}, source=page)
    assert response.status_code == 302 and response.headers["Location"].endswith("/programme/objections")
    mine = client.get("/programme/objections").get_data(as_text=True)
    assert "第一行的人并未录取" in mine and "待处理" in mine
    auth.logout()
    for public in (page, "/programme/notices", "/programme/"):
        body = client.get(public).get_data(as_text=True)
        assert "欧阳异议人" not in body and phone not in body and "第一行的人并未录取" not in body
    auth.as_role("union_staff", "330000")
    queue = client.get("/programme/objections/review").get_data(as_text=True)
    assert "第一行的人并未录取" in queue and "欧***人" in queue and "欧阳异议人" not in queue
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id).where(Objection.text.startswith("第一行")))
    post_form(client, f"/programme/objections/{objection_id}/resolve", {"decision": "upheld", "reply": ""},
              source="/programme/objections/review")
    assert "请填写答复内容" in client.get("/programme/objections/review").get_data(as_text=True)
    post_form(client, f"/programme/objections/{objection_id}/resolve",
              {"decision": "upheld", "reply": "经核实异议成立，已更正名单。"}, source="/programme/objections/review")
    auth.logout()
    auth.login(phone)
    assert "我的公示异议（1条新回复）" in client.get("/me").get_data(as_text=True)
    mine = client.get("/programme/objections").get_data(as_text=True)
    assert "异议成立" in mine and "经核实异议成立，已更正名单。" in mine and "新回复" in mine
    assert "新回复" not in client.get("/me").get_data(as_text=True)


def test_a_notice_dated_back_or_far_ahead_is_refused_so_its_objection_period_is_whole(app, client, auth):
    """A union published today a notice dated 30 days back: its 5-day objection period was over before anyone saw
    it, and every objection was refused `objection_closed`. The date is now today or at most 30 days ahead
    (Beijing), through the service and the form; nothing is published when refused."""
    from programme.voice.models import Notice

    today = beijing_today()
    with app.app_context():
        plan = open_year()
        year = plan.year
        for published in (today - timedelta(days=30), today - timedelta(days=1), today + timedelta(days=31)):
            with pytest.raises(Invalid) as refused:
                notices.publish(db.session, staff(code="330106"), plan, org("330106"), "institutions", published, 5)
            assert "published_on" in refused.value.fields
        notices.publish(db.session, staff(code="330106"), plan, org("330106"), "institutions", today, 5)
        db.session.commit()
    auth.as_role("union_staff", "330106")
    back = post_form(client, f"/programme/notices/new?year={year}", {
        "org": "330106", "kind": "institutions", "published_on": (today - timedelta(days=30)).isoformat(),
        "objection_days": "5"})
    assert back.status_code == 400 and "公示日期不能早于今天" in back.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Notice).count() == 1
