"""Register, log in (with throttling), log out and change password, as a visitor would."""

import re
from datetime import timedelta

import pytest

from app.accounts import service
from app.accounts.models import LoginFailure, User
from app.db import utcnow
from app.errors import Invalid, TooManyRequests
from app.sms import SmsMessage
from tests.app.sms_codes import last_code, register
from tests.conftest import FAST_HASH, post_form
from tests.factories import PASSWORD


def test_register_asks_phone_code_password_and_lands_ready_to_study(client, db):
    assert 'name="name"' not in client.get("/auth/register").get_data(as_text=True)
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"  # not a long profile form
    user = db.session.query(User).filter_by(phone="13912345678").one()
    assert user.password_hash.startswith(FAST_HASH) and user.name == "学员5678" and user.profile is None
    assert "学员5678" in client.get("/me").get_data(as_text=True)


def test_register_goes_back_to_the_page_the_worker_came_from(client, db):
    post_form(client, "/auth/register", {"phone": "13912345678", "action": "send"})
    code = last_code(client.application, "13912345678")
    response = post_form(client, "/auth/register?next=/catalog/", {
        "phone": "13912345678", "code": code, "password": "longenough1", "action": "register",
        "next": "/catalog/"})
    assert response.status_code == 302 and response.headers["Location"] == "/catalog/"


def test_register_from_the_header_link_goes_back_to_the_page_it_was_opened_on(client, db):
    page = client.get("/auth/register", headers={"Referer": "http://localhost/catalog/menu/skills?page=2"})
    assert 'name="next" type="hidden" value="/catalog/menu/skills?page=2"' in page.get_data(as_text=True)
    elsewhere = client.get("/auth/register", headers={"Referer": "https://evil.example/catalog/"})
    assert 'name="next" type="hidden" value=""' in elsewhere.get_data(as_text=True)


def test_the_site_hashes_passwords_with_scrypt_unless_configured(tmp_path):
    from werkzeug.security import check_password_hash

    from app import create_app
    from app.accounts.service import _hash

    site = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    with site.app_context():
        stored = _hash("longenough1")
    assert stored.startswith("scrypt:") and check_password_hash(stored, "longenough1")


@pytest.mark.parametrize("phone", ["1391234567", "23912345678", "139123456789", "abc"])
def test_a_bad_number_gets_no_code_and_a_field_message(client, db, phone):
    response = post_form(client, "/auth/register", {"phone": phone, "action": "send"})
    assert response.status_code == 400 and "请输入11位手机号码" in response.get_data(as_text=True)
    assert db.session.query(SmsMessage).count() == 0


def test_a_short_password_is_refused_and_keeps_the_code_usable(client, db):
    post_form(client, "/auth/register", {"phone": "13912345678", "action": "send"})
    code = last_code(client.application, "13912345678")
    short = post_form(client, "/auth/register", {"phone": "13912345678", "code": code, "password": "short",
                                                  "action": "register"})
    assert short.status_code == 400 and "密码至少需要8个字符" in short.get_data(as_text=True)
    assert db.session.query(User).count() == 0
    fine = post_form(client, "/auth/register", {"phone": "13912345678", "code": code, "password": "longenough1",
                                                 "action": "register"})
    assert fine.status_code == 302


def test_register_accepts_spaces_and_country_code(client, db):
    post_form(client, "/auth/register", {"phone": "+86 139-1234-5678", "action": "send"})
    code = last_code(client.application, "13912345678")
    response = post_form(client, "/auth/register", {"phone": "+86 139-1234-5678", "code": code,
                                                    "password": "longenough1", "action": "register"})
    assert response.status_code == 302
    assert db.session.query(User).filter_by(phone="13912345678").count() == 1


def test_register_without_csrf_token_is_refused(client, db):
    response = client.post("/auth/register", data={"phone": "13912345678", "password": "x" * 10, "code": "123456"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0


def test_the_login_form_remembers_by_default(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="remember"|<input[^>]*name="remember"[^>]*checked', page)


def test_login_wrong_password_then_right(client, auth, app, db):
    phone = auth.as_role("worker")
    auth.logout()
    bad = auth.login(phone, "wrong-password")
    assert bad.status_code == 400 and "手机号或密码不正确" in bad.get_data(as_text=True)
    assert auth.login(phone).status_code == 302
    assert db.session.query(LoginFailure).count() == 0  # success clears the count


def test_five_failures_lock_the_number_without_revealing_whether_it_exists(client, auth, db):
    phone = auth.as_role("worker")
    auth.logout()
    for _ in range(5):
        assert auth.login(phone, "wrong-password").status_code == 400
    locked = auth.login(phone)  # even the right password waits
    assert locked.status_code == 429
    body = locked.get_data(as_text=True)
    assert "登录失败次数过多" in body and "15分钟" in body
    unknown = "13700000000"
    for _ in range(5):
        auth.login(unknown, "whatever-pass")
    assert auth.login(unknown, "whatever-pass").get_data(as_text=True).count("登录失败次数过多") == 1


def test_lock_ends_when_the_window_has_passed(db):
    user = service.register(db.session, phone="13911112222", password=PASSWORD, name="甲")
    start = utcnow()
    for i in range(5):
        with pytest.raises(Invalid):
            service.authenticate(db.session, phone=user.phone, password="nope-nope", now=start + timedelta(seconds=i))
    with pytest.raises(TooManyRequests):
        service.authenticate(db.session, phone=user.phone, password=PASSWORD, now=start + timedelta(minutes=14))
    later = start + timedelta(minutes=15, seconds=5)
    assert service.authenticate(db.session, phone=user.phone, password=PASSWORD, now=later) == user


def test_logout_needs_post(client, auth):
    auth.as_role("worker")
    assert client.get("/auth/logout").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/me").status_code == 302  # back to login


def test_session_and_remember_cookies_are_httponly_and_lax(client, auth):
    phone = auth.as_role("worker")
    auth.logout()
    response = post_form(client, "/auth/login", {"phone": phone, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain HTTP here; QIUXUE_HTTPS=1 adds it


def test_change_password_logs_out_other_devices(app, auth, client):
    phone = auth.as_role("worker")
    other = app.test_client()
    post_form(other, "/auth/login", {"phone": phone, "password": PASSWORD})
    assert other.get("/me").status_code == 200

    wrong = post_form(client, "/me/password", {"current": "not-it-at-all", "new": "brand-new-pass"})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    short = post_form(client, "/me/password", {"current": PASSWORD, "new": "short"})
    assert short.status_code == 400 and "密码至少需要8个字符" in short.get_data(as_text=True)

    ok = post_form(client, "/me/password", {"current": PASSWORD, "new": "brand-new-pass"})
    assert ok.status_code == 302
    assert client.get("/me").status_code == 200      # this device stays in
    assert other.get("/me").status_code == 302       # the other is logged out
    auth.logout()
    assert auth.login(phone, PASSWORD).status_code == 400
    assert auth.login(phone, "brand-new-pass").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_login_never_redirects_off_site(client, auth, target):
    phone = auth.as_role("worker")
    auth.logout()
    response = post_form(client, "/auth/login", {"phone": phone, "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, auth):
    phone = auth.as_role("worker")
    auth.logout()
    response = post_form(client, "/auth/login", {"phone": phone, "password": PASSWORD, "next": "/me/profile"})
    assert response.headers["Location"] == "/me/profile"
