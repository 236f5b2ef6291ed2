"""Staff accounts of a station or point (item 2). What they can do: see the enquiries of the point's area (the
county's own and its townships', oldest unanswered first, with how long each has waited) and answer them. What they
cannot: another area's enquiries, editing the point, the union's own inbox or anything else union staff do; and a
removed staff account loses the desk at once. Only the point's union (or those above) names them, and only those
who accept the invitation become staff."""

from datetime import timedelta

import pytest

from app.accounts.policy import can
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from programme.network import points
from programme.voice import enquiries, point_desk
from tests import factories
from tests.app.appointing import accept_invitation, accepted
from tests.conftest import post_form
from tests.programme.helpers import org, staff
from tests.programme.voice.test_enquiry_escalation import ask_from, township

XIHU = points.PointInput(name="西湖区职工教育服务点", address="文三路100号", hours="9:00-17:00", phone="0571-1")


def _setup(db):
    point = points.create(db.session, staff(code="330106"), org("330106"), XIHU)
    helper = factories.user(name="服务点小陈")
    accepted(point_desk.name_staff(db.session, staff(code="330106"), point, helper.phone))
    return point, helper


def test_point_staff_see_their_areas_queue_with_ages_and_answer(db):
    point, helper = _setup(db)
    street = township()
    old = ask_from(street.code, utcnow() - timedelta(hours=30))  # a township's, under 西湖区
    new = ask_from("330106", utcnow() - timedelta(minutes=5))
    elsewhere = ask_from("330108", utcnow())  # 滨江区: not this point's area
    assert point_desk.queue(db.session, helper, point) == [old, new]  # the longest waiting first
    point_desk.answer(db.session, helper, point, old, "带上身份证到服务点报名即可。")
    assert (old.answer, old.answered_by_id, old.answer_seen) == ("带上身份证到服务点报名即可。", helper.id, False)
    assert point_desk.queue(db.session, helper, point) == [new]
    assert point_desk.queue(db.session, helper, point, answered=True) == [old]
    with pytest.raises(NotFound):  # never another area's question, not even that it exists
        point_desk.enquiry_at(db.session, helper, point, elsewhere.id)
    with pytest.raises(Forbidden):
        point_desk.answer(db.session, helper, point, elsewhere, "乱答")
    assert elsewhere.answer is None


def test_point_staff_do_nothing_else_a_union_does(db):
    point, helper = _setup(db)
    enquiry = ask_from("330106", utcnow())
    assert not can(helper, "enquiry.answer", enquiry)  # the union's own inbox and answer form: no
    assert enquiries.inbox(db.session, helper) == ([], 0)
    for action in ("service_point.manage", "report.view", "org.import", "quota.top_up"):
        assert not can(helper, action, org("330106"))
    with pytest.raises(Forbidden):
        points.update(db.session, helper, point, XIHU)
    with pytest.raises(Forbidden):
        point_desk.name_staff(db.session, helper, point, factories.user().phone)
    other = points.create(db.session, staff(code="330108"), org("330108"), XIHU)
    with pytest.raises(Forbidden):  # another point's desk
        point_desk.queue(db.session, helper, other)


def test_only_the_points_union_names_staff_and_removal_ends_it_at_once(db):
    point, helper = _setup(db)
    for outsider in (staff(code="330108"), staff("enterprise_staff", "ENT-T1"), factories.user()):
        with pytest.raises(Forbidden):
            point_desk.name_staff(db.session, outsider, point, factories.user().phone)
        with pytest.raises(Forbidden):
            point_desk.remove_staff(db.session, outsider, point, point.staff[0].id)
    with pytest.raises(Invalid):
        point_desk.name_staff(db.session, staff(code="330106"), point, "1300000")  # not a number
    nobody = point_desk.name_staff(db.session, staff(code="330106"), point, "13000000000")  # nobody registered it
    assert nobody.status == "pending"  # answered as for anyone
    with pytest.raises(Conflict):  # already there: said to them when they accept
        accepted(point_desk.name_staff(db.session, staff(code="330106"), point, helper.phone))
    enquiry = ask_from("330106", utcnow())
    point_desk.remove_staff(db.session, staff(code="330100"), point, point.staff[0].id)  # the city above may
    with pytest.raises(Forbidden):
        point_desk.queue(db.session, helper, point)
    with pytest.raises(Forbidden):
        point_desk.answer(db.session, helper, point, enquiry, "还能回答吗")
    assert enquiry.answer is None


