"""A Web Push subscription lives as long as the signed-in session that made it. Attack: whoever held a worker's
session for a moment (a stolen phone, a known password, a shared computer) subscribes a device of their own; the
owner then resets the password, presses 退出所有设备 or simply 退出, and every later notification (subsidy and
recognition decisions, answers) was still pushed to that device, encrypted to its keys. 我的消息 only counted the
devices, so the owner could not remove it; now it lists them, each with 移除."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app.errors import LoginRequired
from app.extensions import db as _db
from app.notifications import delivery, device_names, kinds, service
from app.notifications.models import PushSubscription
from tests import factories
from tests.app.push_logins import login_of
from tests.app.sms_codes import last_code
from tests.app.test_notifications import Device, PushEndpoint
from tests.conftest import csrf_token, post_form
from tests.migrating import fresh_app

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 13; V2219A) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Mobile Safari/537.36")
DECISION = "学分认定已通过：电工（高级）200学分"


@dataclass(frozen=True)
class Worker:
    id: int
    phone: str


@pytest.fixture
def worker(app):
    """Made in an app context of its own, as each request has: several browsers (test clients) take turns here,
    and one context held around them all would share Flask's `g` (and the CSRF token kept there) between them."""
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "127.0.0.1"  # the push services of these tests are local
    public, private = delivery.generate_keys()
    app.config.update(WEBPUSH_PUBLIC_KEY=public, WEBPUSH_PRIVATE_KEY=private)
    with app.app_context():
        found = factories.user(name="王小工")
        _db.session.commit()
        return Worker(found.id, found.phone)


def _other(app, name="别人"):
    with app.app_context():
        found = factories.user(name=name)
        _db.session.commit()
        return found.phone


def _login(client, phone, password=factories.PASSWORD):
    assert post_form(client, "/auth/login", {"phone": phone, "password": password}).status_code == 302


def _subscribes(app, phone, endpoint, device, user_agent=""):
    """A browser signs in as `phone` and turns push on, as push.js does."""
    browser = app.test_client()
    _login(browser, phone)
    made = browser.post("/api/v1/me/push-subscriptions", json=device.subscription(endpoint.url),
                        headers={"X-CSRFToken": csrf_token(browser, "/me/notifications"), "User-Agent": user_agent})
    assert made.status_code == 201
    return browser


def _pushed_after(app, worker, *endpoints):
    with app.app_context():
        service.notify(_db.session, worker.id, kinds.RECOGNITION, DECISION, "/credits/recognitions")
        _db.session.commit()
        delivery.deliver_pending(_db.session, app.config)
    return [endpoint.received for endpoint in endpoints]


def test_a_password_reset_stops_pushes_to_a_device_the_thief_subscribed(app, worker):
    thief_device = Device()
    with PushEndpoint() as endpoint:
        thief = _subscribes(app, worker.phone, endpoint, thief_device)
        owner = app.test_client()  # the owner resets the password by SMS: every session ends
        post_form(owner, "/auth/reset", {"phone": worker.phone, "action": "send"})
        done = post_form(owner, "/auth/reset", {"phone": worker.phone, "code": last_code(app, worker.phone),
                                                "password": "a-new-password-1", "action": "reset"})
        assert done.status_code == 302
        assert thief.get("/me").status_code == 302  # the thief's session is over
        received, = _pushed_after(app, worker, endpoint)
    assert received == [], f"pushed to the thief after the reset: {thief_device.decrypt(received[0][1])}"


def test_logging_out_everywhere_stops_pushes_to_a_device_the_thief_subscribed(app, worker):
    thief_device = Device()
    with PushEndpoint() as endpoint:
        thief = _subscribes(app, worker.phone, endpoint, thief_device)
        owner = app.test_client()
        _login(owner, worker.phone)
        assert post_form(owner, "/me/logout-everywhere", {}, source="/me").status_code == 302
        assert thief.get("/me").status_code == 302
        received, = _pushed_after(app, worker, endpoint)
    assert received == [], f"pushed to the thief after 退出所有设备: {thief_device.decrypt(received[0][1])}"


def test_logging_out_of_a_shared_computer_stops_pushing_there_and_only_there(app, worker):
    """An internet café or a dormitory computer: the worker turned on 手机推送 there, then pressed 退出. The browser
    is the next user's; the worker's own phone, signed in apart, keeps getting them."""
    browser, phone = Device(), Device()
    with PushEndpoint() as at_cafe, PushEndpoint() as in_pocket:
        shared = _subscribes(app, worker.phone, at_cafe, browser)
        _subscribes(app, worker.phone, in_pocket, phone)
        assert post_form(shared, "/auth/logout", {}, source="/me").status_code == 302
        cafe, pocket = _pushed_after(app, worker, at_cafe, in_pocket)
    assert cafe == [], f"pushed to the shared computer after 退出: {browser.decrypt(cafe[0][1])}"
    assert [phone.decrypt(body)["title"] for _headers, body in pocket] == [DECISION]


