"""Who may answer an invitation, and what the inviting side learns from the answer (app.accounts.invitations),
performed as the attacks they stop:

1. An invitation waited on its number whatever happened to the account holding it. A teacher invited as an
   institution's admin lost the phone; the union moved the account to a new SIM by ID card; whoever held the lost
   handset registered its number, found "任职邀请" on their account page and accepted, becoming the institution's
   admin. The same after a change on 我的 → 更换手机号. Now the account holding the number when it was sent is the
   only one that may answer, and its invitations lapse when it moves off the number (continuity._move).
2. An admin trawling numbers learned who declined: the decline went to the organisation's audit log with the
   decliner as actor ("隐私小王 (138****0001) · 拒绝任命邀请") and the declined invitation dropped out of
   待对方确认的邀请 while one to an unregistered number stayed. Now a declined or lapsed invitation stays listed as an
   unanswered one until it expires, and the decline is on the site's log only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app import audit
from app.accounts import invitations, organisations, profiles, service
from app.accounts.masking import mask_phone
from app.accounts.models import Membership, PhoneChangeRequest, Role, StaffInvitation, User
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.extensions import db as _db
from tests import factories
from tests.app.appointing import accept_invitation
from tests.app.identities import identity_settled
from tests.app.sms_codes import last_code, register
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form
from tests.migrating import fresh_app

NEW_SIM = "13766667777"
UNREGISTERED = "13999990123"
PAGE = f"/orgs/{factories.INSTITUTION}"


def _login(client, phone: str) -> None:
    assert post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302


def _taken_by(phone: str) -> Membership | None:
    holder = _db.session.scalar(select(User).where(User.phone == phone))
    assert holder is not None
    return _db.session.scalar(select(Membership).where(Membership.user_id == holder.id))


def _invited_teacher(app):
    """A teacher with an ID card on file, invited by a site admin to be the institution's admin."""
    with app.app_context():
        teacher = factories.user(name="陈老师")
        profiles.update_profile(_db.session, teacher, teacher, {**GOOD, "union_code": "330109"})
        identity_settled(_db.session, teacher)
        admin = factories.user("admin")
        clerk = factories.user(role="union_staff", org_code="330100")
        _db.session.commit()
        found = (teacher.id, teacher.phone, admin.phone, clerk.phone)
    site = app.test_client()
    _login(site, found[2])
    sent = post_form(site, PAGE, {"action": "staff", "staff-phone": found[1], "staff-org_admin": "y"})
    assert sent.status_code == 302
    return found, site


def _registers_and_accepts(app, phone: str) -> None:
    """Whoever now holds the handset registers its number and accepts whatever the account page offers."""
    finder = app.test_client()
    assert register(finder, phone=phone).status_code == 302
    assert "任职邀请" not in finder.get("/me").get_data(as_text=True)
    with app.app_context():
        waiting = _db.session.scalar(select(StaffInvitation.id).where(StaffInvitation.phone == phone))
    answered = post_form(finder, f"/orgs/invitations/{waiting}", {"decision": "accept"}, source="/me")
    assert answered.status_code == 404  # not even by its id: as if there were none
    with app.app_context():
        taken = _taken_by(phone)
        assert taken is None, f"the lost handset's finder became {taken.role.value} of {taken.organisation.name}"


def test_the_finder_of_a_lost_phone_cannot_accept_the_invitation_meant_for_its_owner(app):
    (teacher_id, old_phone, _admin, clerk_phone), site = _invited_teacher(app)
    lost = app.test_client()  # the union moves the teacher's account to a new SIM by ID card
    post_form(lost, "/auth/phone-lost", {"old_phone": old_phone, "new_phone": NEW_SIM, "action": "send"})
    post_form(lost, "/auth/phone-lost", {"old_phone": old_phone, "new_phone": NEW_SIM,
                                         "code": last_code(app, NEW_SIM), "action": "file"})
    with app.app_context():
        request_id = _db.session.scalar(select(PhoneChangeRequest.id))
    desk = app.test_client()
    _login(desk, clerk_phone)
    post_form(desk, f"/me/phone-requests/{request_id}", {"action": "approve", "id_number": VALID_ID},
              source="/me/phone-requests")
    with app.app_context():
        assert _db.session.get(User, teacher_id).phone == NEW_SIM
        [lapsed] = _db.session.scalars(select(StaffInvitation)).all()
        assert (lapsed.status, lapsed.lapse_reason) == ("lapsed", "number_moved")

    _registers_and_accepts(app, old_phone)
    # the inviting side sees it as it sees one nobody answered: waiting until it expires (an early end had told it
    # the number was registered)
    assert mask_phone(old_phone) in site.get(PAGE).get_data(as_text=True)


