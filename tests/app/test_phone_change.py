"""A new phone number keeps the account (issue 18, item 4): by a code to each number, or, when the old one is
gone, by union staff checking the ID card. Attacks: moving to a number someone else owns, a code of the wrong
number, staff of another area or the worker approving, an ID card that does not match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import audit
from app.accounts import continuity, profiles, service, sessions
from app.accounts.models import PhoneChangeRequest, User
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db as _db
from tests import factories
from tests.app.identities import identity_settled
from tests.app.sms_codes import last_code, texts
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form

NEW = "13766668888"


def _worker_with_profile(name: str = "张三明") -> User:
    user = factories.user(name=name)
    profiles.update_profile(_db.session, user, user, {**GOOD, "union_code": "330106"})
    identity_settled(_db.session, user)  # filled in long ago: no hold on the move by ID card
    return user


def test_both_codes_move_the_account_and_keep_it(app, db):
    user = _worker_with_profile()
    continuity.send_change_codes(db.session, user, NEW)
    db.session.commit()
    old_code, new_code = last_code(app, user.phone), last_code(app, NEW)
    continuity.change_phone(db.session, user, new_phone=NEW, old_code=old_code, new_code=new_code)
    db.session.commit()
    assert db.session.get(User, user.id).phone == NEW
    assert service.authenticate(db.session, phone=NEW, password=factories.PASSWORD).id == user.id
    [entry] = audit.entries(db.session, audit.Filter(action="user.phone_change"))
    assert audit.detail_of(entry)["method"] == "codes" and NEW not in entry.detail  # masked in the log


def test_moving_to_a_number_someone_else_owns_is_refused(app, db):
    """Without saying to whoever asks that the number is registered (a reviewer counted 60 numbers in a row): the
    answer is the same, the number's owner is told by SMS, and no code the asker could have opens anything."""
    user, other = _worker_with_profile(), factories.user()
    continuity.send_change_codes(db.session, user, other.phone)
    db.session.commit()
    with pytest.raises(Invalid) as err:
        continuity.change_phone(db.session, user, new_phone=other.phone, old_code=last_code(app, user.phone),
                                new_code="000000")
    assert "new_code" in err.value.fields and db.session.get(User, other.id).phone == other.phone
    continuity.send_staff_change_code(db.session, other.phone)  # the lost-phone path answers the same
    db.session.commit()
    # codes obtained for a free number do not carry over once someone else takes it
    continuity.send_change_codes(db.session, user, NEW)
    db.session.commit()
    old_code, new_code = last_code(app, user.phone), last_code(app, NEW)
    other.phone = NEW
    db.session.flush()
    with pytest.raises(Conflict):
        continuity.change_phone(db.session, user, new_phone=NEW, old_code=old_code, new_code=new_code)


def test_the_new_numbers_code_cannot_stand_in_for_the_old_ones(app, db):
    user = _worker_with_profile()
    continuity.send_change_codes(db.session, user, NEW)
    db.session.commit()
    new_code = last_code(app, NEW)
    with pytest.raises(Invalid) as wrong:  # someone with only the new phone (a thief's SIM) cannot move it
        continuity.change_phone(db.session, user, new_phone=NEW, old_code=new_code, new_code=new_code)
    assert "old_code" in wrong.value.fields
    assert db.session.get(User, user.id).phone != NEW


def _file(app, db, user: User) -> PhoneChangeRequest:
    continuity.send_staff_change_code(db.session, NEW)
    db.session.commit()
    return continuity.file_staff_change(db.session, old_phone=user.phone, new_phone=NEW, code=last_code(app, NEW))


def test_staff_of_the_workers_area_approve_after_checking_the_id_card(app, db):
    user = _worker_with_profile()
    sessions.start(db.session, user)  # whoever holds the old phone is signed in
    request = _file(app, db, user)
    staff = factories.user("union_staff", "330100")
    assert continuity.pending_requests(db.session, staff) == [request]
    with pytest.raises(Invalid):  # the card shown is someone else's
        continuity.decide_staff_change(db.session, staff, request, approve=True, id_number="110105194912310021")
    continuity.decide_staff_change(db.session, staff, request, approve=True, id_number=VALID_ID.lower())
    assert db.session.get(User, user.id).phone == NEW and sessions.count(db.session, user) == 0
    [entry] = audit.entries(db.session, audit.Filter(action="user.phone_change"))
    assert entry.actor_id == staff.id and audit.detail_of(entry)["method"] == "staff"
    with pytest.raises(Conflict):
        continuity.decide_staff_change(db.session, staff, request, approve=True, id_number=VALID_ID)