def test_a_closed_point_has_no_desk_and_a_teaching_point_no_staff(db):
    point, helper = _setup(db)
    points.set_active(db.session, staff(code="330106"), point, False)
    with pytest.raises(Forbidden):
        point_desk.queue(db.session, helper, point)
    assert point_desk.points_of(db.session, helper) == []
    teaching = points.create(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"), points.PointInput(
        name="教学点", address="x", hours="x", phone="1", kind="teaching"))
    with pytest.raises(Forbidden):  # the enterprise manages it, but a union's staff role is not its to give
        point_desk.name_staff(db.session, staff(code="330000"), teaching, helper.phone)
    with pytest.raises(Conflict):
        point_desk.name_staff(db.session, staff("enterprise_staff", "ENT-T1"), teaching, helper.phone)


def test_pages_name_staff_and_the_staff_answer_at_the_desk(app, db, client, auth):
    point = points.create(db.session, staff(code="330106"), org("330106"), XIHU)
    helper = factories.user(name="服务点小陈")
    enquiry = ask_from("330106", utcnow() - timedelta(hours=3))
    db.session.commit()
    auth.as_role("union_staff", "330106")
    url = f"/programme/service-points/{point.id}/staff"
    assert post_form(client, url, {"phone": helper.phone}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "服务点小陈" not in page and helper.phone[-4:] in page  # invited: the masked number, until accepted
    auth.logout()
    auth.login(helper.phone)
    accept_invitation(client)
    auth.logout()
    auth.as_role("union_staff", "330106")
    assert "服务点小陈" in client.get(url).get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330108")
    assert client.get(url).status_code == 403
    assert post_form(client, url, {"phone": helper.phone}, source="/programme/service-points/manage").status_code == 403
    auth.logout()
    auth.login(helper.phone)
    desk = client.get("/programme/point-desk", follow_redirects=True).get_data(as_text=True)
    assert "学费" in desk and "已等待3小时" in desk
    assert "服务站（点）咨询台" in client.get("/me").get_data(as_text=True)
    answer_url = f"/programme/point-desk/{point.id}/enquiries/{enquiry.id}"
    assert post_form(client, answer_url, {"answer": ""}).status_code == 400
    assert post_form(client, answer_url, {"answer": "周六上午也开门。"}).status_code == 302
    db.session.refresh(enquiry)
    assert enquiry.answer == "周六上午也开门。"
    inbox = client.get("/enquiries/inbox?status=all").get_data(as_text=True)  # the union's inbox: empty for them
    assert "共0条" in inbox and "学费" not in inbox
    assert client.get(f"/programme/service-points/{point.id}/edit").status_code == 403


def test_a_desk_does_not_rewrite_an_answer_and_a_union_s_rewrite_is_kept_in_the_log(app, db, client, auth):
    """A volunteer replaced the county union's answer ("可申请3000元补贴" became "补贴已经取消了") under their own
    name, shown to the worker as a new reply, and nothing kept the original. Now a desk answers only what nobody has
    answered (the page offers no form, a forged post is refused), and a union rewriting its own answer leaves the
    earlier text in the audit log."""
    from app import audit

    county = staff(code="330106")
    point = points.create(db.session, county, org("330106"), XIHU)
    helper = factories.user(name="服务点小陈")
    accepted(point_desk.name_staff(db.session, county, point, helper.phone))
    enquiry = ask_from("330106", utcnow() - timedelta(hours=3))
    official = "符合条件的职工可申请3000元学费补贴，请于6月30日前提交。"
    enquiries.answer(db.session, county, enquiry, official)
    db.session.commit()
    with pytest.raises(Conflict):
        point_desk.answer(db.session, helper, point, enquiry, "补贴已经取消了，不用申请。")
    db.session.rollback()
    auth.login(helper.phone)
    url = f"/programme/point-desk/{point.id}/enquiries/{enquiry.id}"
    assert "发送回复" not in client.get(url).get_data(as_text=True)
    forged = post_form(client, url, {"answer": "补贴已经取消了，不用申请。"}, source="/me/password")
    assert forged.status_code == 409
    db.session.refresh(enquiry)
    assert (enquiry.answer, enquiry.answered_by_id) == (official, county.id)
    enquiries.answer(db.session, county, enquiry, official + "（逾期不予受理）")
    [changed] = audit.entries(db.session, audit.Filter(action="enquiry.answer_change"))
    assert audit.detail_of(changed)["before"] == official and changed.actor_id == county.id
