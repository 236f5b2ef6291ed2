"""SMS verification codes and password reset (issue 18, item 4), performed as attacks: guessing a code past its
tries, guessing across many numbers from one address, flooding one number or sending from one address, a code
for one number (or one purpose) used on another, an expired code; and the honest reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts import codes, continuity, service, sessions
from app.accounts.codes import Limits
from app.accounts.models import User, VerificationCode
from app.db import utcnow
from app.errors import Invalid, TooManyRequests
from tests import factories
from tests.app.sms_codes import CODE, last_code, texts
from tests.conftest import post_form

A, B = "203.0.113.7", "198.51.100.9"


def _reset_code(db, app, phone: str, source: str = A, now=None) -> str:
    continuity.send_reset_code(db.session, phone, source=source, now=now)
    db.session.commit()
    return last_code(app, phone)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_guessing_a_code_past_its_tries_voids_it(app, db):
    user = factories.user()
    code = _reset_code(db, app, user.phone)
    for _ in range(5):
        with pytest.raises(Invalid):
            continuity.reset_password(db.session, phone=user.phone, code=_wrong(code), password="new-password-1",
                                      source=A)
    with pytest.raises(Invalid) as spent:  # the right code, too late: the sixth try never matches
        continuity.reset_password(db.session, phone=user.phone, code=code, password="new-password-1", source=A)
    assert spent.value.message == "验证码已失效，请重新获取。"
    assert service.authenticate(db.session, phone=user.phone, password=factories.PASSWORD) == user


def test_wrong_codes_across_many_numbers_make_the_address_wait(app, db):
    """A guesser spreading tries over many numbers' codes (each under its own limit) is stopped per address."""
    limits = Limits(per_source=20)
    victims = [factories.user() for _ in range(5)]
    for victim in victims:
        continuity.send_reset_code(db.session, victim.phone, source=B)  # someone else asked for these codes
    for i in range(20):
        with pytest.raises(Invalid):
            codes.check(db.session, phone=victims[i % 5].phone, purpose="reset", code="000000", source=A,
                        limits=limits)
    with pytest.raises(TooManyRequests):
        codes.check(db.session, phone=victims[0].phone, purpose="reset", code="000000", source=A, limits=limits)
    db.session.commit()
    right = last_code(app, victims[1].phone)
    codes.check(db.session, phone=victims[1].phone, purpose="reset", code=right, source=B, limits=limits)


def test_reset_codes_are_limited_per_number_from_any_address(app, db):
    user = factories.user()
    for i in range(5):
        continuity.send_reset_code(db.session, user.phone, source=f"10.0.0.{i}")
    with pytest.raises(TooManyRequests) as flooded:
        continuity.send_reset_code(db.session, user.phone, source="10.0.0.99")
    assert flooded.value.code == "code_throttled"
    later = utcnow() + timedelta(minutes=61)
    continuity.send_reset_code(db.session, user.phone, source="10.0.0.99", now=later)


def test_reset_codes_are_limited_per_address_across_numbers(app, db):
    users = [factories.user() for _ in range(21)]
    for user in users[:20]:
        continuity.send_reset_code(db.session, user.phone, source=A)
    with pytest.raises(TooManyRequests):
        continuity.send_reset_code(db.session, users[20].phone, source=A)
    continuity.send_reset_code(db.session, users[20].phone, source=B)  # another address is not held up


def test_reset_throttling_over_the_web_answers_429(app, client):
    with app.app_context():
        phone = factories.user().phone
        from app.extensions import db as _db

        _db.session.commit()
    for _ in range(5):
        assert post_form(client, "/auth/reset", {"phone": phone, "action": "send"}).status_code == 200
    flooded = post_form(client, "/auth/reset", {"phone": phone, "action": "send"})
    assert flooded.status_code == 429 and "验证码发送过于频繁" in flooded.get_data(as_text=True)
    assert len(texts(app, phone)) == 5


