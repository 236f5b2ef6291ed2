"""Attacks that kept a worker out of their own account from addresses other than theirs, performed (a reviewer's
report), and the device cookies that end them (app.accounts.device_cookies):

1. The "5 texts an hour a number" limit counted every code sent to the number, whoever asked: five requests an hour
   from one address and the worker's own 忘记密码 was refused for the hour, for as long as the attacker kept it up.
2. After 50 failed logins on a number from anywhere (ten addresses, five each), every address, the owner's too, got
   one try per 15 minutes: one typo and the worker waited with the right password in hand.

Strangers are still limited as before; a device cookie of another account, one not signed by us, or one signed
before a password reset or 退出所有设备 counts for nothing."""

from __future__ import annotations

import pytest
from flask import Response
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts import device_cookies
from app.accounts.models import User
from app.extensions import db
from tests import factories
from tests.app.sms_codes import CODE, last_code, texts
from tests.conftest import post_form

OWNER_HOME = "198.51.100.20"


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _worker(app) -> str:
    with app.app_context():
        phone = factories.user().phone
        db.session.commit()
    return phone


def _login(client, phone: str, password: str = factories.PASSWORD):
    return post_form(client, "/auth/login", {"phone": phone, "password": password})


def _owners_phone(app, phone: str):
    """The owner's phone, where they signed in once before and then logged out: a known device."""
    owner = _from(app.test_client(), OWNER_HOME)
    assert _login(owner, phone).status_code == 302
    assert owner.get_cookie(device_cookies.COOKIE, path="/auth") is not None
    post_form(owner, "/auth/logout", {}, source="/me")
    return owner


def _ask_reset(client, phone: str) -> int:
    return post_form(client, "/auth/reset", {"phone": phone, "action": "send"}).status_code


def _lock_out(phone: str, app) -> None:
    """Fifty failures from ten addresses: past the number's ceiling, every unknown address gets one try."""
    for n in range(10):
        attacker = _from(app.test_client(), f"203.0.113.{n + 1}")
        for _m in range(5):
            assert _login(attacker, phone, "wrong-guess").status_code == 400


def test_five_requests_from_elsewhere_do_not_stop_the_worker_resetting_their_password(app):
    phone = _worker(app)
    attacker = _from(app.test_client(), "203.0.113.7")
    for _n in range(5):
        assert _ask_reset(attacker, phone) == 200
    owner = _from(app.test_client(), OWNER_HOME)  # one address counts for at most 3 of the number's 5
    assert _ask_reset(owner, phone) == 200, "the owner cannot get a reset code for an hour"


def test_texts_used_up_from_many_addresses_do_not_stop_the_owners_phone(app):
    phone = _worker(app)
    owner = _owners_phone(app, phone)
    for address in ("203.0.113.7", "203.0.113.8"):
        attacker = _from(app.test_client(), address)
        while _ask_reset(attacker, phone) == 200:
            pass
    sent = len(texts(app, phone))
    assert sent <= 7
    assert _ask_reset(_from(app.test_client(), "192.0.2.50"), phone) == 429  # a stranger still waits
    assert _ask_reset(owner, phone) == 200, "the owner's own phone cannot get a reset code"
    done = post_form(owner, "/auth/reset", {"phone": phone, "code": last_code(app, phone),
                                            "password": "brand-new-pass", "action": "reset"})
    assert done.status_code == 302
    assert _login(owner, phone, "brand-new-pass").status_code == 302


def test_a_known_device_has_its_own_few_texts_then_waits_as_a_stranger(app):
    phone = _worker(app)
    owner = _owners_phone(app, phone)
    for address in ("203.0.113.7", "203.0.113.8"):
        while _ask_reset(_from(app.test_client(), address), phone) == 200:
            pass
    assert [_ask_reset(owner, phone) for _ in range(4)] == [200, 200, 200, 429]


def test_failures_from_other_addresses_do_not_leave_the_owner_one_try(app):
    phone = _worker(app)
    owner = _owners_phone(app, phone)
    _lock_out(phone, app)
    assert _login(owner, phone, "correct-horse-8").status_code == 400  # one typo
    assert _login(owner, phone).status_code == 302, "the owner, right password in hand, must wait"
    stranger = _from(app.test_client(), "192.0.2.50")  # the right password too, from a device never signed in on
    assert _login(stranger, phone, "correct-horse-8").status_code == 400
    assert _login(stranger, phone).status_code == 429


