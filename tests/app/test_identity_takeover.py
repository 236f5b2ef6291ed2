"""A session left open on a shared computer (a 服务站 terminal, an internet cafe) was a way to take the account for
good: the profile form changed the real name and ID number with no password, the lost-phone form filed a move to
the attacker's SIM, the union clerk checked the attacker's own ID card against the profile (it matched: the attacker
typed it) and approved, and a password reset by SMS to that SIM finished it; the owner's card no longer matched, so
they could not even ask for the account back. Now a name or ID number on file changes only with the current password
(counted with the 修改密码 form's guesses), every identity change is audited and told to the owner, and for 30 days
after one no staff member can move the account by ID card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from app import audit
from app.accounts import continuity, profiles
from app.accounts.models import PhoneChangeRequest, User, WorkerProfile
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db as _db
from app.notifications import kinds
from app.notifications.models import Notification
from tests import factories
from tests.app.identities import identity_settled
from tests.app.sms_codes import last_code, texts
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form

ATTACKER_SIM = "13766661234"
_BODY = "330106199001011230"  # calc_check_digit reads the first 17 characters
ATTACKER_ID = _BODY[:-1] + ric.calc_check_digit(_BODY)  # the attacker's own card


def _login(client, phone: str, password: str = factories.PASSWORD) -> None:
    response = post_form(client, "/auth/login", {"phone": phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def _victim(app, settled: bool = True) -> tuple[int, str]:
    with app.app_context():
        victim = factories.user(name="王小工")
        profiles.update_profile(_db.session, victim, victim, {**GOOD, "union_code": "330109"})
        if settled:
            identity_settled(_db.session, victim)
        _db.session.commit()
        return victim.id, victim.phone


def _profile(app, user_id: int) -> tuple[str | None, str | None, str | None]:
    with app.app_context():
        profile = _db.session.get(WorkerProfile, user_id)
        assert profile is not None
        return profile.real_name, profile.id_number, profile.employer


def _rewrite(client, password: str | None = None, **more: str):
    data = {**GOOD, "real_name": "李攻击", "id_number": ATTACKER_ID, "union_code": "330106", **more}
    if password is not None:
        data["current_password"] = password
    return post_form(client, "/me/profile", data)


def test_attack_a_left_open_session_cannot_turn_into_owning_the_account(app):
    victim_id, victim_phone = _victim(app)
    with app.app_context():
        clerk = factories.user(role="union_staff", org_code="330100")  # an honest clerk of the city
        _db.session.commit()
        clerk_phone = clerk.phone
    shared = app.test_client()  # the victim stayed signed in on a shared computer
    _login(shared, victim_phone)

    # 1. at that computer, the attacker rewrites the identity: the password is asked, and nothing typed is lost
    changed = _rewrite(shared, employer="新单位有限公司")
    page = changed.get_data(as_text=True)
    assert changed.status_code == 400 and "请输入当前密码" in page and "新单位有限公司" in page
    assert _profile(app, victim_id)[:2] == ("张三明", VALID_ID)

    # 2. the lost-phone request, from the attacker's own SIM, is still filed (the answer never says more)
    attacker = app.test_client()
    post_form(attacker, "/auth/phone-lost", {"old_phone": victim_phone, "new_phone": ATTACKER_SIM, "action": "send"})
    filed = post_form(attacker, "/auth/phone-lost", {"old_phone": victim_phone, "new_phone": ATTACKER_SIM,
                                                     "code": last_code(app, ATTACKER_SIM), "action": "file"})
    assert filed.status_code == 200 and "申请已提交" in filed.get_data(as_text=True)
    with app.app_context():
        request_id = _db.session.scalar(select(PhoneChangeRequest.id))

    # 3. the clerk checks the attacker's card against the profile: the victim's identity, so it does not match
    desk = app.test_client()
    _login(desk, clerk_phone)
    assert "张*明" in desk.get("/me/phone-requests").get_data(as_text=True)
    refused = post_form(desk, f"/me/phone-requests/{request_id}", {"action": "approve", "id_number": ATTACKER_ID},
                        source="/me/phone-requests", follow_redirects=True)
    assert "身份证号码与账号登记的不一致" in refused.get_data(as_text=True)

    # 4. the SMS reset to the attacker's SIM opens nothing
    post_form(attacker, "/auth/reset", {"phone": ATTACKER_SIM, "action": "send"})
    with app.app_context():
        assert _db.session.get(User, victim_id).phone == victim_phone


def test_a_wrong_password_is_counted_with_the_password_forms_guesses(app):
    """LOGIN_MAX_FAILURES wrong guesses on the profile form, and the next, right or wrong, on either form waits."""
    victim_id, victim_phone = _victim(app)
    shared = app.test_client()
    _login(shared, victim_phone)
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        guessed = _rewrite(shared, password=f"guess-{i:04d}")
        assert guessed.status_code == 400 and "当前密码不正确" in guessed.get_data(as_text=True)
    assert _rewrite(shared, password=factories.PASSWORD).status_code == 429
    assert post_form(shared, "/me/password", {"current": "guess-more", "new": "attacker-pass-1"}).status_code == 429
    assert _profile(app, victim_id)[:2] == ("张三明", VALID_ID)


def test_the_owner_changes_the_identity_with_the_password_audited_and_told(app):
    victim_id, victim_phone = _victim(app)
    me = app.test_client()
    _login(me, victim_phone)
    assert "当前密码" in me.get("/me/profile").get_data(as_text=True)
    assert _rewrite(me, password=factories.PASSWORD).status_code == 302
    assert _profile(app, victim_id)[:2] == ("李攻击", ATTACKER_ID)
    with app.app_context():
        entry = audit.entries(_db.session, audit.Filter(action=profiles.IDENTITY_CHANGE, target_id=str(victim_id)))[0]
        assert audit.detail_of(entry) == {"fields": ["real_name", "id_number"], "first": False}
        assert ATTACKER_ID not in entry.detail and "李攻击" not in entry.detail  # which fields, never the values
        told = _db.session.execute(select(Notification.kind, Notification.url).where(
            Notification.user_id == victim_id).order_by(Notification.id)).all()
        assert told == [(kinds.ACCOUNT, "/me/password")] * 2  # filled in first, then changed
    assert "姓名或身份证号码刚刚被更改" in texts(app, victim_phone)[-1]


def test_other_fields_and_a_first_fill_need_no_password(app):
    """Only an identity on file is asked for: the rest of the profile saves as before, and a name and ID number
    filled in the first time (nothing to take over yet) save too, audited, told and held as any change."""
    victim_id, victim_phone = _victim(app)
    me = app.test_client()
    _login(me, victim_phone)
    assert post_form(me, "/me/profile", {**GOOD, "id_number": "", "employer": "另一家公司"}).status_code == 302
    assert _profile(app, victim_id) == ("张三明", VALID_ID, "另一家公司")

    with app.app_context():
        newcomer = factories.user()
        _db.session.commit()
        newcomer_id, newcomer_phone = newcomer.id, newcomer.phone
    fresh = app.test_client()
    _login(fresh, newcomer_phone)
    assert "当前密码" not in fresh.get("/me/profile").get_data(as_text=True)
    assert _rewrite(fresh).status_code == 302
    with app.app_context():
        [entry] = audit.entries(_db.session, audit.Filter(action=profiles.IDENTITY_CHANGE, target_id=str(newcomer_id)))
        assert audit.detail_of(entry)["first"] is True
        assert continuity.identity_hold(_db.session, _db.session.get(User, newcomer_id)) is not None


def test_a_recent_identity_change_holds_the_move_by_id_card(app):
    """Changed with the password or filled in the first time, the identity the card is checked against is at most
    as trustworthy as whoever changed it: for 30 days the staff page says why it cannot approve, and approving is
    refused; afterwards the same request goes through."""
    victim_id, victim_phone = _victim(app, settled=False)  # filled in today
    with app.app_context():
        clerk = factories.user(role="union_staff", org_code="330100")
        _db.session.commit()
        clerk_phone = clerk.phone
    lost = app.test_client()
    post_form(lost, "/auth/phone-lost", {"old_phone": victim_phone, "new_phone": ATTACKER_SIM, "action": "send"})
    post_form(lost, "/auth/phone-lost", {"old_phone": victim_phone, "new_phone": ATTACKER_SIM,
                                         "code": last_code(app, ATTACKER_SIM), "action": "file"})
    desk = app.test_client()
    _login(desk, clerk_phone)
    listing = desk.get("/me/phone-requests").get_data(as_text=True)
    assert "30天内不能凭身份证更换手机号" in listing and "核实无误，更换" not in listing
    with app.app_context():
        request = _db.session.scalars(select(PhoneChangeRequest)).one()
        request_id = request.id
    refused = post_form(desk, f"/me/phone-requests/{request_id}", {"action": "approve", "id_number": VALID_ID},
                        source="/me/phone-requests", follow_redirects=True)
    assert "30天内不能凭身份证更换手机号" in refused.get_data(as_text=True)
    with app.app_context():
        request = _db.session.get(PhoneChangeRequest, request_id)
        assert request.user.phone == victim_phone and request.status == "pending"
        staff = _db.session.scalar(select(User).where(User.phone == clerk_phone))
        with pytest.raises(Conflict) as held:
            continuity.decide_staff_change(_db.session, staff, request, approve=True, id_number=VALID_ID)
        assert held.value.code == "identity_recent"
        later = utcnow() + profiles.IDENTITY_HOLD + timedelta(minutes=1)
        continuity.decide_staff_change(_db.session, staff, request, approve=True, id_number=VALID_ID, now=later)
        assert request.user.phone == ATTACKER_SIM