def test_a_code_for_one_number_opens_nothing_on_another(app, db):
    mine, theirs = factories.user(), factories.user()
    code = _reset_code(db, app, mine.phone)
    continuity.send_reset_code(db.session, theirs.phone, source=B)  # the victim has a live code too
    with pytest.raises(Invalid):
        continuity.reset_password(db.session, phone=theirs.phone, code=code, password="taken-over-1", source=A)
    assert service.authenticate(db.session, phone=theirs.phone, password=factories.PASSWORD) == theirs


def test_a_register_code_does_not_reset_a_password(app, db):
    continuity.send_register_code(db.session, "13912340000", source=A)
    db.session.commit()
    code = last_code(app, "13912340000")
    user = continuity.register_with_code(db.session, phone="13912340000", code=code, password="first-pass-1")
    with pytest.raises(Invalid):  # same number, same digits, another purpose
        continuity.reset_password(db.session, phone=user.phone, code=code, password="second-pass-2")
    with pytest.raises(Invalid):  # and a code is used once
        continuity.register_with_code(db.session, phone="13912340000", code=code, password="first-pass-1")


def test_an_expired_code_is_refused(app, db):
    user = factories.user()
    sent = utcnow() - timedelta(minutes=11)
    code = _reset_code(db, app, user.phone, now=sent)
    with pytest.raises(Invalid):
        continuity.reset_password(db.session, phone=user.phone, code=code, password="new-password-1")


def test_codes_are_kept_only_as_hashes_bound_to_number_and_purpose(app, db):
    user = factories.user()
    code = _reset_code(db, app, user.phone)
    stored = db.session.scalars(select(VerificationCode.code_hash)).all()
    assert stored and all(code not in h and len(h) == 64 for h in stored)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.text(max_size=12))
def test_nothing_but_the_code_itself_is_accepted(app, db, typed):
    user = db.session.scalar(select(User).where(User.phone == "13955550000")) or service.register(
        db.session, phone="13955550000", password=factories.PASSWORD)
    continuity.send_reset_code(db.session, user.phone, limits=Limits(per_number=10**6, per_source=10**6))
    db.session.commit()
    code = last_code(app, user.phone)
    if typed.strip() == code:
        return
    with pytest.raises(Invalid):
        codes.check(db.session, phone=user.phone, purpose="reset", code=typed, limits=Limits(per_source=10**6))


def test_honest_reset_by_code_ends_every_other_session(app, db):
    user = factories.user()
    sessions.start(db.session, user)
    sessions.start(db.session, user)
    code = _reset_code(db, app, user.phone)
    assert "重设密码验证码" in texts(app, user.phone)[-1]
    continuity.reset_password(db.session, phone=user.phone, code=code, password="brand-new-pass", source=A)
    assert sessions.count(db.session, user) == 0
    assert service.authenticate(db.session, phone=user.phone, password="brand-new-pass") == user


def test_reset_for_an_unknown_number_answers_the_same_and_sends_no_code(app, client):
    with app.app_context():
        from app.extensions import db as _db

        known = factories.user().phone
        _db.session.commit()
    answers = [post_form(client, "/auth/reset", {"phone": p, "action": "send"}) for p in (known, "13700001111")]
    assert [a.status_code for a in answers] == [200, 200]
    assert all("验证码已发送" in a.get_data(as_text=True) for a in answers)
    assert CODE.search(texts(app, known)[-1]) and not CODE.search(texts(app, "13700001111")[-1])


def test_reset_over_the_web_then_log_in(app, client):
    with app.app_context():
        from app.extensions import db as _db

        phone = factories.user().phone
        _db.session.commit()
    post_form(client, "/auth/reset", {"phone": phone, "action": "send"})
    done = post_form(client, "/auth/reset", {"phone": phone, "code": last_code(app, phone),
                                             "password": "brand-new-pass", "action": "reset"})
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"
    assert post_form(client, "/auth/login", {"phone": phone, "password": "brand-new-pass"}).status_code == 302