@pytest.mark.parametrize("who", ["union_staff_elsewhere", "worker", "institution_staff", "self"])
def test_only_staff_of_the_area_or_an_admin_may_approve(app, db, who):
    user = _worker_with_profile()
    request = _file(app, db, user)
    actor = {"union_staff_elsewhere": lambda: factories.user("union_staff", "330200"),
             "worker": lambda: factories.user(), "institution_staff": lambda: factories.user("institution_staff"),
             "self": lambda: user}[who]()
    with pytest.raises(Forbidden):
        continuity.decide_staff_change(db.session, actor, request, approve=True, id_number=VALID_ID)
    assert db.session.get(User, user.id).phone != NEW
    admin = factories.user("admin")
    continuity.decide_staff_change(db.session, admin, request, approve=True, id_number=VALID_ID)
    assert db.session.get(User, user.id).phone == NEW


def test_a_request_needs_the_new_number_proven_and_an_id_card_on_file(app, db):
    user = _worker_with_profile()
    no_card = factories.user()
    continuity.send_staff_change_code(db.session, NEW)
    db.session.commit()
    with pytest.raises(Invalid):
        continuity.file_staff_change(db.session, old_phone=user.phone, new_phone=NEW, code="000000")
    # nothing is filed without an ID card to check; the answer is the one every request gets, the reason goes by
    # SMS to the old number (the page must not tell numbers with an account from the others)
    assert continuity.file_staff_change(db.session, old_phone=no_card.phone, new_phone=NEW,
                                        code=last_code(app, NEW)) is None
    db.session.commit()
    assert "身份证" in texts(app, no_card.phone)[-1]
    assert db.session.scalar(select(PhoneChangeRequest.id)) is None


def test_the_staff_pages(app, client, auth):
    with app.app_context():
        user = _worker_with_profile()
        phone, user_id = user.phone, user.id
        _db.session.commit()
    post_form(client, "/auth/phone-lost", {"old_phone": phone, "new_phone": NEW, "action": "send"})
    filed = post_form(client, "/auth/phone-lost", {"old_phone": phone, "new_phone": NEW,
                                                   "code": last_code(app, NEW), "action": "file"})
    assert filed.status_code == 200 and "申请已提交" in filed.get_data(as_text=True)
    auth.as_role("union_staff", "330100")
    listing = client.get("/me/phone-requests").get_data(as_text=True)
    assert "张*明" in listing and phone not in listing
    with app.app_context():
        request_id = _db.session.scalar(select(PhoneChangeRequest.id))
    done = post_form(client, f"/me/phone-requests/{request_id}", {"action": "approve", "id_number": VALID_ID},
                     source="/me/phone-requests")
    assert done.status_code == 302
    with app.app_context():
        assert _db.session.scalar(select(User.phone).where(User.id == user_id)) == NEW


def test_the_old_number_is_told_when_a_change_is_asked_and_when_it_is_made(app, db):
    """A staff member who approves a stranger's request moves the account to the stranger's SIM: its owner, still
    holding the old phone, is told by SMS when the request is filed (in time to object) and when the number
    changes, either way (codes or staff), with the new number masked."""
    user = _worker_with_profile()
    old = user.phone
    request = _file(app, db, user)
    db.session.commit()
    asked = texts(app, old)[-1]  # after the profile's "name and ID number set"
    assert "有人申请把您的求学账号改用手机号 137****8888" in asked and NEW not in asked
    continuity.decide_staff_change(db.session, factories.user("union_staff", "330100"), request, approve=True,
                                   id_number=VALID_ID)
    db.session.commit()
    assert "您的求学账号已改用手机号 137****8888 登录" in texts(app, old)[-1]
    other = factories.user()
    first = other.phone
    continuity.send_change_codes(db.session, other, "13911112222")
    db.session.commit()
    continuity.change_phone(db.session, other, new_phone="13911112222", old_code=last_code(app, first),
                            new_code=last_code(app, "13911112222"))
    db.session.commit()
    assert "您的求学账号已改用手机号 139****2222 登录" in texts(app, first)[-1]
