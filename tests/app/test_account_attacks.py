"""Attacks on accounts a review found working, each performed as it was found: numbers found registered through the
phone-change forms, a department clerk making a union and staffing it, one number registered twice in other digits,
a wrong password wiping the limit on wrong codes, and a union's staff moving an admin's account to their own SIM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import codes, continuity, organisations, profiles, service
from app.accounts.models import OrgKind, Role, User
from app.accounts.policy import SYSTEM, Grant, can
from app.db import utcnow
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db as _db
from tests import factories
from tests.app.identities import identity_settled
from tests.app.sms_codes import last_code, texts
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form


def test_the_phone_change_forms_never_say_a_number_is_registered(app, db, client, auth):
    """A worker (or anyone, on the lost-phone form) asking to move to a number: the same answer whether another
    account holds it or not; its holder is told by SMS, and nothing is counted as free."""
    owner = factories.user()
    me = factories.user()
    _db.session.commit()
    auth.login(me.phone)
    for number in (owner.phone, "13766660001"):
        page = post_form(client, "/me/phone", {"action": "send", "new_phone": number})
        assert page.status_code == 200 and "已被其他账号使用" not in page.get_data(as_text=True), number
    auth.logout()
    answers = {number: post_form(client, "/auth/phone-lost", {"action": "send", "old_phone": me.phone,
                                                              "new_phone": number}) for number in (owner.phone,
                                                                                                   "13766660002")}
    assert {a.status_code for a in answers.values()} == {200}
    assert not any("已被其他账号使用" in a.get_data(as_text=True) for a in answers.values())
    assert any("有人想把另一个求学账号改用此号码" in text for text in texts(app, owner.phone))
    assert not any("验证码" in text for text in texts(app, owner.phone))


def test_a_department_clerk_neither_makes_unions_nor_staffs_them(app, db, client, auth):
    """Departments' staff hold the union_staff role in their department, which counted as a union: a plain HR
    clerk created a county union under it, appointed a second account they held, and so verified workers."""
    dept = organisations.create_organisation(_db.session, SYSTEM, parent_code="330100", code="HR-HZ",
                                             name="杭州市人社局", kind=OrgKind.hr_dept)
    clerk = factories.user()
    service.grant_role(_db.session, clerk, Role.union_staff, dept)  # what the org pages give a department's staff
    _db.session.commit()
    assert not can(clerk, "org.manage", dept) and not can(clerk, "user.grant_role", Grant(dept, Role.union_staff))
    auth.login(clerk.phone)
    page = post_form(client, "/orgs/HR-HZ", {"action": "child", "child-kind": "union", "child-code": "FAKE-1",
                                             "child-name": "西湖区总工会"}, source="/me")  # no form on it now
    assert page.status_code == 403
    with pytest.raises(NotFound):
        organisations.get_by_code(_db.session, "FAKE-1")


def test_one_number_is_one_account_whatever_digits_it_is_typed_in(app, db, client):
    """Full-width digits of a registered number passed as another number: a real registration code, a second
    account, and limits of their own. They are the same number now; other scripts' digits are no number."""
    owner = factories.user()
    _db.session.commit()
    wide = owner.phone[0] + owner.phone[1:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert service.normalise_phone(wide) == owner.phone
    assert post_form(client, "/auth/register", {"phone": wide, "action": "send"}).status_code == 200
    assert "注册验证码" not in texts(app, owner.phone)[-1]  # told it is registered, with no code
    arabic = owner.phone[0] + owner.phone[1:].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert post_form(client, "/auth/register", {"phone": arabic, "action": "send"}).status_code == 400
    assert list(_db.session.scalars(select(User.phone).where(User.phone.like("1%")))).count(owner.phone) == 1


def test_a_wrong_password_does_not_wipe_the_limit_on_wrong_codes(db):
    """20 wrong codes an hour from one address, then one wrong password for the number 16 minutes later (the login
    window's 15 minutes past) deleted the code rows too, and the guessing went on."""
    victim, source, start = factories.user().phone, "203.0.113.7", utcnow()
    for i in range(20):
        with pytest.raises(Invalid):
            codes.check(db.session, phone=victim, purpose="reset", code="000000", source=source,
                        now=start + timedelta(seconds=i))
    with pytest.raises(Invalid):
        service.authenticate(db.session, phone=victim, password="x", source="198.51.100.1",
                             now=start + timedelta(minutes=16))
    with pytest.raises(TooManyRequests):
        codes.check(db.session, phone=victim, purpose="reset", code="000000", source=source,
                    now=start + timedelta(minutes=16, seconds=5))


def test_a_union_s_staff_cannot_move_a_staff_or_admin_account_to_their_own_sim(app, db):
    """County staff filed the lost-phone request for an admin of their area to a SIM they held, approved it with
    the admin's ID number, and reset the password: the admin's account was theirs. A staff or admin account's
    number is moved by a site admin only; a worker's still by the staff of their area."""
    admin = factories.user("admin")
    profiles.update_profile(db.session, admin, admin, {**GOOD, "union_code": "330106"})
    identity_settled(db.session, admin)  # filled in long ago: no hold on the move by ID card
    staff = factories.user("union_staff", "330106")
    continuity.send_staff_change_code(db.session, "13766660001")
    db.session.commit()
    request = continuity.file_staff_change(db.session, old_phone=admin.phone, new_phone="13766660001",
                                           code=last_code(app, "13766660001"))
    assert continuity.pending_requests(db.session, staff) == []
    with pytest.raises(Forbidden):
        continuity.decide_staff_change(db.session, staff, request, approve=True, id_number=VALID_ID)
    assert db.session.get(User, admin.id).phone != "13766660001"
    continuity.decide_staff_change(db.session, factories.user("admin"), request, approve=True, id_number=VALID_ID)
    assert db.session.get(User, admin.id).phone == "13766660001"
