"""Login throttling that cannot be turned against the owner, and no listing of who has an account (issue 17,
item 9), performed as attacks: a guesser locking the owner out, guessing from many addresses, telling known
numbers from unknown ones by the time a login takes, and probing the registration form."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import IPv6Address

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug import security

from app.accounts import service
from app.accounts.models import LoginFailure
from app.accounts.views import client_source
from app.db import utcnow
from app.errors import Invalid, TooManyRequests
from tests import factories
from tests.app.sms_codes import CODE, texts
from tests.conftest import post_form

OWNER_HOME, ATTACKER = "203.0.113.7", "198.51.100.9"


def _at(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, phone: str, password: str):
    return post_form(client, "/auth/login", {"phone": phone, "password": password})


def _phone(app) -> str:
    from app.extensions import db

    with app.app_context():
        phone = factories.user("worker").phone
        db.session.commit()
    return phone


def test_a_guesser_at_one_address_cannot_lock_the_owner_out_of_another(app):
    phone = _phone(app)
    attacker = _at(app.test_client(), ATTACKER)
    for _ in range(12):
        _login(attacker, phone, "guess-guess-guess")
    assert _login(attacker, phone, factories.PASSWORD).status_code == 429  # the guesser's address waits
    owner = _at(app.test_client(), OWNER_HOME)
    assert _login(owner, phone, factories.PASSWORD).status_code == 302  # the owner does not


def _fail(db, phone: str, source: str, now) -> None:
    with pytest.raises(Invalid):
        service.authenticate(db.session, phone=phone, password="guess-guess", source=source, now=now)


def test_guessing_from_many_addresses_is_slowed_to_one_try_per_address(db):
    user = factories.user("worker")
    start = utcnow()
    for i in range(50):  # fifty addresses, one guess each: under the per-address limit every time
        _fail(db, user.phone, f"10.0.{i}.1", start)
    fresh = "10.9.9.9"
    _fail(db, user.phone, fresh, start)  # one try for a new address...
    with pytest.raises(TooManyRequests):  # ... and then it waits
        service.authenticate(db.session, phone=user.phone, password=factories.PASSWORD, source=fresh, now=start)
    # the owner typing the right password from a new address still gets in at the first try
    assert service.authenticate(db.session, phone=user.phone, password=factories.PASSWORD, source="10.8.8.8",
                                now=start) == user
    later = start + timedelta(minutes=15, seconds=1)
    assert service.authenticate(db.session, phone=user.phone, password=factories.PASSWORD, source=fresh,
                                now=later) == user


def test_the_owners_login_does_not_reset_the_guessers_count(db):
    user = factories.user("worker")
    now = utcnow()
    for _ in range(5):
        _fail(db, user.phone, ATTACKER, now)
    service.authenticate(db.session, phone=user.phone, password=factories.PASSWORD, source=OWNER_HOME, now=now)
    with pytest.raises(TooManyRequests):
        service.authenticate(db.session, phone=user.phone, password="guess-again", source=ATTACKER, now=now)
    assert db.session.query(LoginFailure).filter_by(source=ATTACKER).count() == 5


def test_an_unknown_number_costs_the_same_password_check_as_a_known_one(db, monkeypatch):
    """Timing: every login runs one check against a hash of the configured method, existing account or not
    (a spy around werkzeug's own function; nothing of ours is replaced)."""
    seen: list[str] = []
    real = security.check_password_hash

    def spy(stored: str, password: str) -> bool:
        seen.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(service, "check_password_hash", spy)
    user = factories.user("worker")
    disabled = factories.user("worker")
    disabled.is_active_account = False
    for phone in (user.phone, "13700000000", disabled.phone):
        with pytest.raises(Invalid) as failed:
            service.authenticate(db.session, phone=phone, password="guess-guess", source="192.0.2.1")
        assert failed.value.message == "手机号或密码不正确。"
    assert seen == [user.password_hash.split("$", 1)[0]] * 3


def test_registration_answers_the_same_for_taken_and_free_numbers(app):
    """With codes, the page no longer tells who has an account: the same answer for both, and only the SMS to
    the number itself (which the prober does not hold) says it is registered and offers login or reset."""
    from app.extensions import db

    with app.app_context():
        taken = factories.user("worker").phone
        db.session.commit()
    prober = _at(app.test_client(), ATTACKER)
    answers = []
    for phone in (taken, "13912345678"):
        answer = post_form(prober, "/auth/register", {"phone": phone, "action": "send"})
        body = answer.get_data(as_text=True)
        answers.append((answer.status_code, "验证码已发送" in body, "已注册" in body))
    assert answers[0] == answers[1] == (200, True, False)
    [told] = texts(app, taken)
    assert "已注册" in told and "忘记密码" in told and not CODE.search(told)
    assert CODE.search(texts(app, "13912345678")[0])
    # every code the prober might try for the taken number fails exactly as a wrong code does
    guess = post_form(prober, "/auth/register", {"phone": taken, "code": "000000", "password": "long-enough-1",
                                                 "action": "register"})
    assert guess.status_code == 400 and "验证码" in guess.get_data(as_text=True)


@pytest.mark.parametrize(("remote", "forwarded", "hops", "expected"), [
    ("203.0.113.7", "", 0, "203.0.113.7"),
    ("203.0.113.7", "1.2.3.4", 0, "203.0.113.7"),             # no proxy configured: the header is ignored
    ("10.0.0.2", "1.2.3.4, 198.51.100.9", 1, "198.51.100.9"),  # forged first entry, our proxy's entry last
    ("2001:db8:1:2:3:4:5:6", "", 0, "2001:db8:1:2::/64"),     # one subscriber's IPv6 block counts as one source
    ("::ffff:203.0.113.7", "", 0, "203.0.113.7"),
])
def test_the_source_address(app, remote, forwarded, hops, expected):
    app.config["PROXY_HOPS"] = hops
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_client() as client:  # through the WSGI stack, where app/proxy.py reads X-Forwarded-For
        client.get("/.well-known/security.txt", environ_base={"REMOTE_ADDR": remote}, headers=headers)
        assert client_source() == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=st.integers(min_value=0, max_value=2**64 - 1))
def test_every_address_of_one_ipv6_block_is_one_source(app, suffix):
    address = str(IPv6Address(0x20010DB8000100020000000000000000 | suffix))
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": address}):
        assert client_source() == "2001:db8:1:2::/64"


def test_failures_past_the_window_are_dropped(db):
    user = factories.user("worker")
    start = utcnow()
    for i in range(4):
        _fail(db, user.phone, f"10.1.{i}.1", start)
    _fail(db, user.phone, ATTACKER, start + timedelta(minutes=16))
    assert [f.source for f in db.session.query(LoginFailure).filter_by(phone=user.phone)] == [ATTACKER]
