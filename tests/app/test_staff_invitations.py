"""Appointments wait for the appointee's consent (app.accounts.invitations), performed as the attacks they stop:

1. The organisation page appointed any registered number at once, and the role took things from that person: a
   department (a "reviewing kind", so the reviewer_appointment rule never looked at it) made the county's subsidy
   reviewer its staff, and so one of the "makers" of every record it pushed (claim_checks._makers), refused
   ("own_claim") on each claim in the county resting on one; an institution made the learners who would rate its
   courses its staff, so each was refused a rating (own_provider) and the lost-phone recovery. Now nothing is
   granted until the holder of the number accepts, and every check is run again then (a department may not take a
   union's reviewer either, whoever agrees: only a site admin may).
2. The answer told any union clerk which numbers are registered ("没有找到用这个手机号注册的用户" or the person
   appointed and named). Now every number gets the same answer and the page lists each invitation by the masked
   number typed, and an actor may send only so many an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import audit
from app.accounts import invitations, organisations, service
from app.accounts.models import Membership, Role, StaffInvitation
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db as _db
from app.notifications import kinds
from app.notifications.models import Notification
from app.timefmt import beijing_today
from learning.qa_models import CourseRating
from programme.money import subsidies
from programme.network import points
from programme.voice import point_desk
from tests import factories
from tests.app.appointing import accept_invitation, accepted, appointed
from tests.conftest import post_form
from tests.learning.conftest import finished, short_course  # noqa: F401 - fixture
from tests.programme.helpers import hr_department, open_year
from tests.programme.money.test_subsidies import enrolled
from tests.programme.sharing.conftest import bearer, token_for

URL = "/api/exchange/v1/certificates"
NOT_FOUND_TEXT = "没有找到用这个手机号注册的用户"


def _org(code):
    return organisations.get_by_code(_db.session, code)


def _membership(user, org):
    return _db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.organisation_id == org.id))


def test_a_department_admin_cannot_conflict_the_county_reviewer_out_of_its_claims(db, client, auth):
    hr, _clerk = hr_department()
    me, record = enrolled(open_year())
    reviewer = factories.user(role="union_staff", org_code="330106", name="区工会审核员")  # the county's one reviewer
    db.session.commit()
    pushed = client.post(URL, json={"id_number": me.profile.id_number, "name": me.profile.real_name,
                                    "occupation": "机电一体化", "skill_level": 3, "certificate_no": "S-0001",
                                    "issued_on": beijing_today().isoformat()}, headers=bearer(token_for(hr)))
    assert pushed.status_code == 201
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-0001", "人社厅", attained_on=beijing_today())
    db.session.commit()

    auth.as_role("union_staff", "HR-ZJ", org_admin=True)  # the department's own admin, on its organisation page
    post_form(client, "/orgs/HR-ZJ", {"action": "staff", "staff-phone": reviewer.phone})
    db.session.expire_all()
    assert _membership(reviewer, hr) is None  # nothing until the reviewer says yes
    auth.logout()
    auth.login(reviewer.phone)  # and saying yes does not make it either: a department may not take a union's reviewer
    page = client.get("/me").get_data(as_text=True)
    assert "任职邀请" in page and "浙江省人力资源和社会保障厅" in page
    token_page = "/me"
    invitation = db.session.scalar(select(StaffInvitation).where(StaffInvitation.phone == reviewer.phone))
    refused = post_form(client, f"/orgs/invitations/{invitation.id}", {"decision": "accept"}, source=token_page)
    assert refused.status_code == 409 and "只能由站点管理员任命" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert _membership(reviewer, hr) is None
    subsidies.decide(db.session, reviewer, claim, True)  # still the county's reviewer of its claims
    assert claim.status.value == "approved"


def test_an_institution_cannot_silence_its_learners_by_appointing_them(db, client, auth, short_course):  # noqa: F811
    learner = factories.user(name="学员甲")
    finished(learner, short_course)
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1", org_admin=True)
    post_form(client, "/orgs/INST-T1", {"action": "staff", "staff-phone": learner.phone})
    auth.logout()
    auth.login(learner.phone)
    page = f"/learning/lessons/{short_course.lessons[0].id}"
    response = post_form(client, f"/learning/r/{short_course.id}/rating", {"stars": "1", "back": page}, source=page)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _db.session.query(CourseRating).count() == 1
    accept_invitation(client, "decline")  # theirs to turn down, and it is gone
    assert "任职邀请" not in client.get("/me").get_data(as_text=True)
    assert _membership(learner, _org("INST-T1")) is None


def test_the_appointment_box_does_not_tell_who_is_registered(db, client, auth):
    registered = factories.user(name="赵某某")
    db.session.commit()
    auth.as_role("union_staff", "330106")  # any county clerk
    answers = {}
    for number in (registered.phone, "13999990000"):
        page = post_form(client, "/orgs/330106", {"action": "staff", "staff-phone": number}, follow_redirects=True)
        text = page.get_data(as_text=True)
        answers[number] = (page.status_code, NOT_FOUND_TEXT in text, "赵某某" in text, "邀请已发送" in text)
    assert answers[registered.phone] == answers["13999990000"] == (200, False, False, True), answers
    text = client.get("/orgs/330106").get_data(as_text=True)
    assert "139****0000" in text and f"{registered.phone[:3]}****{registered.phone[-4:]}" in text  # both waiting
    sent = audit.entries(db.session, audit.Filter(action="invitation.send"))
    assert sorted(audit.detail_of(e)["phone"] for e in sent) == sorted(["139****0000", registered.phone[:3] + "****"
                                                                         + registered.phone[-4:]])
    assert _membership(registered, _org("330106")) is None


def test_the_holder_accepts_and_only_the_holder(db):
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    teacher, stranger = factories.user(name="陈老师"), factories.user()
    invitation = invitations.invite_staff(db.session, head, org=_org(factories.INSTITUTION), phone=teacher.phone,
                                          role=Role.institution_staff)
    assert [(n.kind, n.url) for n in db.session.scalars(select(Notification).where(
        Notification.user_id == teacher.id))] == [(kinds.INVITATION, "/me")]
    assert invitations.pending_for(db.session, teacher) == [invitation]
    assert invitations.pending_for(db.session, stranger) == []
    with pytest.raises(NotFound):  # another number's invitation: as if there were none
        invitations.accept(db.session, stranger, invitation.id)
    again = invitations.invite_staff(db.session, head, org=_org(factories.INSTITUTION), phone=teacher.phone,
                                     role=Role.institution_staff)
    assert again.id == invitation.id  # sent twice: one invitation
    membership = invitations.accept(db.session, teacher, invitation.id)
    assert isinstance(membership, Membership) and membership.role == Role.institution_staff
    granted = audit.entries(db.session, audit.Filter(action="role.grant"))[0]
    assert (granted.actor_id, granted.target_id) == (head.id, str(teacher.id))  # appointed by the inviter
    with pytest.raises(Conflict):  # answered once
        invitations.decline(db.session, teacher, invitation.id)
    later = invitations.invite_staff(db.session, head, org=_org(factories.INSTITUTION), phone="13712345678",
                                     role=Role.institution_staff)  # nobody holds it yet: no message, it waits
    newcomer = service.register(db.session, phone="13712345678", password="long-enough-1")
    assert invitations.pending_for(db.session, newcomer) == [later]


def test_every_check_runs_again_when_the_holder_accepts(db):
    institution = _org(factories.INSTITUTION)
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    worker, late, away = factories.user(), factories.user(), factories.user()
    lost = invitations.invite_staff(db.session, head, org=institution, phone=worker.phone, role=Role.institution_staff)
    became_reviewer = invitations.invite_staff(db.session, head, org=institution, phone=late.phone,
                                               role=Role.institution_staff)
    expired = invitations.invite_staff(db.session, head, org=institution, phone=away.phone,
                                       role=Role.institution_staff)
    service.grant_role(db.session, late, Role.union_staff, _org("330100"))  # a union's reviewer since
    with pytest.raises(Conflict) as err:
        invitations.accept(db.session, late, became_reviewer.id)
    assert err.value.code == "reviewer_appointment"
    with pytest.raises(Conflict) as err:
        invitations.accept(db.session, away, expired.id, now=utcnow() + invitations.LIFETIME + timedelta(minutes=1))
    assert err.value.code == "invitation_closed"
    service.revoke_staff(db.session, factories.user("admin"), head.memberships[0])  # the head is no longer its admin
    db.session.expire(head)
    with pytest.raises(Conflict) as err:
        invitations.accept(db.session, worker, lost.id)
    assert err.value.code == "inviter_not_allowed"
    assert _membership(worker, institution) is None and _membership(late, institution) is None


def test_the_inviting_side_withdraws_and_nobody_else(db, client, auth):
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    teacher = factories.user()
    invitation = invitations.invite_staff(db.session, head, org=_org(factories.INSTITUTION), phone=teacher.phone,
                                          role=Role.institution_staff)
    with pytest.raises(NotFound):  # another organisation's page
        invitations.withdraw(db.session, head, invitation.id, org=_org(factories.OTHER_INSTITUTION))
    with pytest.raises(Forbidden):
        invitations.withdraw(db.session, factories.user("institution_staff", factories.INSTITUTION), invitation.id,
                             org=_org(factories.INSTITUTION))
    db.session.commit()
    auth.login(head.phone)
    done = post_form(client, f"/orgs/{factories.INSTITUTION}", {"action": "withdraw", "invitation": invitation.id})
    assert done.status_code == 302
    db.session.expire_all()
    with pytest.raises(Conflict):
        invitations.accept(db.session, teacher, invitation.id)
    assert [e.actor_id for e in audit.entries(db.session, audit.Filter(action="invitation.withdraw"))] == [head.id]


def test_invitations_are_limited_per_actor_and_numbers_checked(db):
    county = factories.user("union_staff", "330106")
    with pytest.raises(Invalid):
        invitations.invite_staff(db.session, county, org=_org("330106"), phone="12345", role=Role.union_staff)
    with pytest.raises(Forbidden):  # nobody appoints themselves
        invitations.invite_staff(db.session, county, org=_org("330106"), phone=county.phone, role=Role.union_staff)
    for n in range(invitations.SEND_LIMIT):
        invitations.invite_staff(db.session, county, org=_org("330106"), phone=f"1370000{n:04d}",
                                 role=Role.union_staff)
    with pytest.raises(TooManyRequests) as err:
        invitations.invite_staff(db.session, county, org=_org("330106"), phone="13711110000", role=Role.union_staff)
    assert err.value.code == "invitation_throttled"
    later = utcnow() + invitations.SEND_WINDOW + timedelta(minutes=1)
    invitations.invite_staff(db.session, county, org=_org("330106"), phone="13711110000", role=Role.union_staff,
                             now=later)


def test_a_department_or_another_county_takes_no_unions_reviewer_but_the_line_may(db):
    reviewer = factories.user("union_staff", "330106")
    hr, _clerk = hr_department()
    dept_admin = factories.user("union_staff", "HR-ZJ", org_admin=True)
    with pytest.raises(Conflict) as err:
        appointed(dept_admin, hr, reviewer.phone, Role.union_staff)
    assert err.value.code == "reviewer_appointment"
    with pytest.raises(Conflict):  # a sibling county is no line of the reviewer's
        appointed(factories.user("union_staff", "330100"), _org("330105"), reviewer.phone, Role.union_staff)
    appointed(factories.user("union_staff", "330000"), _org("330100"), reviewer.phone, Role.union_staff)  # above
    appointed(factories.user("admin"), hr, reviewer.phone, Role.union_staff)  # a site admin still may


def test_a_point_desk_invitation_says_nothing_and_waits_for_consent(app, db, client, auth):
    county = factories.user("union_staff", "330106")
    point = points.create(db.session, county, _org("330106"), points.PointInput(
        name="西湖区职工教育服务点", address="文三路100号", hours="9:00-17:00", phone="0571-1"))
    helper = factories.user(name="服务点小陈")
    db.session.commit()
    auth.login(county.phone)
    url = f"/programme/service-points/{point.id}/staff"
    answers = {}
    for number in (helper.phone, "13999990001"):
        page = post_form(client, url, {"phone": number}, follow_redirects=True)
        text = page.get_data(as_text=True)
        answers[number] = (page.status_code, NOT_FOUND_TEXT in text, "服务点小陈" in text, "邀请已发送" in text)
    assert answers[helper.phone] == answers["13999990001"] == (200, False, False, True), answers
    assert point_desk.points_of(db.session, helper) == []
    auth.logout()
    auth.login(helper.phone)
    assert "服务站（点）咨询台工作人员" in client.get("/me").get_data(as_text=True)
    accept_invitation(client)
    db.session.expire_all()
    assert [p.id for p in point_desk.points_of(db.session, helper)] == [point.id]
    with pytest.raises(Conflict):  # named again: already there, said when they accept
        accepted(point_desk.name_staff(db.session, county, point, helper.phone))
