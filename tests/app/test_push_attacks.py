"""Attacks on Web Push (POST /api/v1/me/push-subscriptions, then the worker's delivery): a subscription must not
make the server POST to its own network (SSRF), and one device with broken keys must not stop delivery for
everyone. Hermetic: public endpoints are literal addresses or names whose resolution the test sets, and an endpoint
accepted here is never sent to."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from app.notifications import delivery, endpoints, kinds, service
from app.notifications.models import Notification, PushSubscription
from app.sms import SmsMessage
from tests import factories
from tests.app.push_logins import login_of
from tests.app.test_notifications import Device, PushEndpoint
from tests.conftest import csrf_token

PUBLIC = "93.184.216.34"  # a global address: accepted, never sent to in these tests


@pytest.fixture
def vapid(app):
    public, private = delivery.generate_keys()
    app.config.update(WEBPUSH_PUBLIC_KEY=public, WEBPUSH_PRIVATE_KEY=private)


@pytest.fixture
def member(app, db, client, auth):
    found = factories.user(name="订阅者")
    db.session.commit()
    auth.login(found.phone)
    return found


def _kept(db, member, **columns):
    """A subscription written as it is kept (rows made before a rule, or whose address changed since)."""
    return PushSubscription(user_id=member.id, session_id=login_of(db.session, member), **columns)


def _subscribe(client, body):
    return client.post("/api/v1/me/push-subscriptions", json=body,
                       headers={"X-CSRFToken": csrf_token(client, "/me/notifications")})


def _resolving_to(address):
    def fake(host, *args, **kwargs):
        if host == "push.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return fake


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1:{port}/admin/internal-only", "https://127.0.0.1:{port}/admin/internal-only",
    "https://localhost:{port}/x", "https://[::1]:{port}/x", "https://10.0.0.7/x", "https://169.254.169.254/latest",
    "https://[::ffff:127.0.0.1]/x", "https://0.0.0.0/x", "https://2130706433/x", "https://no-such-host.invalid/x",
    f"http://{PUBLIC}/x", "https:///x", "https://[fe80::1%25eth0]/x", "https://[2002:7f00:1::]/x",
])
def test_an_endpoint_on_the_servers_own_network_is_refused_and_never_posted_to(app, db, client, member, vapid,
                                                                                endpoint):
    with PushEndpoint() as internal:
        refused = _subscribe(client, Device().subscription(endpoint.format(port=internal.server.server_port)))
        assert refused.status_code == 400
        assert refused.get_json()["error"]["code"] == "bad_push_endpoint"
        service.notify(db.session, member.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
        db.session.commit()
        delivery.deliver_pending(db.session, app.config)
    assert internal.received == []
    assert service.devices(db.session, member.id) == []


def test_a_public_https_endpoint_is_accepted(app, db, client, member, monkeypatch):
    monkeypatch.setattr(endpoints, "resolve", _resolving_to(PUBLIC))
    for endpoint in (f"https://{PUBLIC}/push/1", "https://push.example.org/push/2"):
        assert _subscribe(client, Device().subscription(endpoint)).status_code == 201
    assert [d.endpoint for d in service.devices(db.session, member.id)] == [
        f"https://{PUBLIC}/push/1", "https://push.example.org/push/2"]


def test_an_endpoint_that_now_resolves_inside_is_skipped_at_send_and_counted(app, db, client, member, vapid,
                                                                             monkeypatch):
    """DNS can change after subscribing (or a row predates the rule): the worker checks again before each send."""
    monkeypatch.setattr(endpoints, "resolve", _resolving_to(PUBLIC))
    assert _subscribe(client, Device().subscription("https://push.example.org/device")).status_code == 201
    monkeypatch.setattr(endpoints, "resolve", _resolving_to("127.0.0.1"))
    with PushEndpoint() as internal:
        db.session.add(_kept(db, member, endpoint=internal.url, p256dh="k", auth="a"))
        victim = factories.user(name="别人")
        service.notify(db.session, member.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
        service.notify(db.session, victim.id, kinds.SUBSIDY, "你的补贴申请已通过审核", "/programme/mine")
        db.session.commit()
        assert delivery.deliver_pending(db.session, app.config) == 2
    assert internal.received == []
    assert sorted(d.failures for d in service.devices(db.session, member.id)) == [1, 1]
    assert db.session.scalars(select(Notification).where(Notification.delivered_at.is_(None))).all() == []
    assert [t.phone for t in db.session.scalars(select(SmsMessage))] == [victim.phone]


@pytest.mark.parametrize("keys", [
    {"p256dh": "x", "auth": "y"},
    {"p256dh": "BA" + "A" * 85, "auth": "AAAAAAAAAAAAAAAAAAAAAA"},  # 65 bytes, yet not a point on P-256
    {"p256dh": "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"},  # compressed
    {"p256dh": None, "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
])
def test_a_subscription_whose_keys_are_no_keys_is_refused(app, db, client, member, keys):
    good = Device().subscription(f"https://{PUBLIC}/x")
    refused = _subscribe(client, {"endpoint": good["endpoint"], "keys": keys})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "bad_push_keys"
    bad_auth = _subscribe(client, {"endpoint": good["endpoint"], "keys": {**good["keys"], "auth": "AAAA"}})
    assert bad_auth.get_json()["error"]["code"] == "bad_push_keys"
    assert service.devices(db.session, member.id) == []


def test_one_bad_device_never_stops_delivery_for_anyone(app, db, client, member, vapid):
    """A row with broken keys (made before the rule) raises inside pywebpush: counted as that device's failure,
    and every notification and decision text still goes out, on the first run."""
    db.session.add(_kept(db, member, endpoint=f"https://{PUBLIC}/x", p256dh="x", auth="y"))
    victim = factories.user(name="别人")
    service.notify(db.session, member.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
    service.notify(db.session, victim.id, kinds.SUBSIDY, "你的补贴申请已通过审核", "/programme/mine")
    db.session.commit()
    assert delivery.deliver_pending(db.session, app.config) == 2
    assert db.session.scalars(select(Notification).where(Notification.delivered_at.is_(None))).all() == []
    assert [t.phone for t in db.session.scalars(select(SmsMessage))] == [victim.phone]
    assert [d.failures for d in service.devices(db.session, member.id)] == [1]


def test_a_good_device_still_gets_its_push_beside_a_bad_one(app, db, member, vapid):
    """Delivery is per device: the local push service, allowed by name as the operator's own (nothing public is
    reachable here), stands in for a public one."""
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "127.0.0.1"
    phone = Device()
    with PushEndpoint() as good:
        db.session.add(_kept(db, member, endpoint=good.url + "-broken", p256dh="x", auth="y"))
        db.session.add(_kept(db, member, endpoint=good.url, **phone.subscription(good.url)["keys"]))
        found = service.notify(db.session, member.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
        db.session.commit()
        assert delivery.deliver_pending(db.session, app.config) == 1
    (_headers, body), = good.received
    assert phone.decrypt(body)["url"] == f"/me/notifications/{found.id}/open"
    assert {d.endpoint: d.failures for d in service.devices(db.session, member.id)} == {
        good.url + "-broken": 1, good.url: 0}


def test_a_push_service_redirecting_inside_is_not_followed(app, db, member, vapid):
    """The address check sees only the first URL: a 307 to an internal address must not be followed."""
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "127.0.0.1"  # the local service, allowed by name, stands in for a public one
    with PushEndpoint() as internal, PushEndpoint(status=307) as outside:
        outside.server.RequestHandlerClass.end_headers = _with_location(internal.url)
        phone = Device()
        db.session.add(_kept(db, member, endpoint=outside.url, **phone.subscription("")["keys"]))
        service.notify(db.session, member.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
        db.session.commit()
        assert delivery.deliver_pending(db.session, app.config) == 1
    assert len(outside.received) == 1 and internal.received == []
    assert [d.failures for d in service.devices(db.session, member.id)] == [1]


def _with_location(url):
    def end_headers(handler):
        handler.send_header("Location", url)
        type(handler).__mro__[1].end_headers(handler)
    return end_headers


def test_only_the_hosts_the_operator_names_are_allowed_inside(app, db, client, member):
    """WEBPUSH_PRIVATE_HOSTS lets the site's own push relay through by name, and nothing else inside."""
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "push-relay.internal, 10.0.0.9"
    assert _subscribe(client, Device().subscription("http://10.0.0.9/device")).status_code == 201
    assert _subscribe(client, Device().subscription("https://10.0.0.7/device")).status_code == 400
    assert endpoints.refusal("https://push-relay.internal/x", app.config["WEBPUSH_PRIVATE_HOSTS"]) is None
    assert endpoints.refusal("ftp://10.0.0.9/x", app.config["WEBPUSH_PRIVATE_HOSTS"]) is not None