def test_a_number_changed_on_the_account_page_leaves_its_invitations_behind(app):
    (_teacher_id, old_phone, _admin, _clerk), _site = _invited_teacher(app)
    me = app.test_client()
    _login(me, old_phone)
    post_form(me, "/me/phone", {"new_phone": NEW_SIM, "action": "send"})
    moved = post_form(me, "/me/phone", {"new_phone": NEW_SIM, "old_code": last_code(app, old_phone),
                                        "new_code": last_code(app, NEW_SIM), "action": "change"})
    assert moved.status_code == 302
    assert "任职邀请" not in me.get("/me").get_data(as_text=True)  # sent to the number, which is no longer its
    _registers_and_accepts(app, old_phone)  # the number recycled by the carrier to someone else


def test_only_the_account_holding_the_number_when_sent_may_answer(db):
    """Even a path that frees a number without letting its invitations lapse does not pass them on."""
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    owner = factories.user(name="陈老师")
    institution = organisations.get_by_code(db.session, factories.INSTITUTION)
    invitation = invitations.invite_staff(db.session, head, org=institution, phone=owner.phone,
                                          role=Role.institution_staff)
    number, owner.phone = owner.phone, NEW_SIM  # moved without continuity._move
    db.session.flush()
    finder = service.register(db.session, phone=number, password="long-enough-1")
    assert invitations.pending_for(db.session, finder) == []
    with pytest.raises(NotFound):
        invitations.accept(db.session, finder, invitation.id)
    with pytest.raises(NotFound):
        invitations.decline(db.session, finder, invitation.id)
    sent_free = invitations.invite_staff(db.session, head, org=institution, phone=UNREGISTERED,
                                         role=Role.institution_staff)  # nobody held it: whoever registers it may
    newcomer = service.register(db.session, phone=UNREGISTERED, password="long-enough-1")
    assert invitations.pending_for(db.session, newcomer) == [sent_free]
    assert isinstance(invitations.accept(db.session, newcomer, sent_free.id), Membership)


def test_lapsing_a_number_closes_only_what_waits_on_it(db):
    """The helper the number's every move calls (continuity._move; an account merged away may too)."""
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    owner, other = factories.user(), factories.user()
    institution = organisations.get_by_code(db.session, factories.INSTITUTION)
    mine = invitations.invite_staff(db.session, head, org=institution, phone=owner.phone, role=Role.institution_staff)
    theirs = invitations.invite_staff(db.session, head, org=institution, phone=other.phone,
                                      role=Role.institution_staff)
    assert invitations.lapse_for_number(db.session, owner.phone, reason="merged") == 1
    assert (mine.status, mine.lapse_reason, theirs.status) == ("lapsed", "merged", "pending")
    with pytest.raises(Conflict):  # the owner, still on the number, has nothing to answer either
        invitations.accept(db.session, owner, mine.id)
    assert invitations.pending_at(db.session, institution) == [mine, theirs]  # to the inviter: still waiting
    assert invitations.pending_at(db.session, institution, now=utcnow() + invitations.LIFETIME) == []
    assert invitations.lapse_for_number(db.session, owner.phone) == 0