def test_a_known_device_gets_five_tries_then_waits(app):
    phone = _worker(app)
    owner = _owners_phone(app, phone)
    _lock_out(phone, app)
    for _n in range(5):
        assert _login(owner, phone, "wrong-guess").status_code == 400
    refused = _login(owner, phone)
    assert refused.status_code == 429 and "登录失败次数过多" in refused.get_data(as_text=True)


def _forged(app, phone: str, secret: str) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        return URLSafeTimedSerializer(secret, salt="qiuxue.device-cookie").dumps(
            [user.id, user.session_version, "forged-nonce"])


def _gives_nothing(app, phone: str, cookie: str) -> None:
    """Under the lockout, a device presenting `cookie` has the one try of any stranger, for logins and texts."""
    holder = _from(app.test_client(), "192.0.2.77")
    holder.set_cookie(device_cookies.COOKIE, cookie, path="/auth")
    assert _login(holder, phone, "wrong-guess").status_code == 400
    assert _login(holder, phone).status_code == 429
    assert _ask_reset(holder, phone) == 429


def _use_up_texts(app, phone: str) -> None:
    for address in ("203.0.113.7", "203.0.113.8"):
        while _ask_reset(_from(app.test_client(), address), phone) == 200:
            pass


def test_another_accounts_device_cookie_gives_no_exemption(app):
    victim, mine = _worker(app), _worker(app)
    attacker = _owners_phone(app, mine)
    _lock_out(victim, app)
    _use_up_texts(app, victim)
    _gives_nothing(app, victim, attacker.get_cookie(device_cookies.COOKIE, path="/auth").value)
    # and a reset asked for an unknown number from a known device is answered as for a known one
    answer = post_form(attacker, "/auth/reset", {"phone": "13700001111", "action": "send"})
    assert answer.status_code == 200 and "验证码已发送" in answer.get_data(as_text=True)
    assert not CODE.search(texts(app, "13700001111")[-1])


@pytest.mark.parametrize("secret", ["not-our-secret", None])
def test_a_device_cookie_not_signed_by_us_gives_no_exemption(app, secret):
    phone = _worker(app)
    _lock_out(phone, app)
    _use_up_texts(app, phone)
    cookie = _forged(app, phone, secret) if secret else '["1","1","forged-nonce"]'
    _gives_nothing(app, phone, cookie)


@pytest.mark.parametrize("ending", ["reset", "logout-everywhere"])
def test_a_device_cookie_from_before_a_reset_or_logout_everywhere_gives_no_exemption(app, ending):
    phone = _worker(app)
    owner = _owners_phone(app, phone)
    stolen = owner.get_cookie(device_cookies.COOKIE, path="/auth").value
    if ending == "reset":
        _ask_reset(owner, phone)
        done = post_form(owner, "/auth/reset", {"phone": phone, "code": last_code(app, phone),
                                                "password": factories.PASSWORD, "action": "reset"})
        assert done.status_code == 302
    else:
        assert _login(owner, phone).status_code == 302
        assert post_form(owner, "/me/logout-everywhere", {}, source="/me").status_code == 302
    _lock_out(phone, app)
    _use_up_texts(app, phone)
    _gives_nothing(app, phone, stolen)


@pytest.mark.parametrize("https", [False, True])
def test_the_device_cookie_is_kept_from_scripts_and_other_sites(app, https):
    app.config["SESSION_COOKIE_SECURE"] = https  # as app.config sets it from HTTPS
    with app.test_request_context("/auth/login", method="POST"):
        user = factories.user()
        device_cookies.give(user)
        header = app.process_response(Response("", status=302)).headers["Set-Cookie"]
    assert header.startswith(device_cookies.COOKIE + "=")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/auth" in header
    assert ("Secure" in header) is https
    with app.test_request_context("/auth/login", method="POST"):
        device_cookies.give(factories.user())
        failed = app.process_response(Response("", status=500))
    assert "Set-Cookie" not in failed.headers  # only an answer that went through names the device