def test_my_messages_lists_each_device_and_the_owner_removes_one(app, worker):
    """我的消息 names every device (its browser and system, or 设备 n) and when push was turned on there, in
    Beijing time; 移除 (a form with its CSRF token) stops pushes to it. Nobody else can remove it."""
    stranger = Device()
    with PushEndpoint() as theirs, PushEndpoint() as mine:
        _subscribes(app, worker.phone, theirs, stranger, ANDROID_CHROME)
        owner = _subscribes(app, worker.phone, mine, Device())
        with app.app_context():
            unknown = _db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == theirs.url))
            unknown.created_at = datetime(2026, 6, 30, 23, 30)  # UTC: 07:30 the next morning in Beijing
            _db.session.commit()
            action = f"/me/notifications/devices/{unknown.id}/remove"
        page = owner.get("/me/notifications").get_data(as_text=True)
        assert "Chrome · Android" in page and "开启于 2026-07-01 07:30" in page
        assert "设备 2" in page and "（这台设备）" in page and "data-here" in page

        other = app.test_client()
        _login(other, _other(app))
        assert post_form(other, action, {}, source="/me/notifications").status_code == 404
        assert owner.post(action, data={}).status_code == 400  # no CSRF token: refused
        removed = post_form(owner, action, {}, source="/me/notifications", follow_redirects=True)
        assert "已移除这台设备，它不会再收到您的消息推送。" in removed.get_data(as_text=True)
        got_theirs, got_mine = _pushed_after(app, worker, theirs, mine)
    assert got_theirs == [] and len(got_mine) == 1
    with app.app_context():
        assert [d.endpoint for d in service.devices(_db.session, worker.id)] == [mine.url]


def test_logging_in_again_hands_the_same_browser_over_to_the_new_session(app, worker):
    """After 退出 and signing in again the browser's old subscription is no longer on (push.js offers 开启 again,
    as the page no longer says data-here); turning it on ties the same endpoint to the new session."""
    device = Device()
    with PushEndpoint() as endpoint:
        browser = _subscribes(app, worker.phone, endpoint, device)
        assert post_form(browser, "/auth/logout", {}, source="/me").status_code == 302
        _login(browser, worker.phone)
        assert "data-here" not in browser.get("/me/notifications").get_data(as_text=True)
        again = browser.post("/api/v1/me/push-subscriptions", json=device.subscription(endpoint.url),
                             headers={"X-CSRFToken": csrf_token(browser, "/me/notifications")})
        assert again.status_code == 201
        assert "data-here" in browser.get("/me/notifications").get_data(as_text=True)
        received, = _pushed_after(app, worker, endpoint)
    assert [device.decrypt(body)["title"] for _headers, body in received] == [DECISION]


def test_a_subscription_is_refused_for_a_session_that_has_ended(app, db, worker):
    """A request whose user was loaded before its session ended (kept between requests, or on another host) gets
    401, not a subscription that outlives the session nor a 500."""
    other = factories.user(name="别人")
    theirs = login_of(db.session, other)
    for login in ("gone", theirs):
        with pytest.raises(LoginRequired):
            service.subscribe(db.session, worker.id, login, Device().subscription("https://93.184.216.34/x"))
    assert service.devices(db.session, worker.id) == []


@pytest.mark.parametrize(("user_agent", "name"), [
    (ANDROID_CHROME, "Chrome · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1", "Safari · iPhone"),
    ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.99 "
     "XWEB/4317 MMWEBSDK/20220903 Mobile Safari/537.36 MMWEBID/6170 MicroMessenger/8.0.28.2240", "WeChat · Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Safari/537.36 Edg/120.0.0.0", "Edge · Windows"),
    ("", None), ("curl/8.0", None),
])
def test_a_device_is_named_by_its_browser_and_system(user_agent, name):
    assert device_names.label(user_agent) == name


def test_the_migration_removes_subscriptions_no_session_made(tmp_path):
    """Kept subscriptions cannot say which session made them: 0036 removes them (the owner turns push on again
    with one tap), and adds the session column; the round trip works."""
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision="0035_refold_serials")
        owner = factories.user(name="旧订阅")
        _db.session.flush()
        _db.session.execute(text("INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, device, created_at,"
                                 " failures) VALUES (:u, 'https://93.184.216.34/old', 'k', 'a', '', :t, 0)"),
                            {"u": owner.id, "t": datetime(2026, 1, 1)})
        _db.session.commit()
        upgrade()
        assert _db.session.execute(text("SELECT count(*) FROM push_subscriptions")).scalar() == 0
        assert "session_id" in {c["name"] for c in inspect(_db.engine).get_columns("push_subscriptions")}
        _db.session.commit()  # PostgreSQL: an open read would hold the downgrade's table rebuild for good
        downgrade(revision="0035_refold_serials")
        assert "session_id" not in {c["name"] for c in inspect(_db.engine).get_columns("push_subscriptions")}
        upgrade()
        _db.session.remove()
        _db.engine.dispose()