def test_declining_tells_the_inviter_nothing(db, client, auth):
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    target = factories.user(name="隐私小王")
    db.session.commit()
    auth.login(head.phone)
    for number in (target.phone, UNREGISTERED):
        assert post_form(client, PAGE, {"action": "staff", "staff-phone": number}).status_code == 302
    before = client.get(PAGE).get_data(as_text=True)
    auth.logout()

    auth.login(target.phone)  # the holder follows the page's advice: 不认识的邀请请拒绝
    accept_invitation(client, "decline")
    assert "任职邀请" not in client.get("/me").get_data(as_text=True)
    auth.logout()

    auth.login(head.phone)
    after = client.get(PAGE).get_data(as_text=True)
    assert "139****0123" in after and mask_phone(target.phone) in after  # both still waiting, as before
    assert "隐私小王" not in after, "the inviting organisation's page names the person who declined"
    assert after.count("撤回") == before.count("撤回")
    assert "隐私小王" not in client.get(f"{PAGE}/audit").get_data(as_text=True)
    declined = db.session.scalar(select(StaffInvitation).where(StaffInvitation.phone == target.phone))
    resent = post_form(client, PAGE, {"action": "staff", "staff-phone": target.phone})
    assert resent.status_code == 302  # sending again is the same one invitation, as for an unanswered number
    assert db.session.scalar(select(StaffInvitation.id).where(StaffInvitation.phone == target.phone)
                             .order_by(StaffInvitation.id.desc())) == declined.id
    withdrawn = post_form(client, PAGE, {"action": "withdraw", "invitation": declined.id}, follow_redirects=True)
    assert withdrawn.status_code == 200 and "已撤回邀请" in withdrawn.get_data(as_text=True)  # as any waiting one
    [logged] = audit.entries(db.session, audit.Filter(action="invitation.decline"))
    assert (logged.actor_id, logged.org_id) == (target.id, None)  # on the site's log, for the site's admins


def test_a_decline_logged_on_the_organisation_before_is_not_shown_there(db, client, auth):
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    target = factories.user(name="隐私小王")
    institution = organisations.get_by_code(db.session, factories.INSTITUTION)
    audit.record(db.session, target, "invitation.decline", "invitation", 1, org_id=institution.id,
                 role="institution_staff", duty="staff")  # as written before declines left the organisation's log
    db.session.commit()
    auth.login(head.phone)
    for url in (PAGE, f"{PAGE}/audit"):
        assert "隐私小王" not in client.get(url).get_data(as_text=True), url


def test_the_migration_notes_holders_and_lapses_what_a_union_moved(tmp_path):
    """0038 on the invitations already open: one to a number the union moved off since lapses; one to a number
    registered before it was sent is that account's; one sent before the number was registered is its registrant's."""
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision="0037_staff_invitations")
        factories.seed_orgs()
        teacher, moved, newcomer = factories.user(), factories.user(), factories.user()
        institution = organisations.get_by_code(_db.session, factories.INSTITUTION)
        _db.session.flush()
        now = utcnow().replace(microsecond=0)
        day_before = now - timedelta(days=1)
        rows = {"teacher": (teacher.phone, now + timedelta(minutes=1)), "moved": ("13811112222", day_before),
                "newcomer": (newcomer.phone, day_before)}
        ids = {}
        for key, (phone, sent) in rows.items():
            ids[key] = _db.session.execute(text(
                "INSERT INTO staff_invitations (organisation_id, duty, role, org_admin, label, phone, created_at,"
                " expires_at, status) VALUES (:o, 'staff', 'institution_staff', false, '', :p, :c, :e, 'pending')"
                " RETURNING id"), {"o": institution.id, "p": phone, "c": sent, "e": sent + timedelta(days=14)}).scalar()
        _db.session.execute(text(
            "INSERT INTO phone_change_requests (user_id, old_phone, new_phone, status, created_at, decided_at, note)"
            " VALUES (:u, '13811112222', :n, 'approved', :t, :t, '')"), {"u": moved.id, "n": moved.phone, "t": now})
        _db.session.commit()

        upgrade()
        found = {key: _db.session.get(StaffInvitation, ids[key]) for key in ids}
        assert (found["moved"].status, found["moved"].lapse_reason, found["moved"].decided_at) == (
            "lapsed", "number_moved", now)
        assert (found["teacher"].status, found["teacher"].holder_id) == ("pending", teacher.id)
        assert (found["newcomer"].status, found["newcomer"].holder_id) == ("pending", None)
        _db.session.commit()  # PostgreSQL: an open read would hold the downgrade's table rebuild for good
        downgrade(revision="0037_staff_invitations")
        upgrade()
        _db.session.remove()
        _db.engine.dispose()
