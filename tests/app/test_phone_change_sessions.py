"""A number changed with both codes (我的 → 更换手机号) ended no other session, where the staff-approved change ends
them all: whoever signed in with the old number and password (a phone handed on with its old SIM, a shared password)
stayed signed in to the account now tied to a number they never held, with a remember-me cookie good for 30 days.
Now every session ends and the device that made the change gets a new one."""

from __future__ import annotations

from app import audit
from app.extensions import db as _db
from tests import factories
from tests.app.sms_codes import last_code
from tests.conftest import post_form

NEW = "13766665555"


def _login(client, phone: str) -> None:
    assert post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302


def test_moving_to_a_new_number_ends_the_other_sessions_and_keeps_this_one(app):
    with app.app_context():
        owner = factories.user()
        _db.session.commit()
        phone = owner.phone
    other = app.test_client()  # the old handset, or whoever knew the password
    _login(other, phone)
    me = app.test_client()
    _login(me, phone)
    post_form(me, "/me/phone", {"new_phone": NEW, "action": "send"})
    moved = post_form(me, "/me/phone", {"new_phone": NEW, "old_code": last_code(app, phone),
                                        "new_code": last_code(app, NEW), "action": "change"})
    assert moved.status_code == 302
    assert other.get("/me").status_code == 302, "the other session is still signed in after the number moved"
    assert me.get("/me").status_code == 200  # the device that made the change stays signed in
    with app.app_context():
        [ended] = audit.entries(_db.session, audit.Filter(action="session.end_all"))
        assert audit.detail_of(ended)["reason"] == "phone_changed" and audit.detail_of(ended)["sessions"] == 2
