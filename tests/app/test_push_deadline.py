"""One person's push services must not hold anyone else's notifications (app/notifications/delivery.py): a push
has one deadline for the whole exchange (WEBPUSH_TIMEOUT_SECONDS; pywebpush's `timeout` is per socket read, so a
service trickling its answer held the worker for as long as it liked), a person's devices are pushed at once, an
account keeps at most MAX_DEVICES subscriptions, and a service that never answers in time is dropped after
MAX_FAILURES. The attacker's servers run on 127.0.0.1, allowed by name as the existing push tests do; the deadline
is the behaviour under test, so the victim's wait is asserted against it with a generous factor."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import select

from app.notifications import delivery, kinds, service
from app.notifications.models import Notification
from app.sms import SmsMessage
from tests import factories
from tests.app.push_logins import login_of
from tests.app.test_notifications import Device, PushEndpoint
from tests.conftest import csrf_token

DEADLINE_S = 1.0  # WEBPUSH_TIMEOUT_SECONDS in these tests
TRICKLE_GAP_S = 0.5  # well under pywebpush's per-read timeout: each byte restarts it
TRICKLE_S = 6.0  # how long the slow service keeps trickling (an attacker's: for ever); bounds the unfixed run
PUBLIC = "93.184.216.34"  # a global address: accepted at subscribing, never sent to here


class SlowPushService:
    """Takes each POST, then answers its headers one byte every TRICKLE_GAP_S. `hung_up` is set once a client has
    closed its connection rather than waited."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/push/"
        self.stop, self.hung_up = threading.Event(), threading.Event()
        threading.Thread(target=self._serve, name="slow-push", daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._trickle, args=(conn,), name="slow-push-conn", daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        end = time.monotonic() + TRICKLE_S
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 201 Created\r\nX-Slow: ")
                while time.monotonic() < end and not self.stop.wait(TRICKLE_GAP_S):
                    conn.sendall(b"a")
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                self.hung_up.set()

    def __enter__(self) -> SlowPushService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def vapid(app):
    public, private = delivery.generate_keys()
    app.config.update(WEBPUSH_PUBLIC_KEY=public, WEBPUSH_PRIVATE_KEY=private, WEBPUSH_TIMEOUT_SECONDS=DEADLINE_S,
                      WEBPUSH_PRIVATE_HOSTS="127.0.0.1")


@pytest.fixture
def attacker(app, db, client, auth):
    found = factories.user(name="订阅者")
    db.session.commit()
    auth.login(found.phone)
    return found


def _subscribe(client, endpoint):
    return client.post("/api/v1/me/push-subscriptions", json=Device().subscription(endpoint),
                       headers={"X-CSRFToken": csrf_token(client, "/me/notifications")})


def test_a_push_service_trickling_its_answer_holds_no_one_elses_notification(app, db, client, attacker, vapid):
    phone = Device()
    with SlowPushService() as slow, PushEndpoint() as good:
        for i in range(service.MAX_DEVICES):  # as many devices as an account may keep, all on the slow service
            assert _subscribe(client, f"{slow.url}{i}").status_code == 201
        victim = factories.user(name="别人")
        service.subscribe(db.session, victim.id, login_of(db.session, victim), phone.subscription(good.url))
        service.notify(db.session, attacker.id, kinds.REMINDER, "学习提醒", "/learning/")
        decision = service.notify(db.session, victim.id, kinds.SUBSIDY, "你的补贴申请已通过审核", "/programme/mine")
        db.session.commit()
        threads = set(threading.enumerate())
        started = time.monotonic()
        assert delivery.deliver_pending(db.session, app.config) == 2
        took = time.monotonic() - started
        assert took < 4 * DEADLINE_S, f"the victim's decision waited {took:.1f} s behind the attacker's devices"
        assert slow.hung_up.wait(5 * TRICKLE_GAP_S)  # the slow pushes were closed, not left waiting
    assert [t for t in threading.enumerate() if t not in threads and not t.name.startswith("slow-push")] == []
    (_headers, body), = good.received
    assert phone.decrypt(body)["url"] == f"/me/notifications/{decision.id}/open"
    assert [t.phone for t in db.session.scalars(select(SmsMessage))] == [victim.phone]
    assert db.session.scalars(select(Notification).where(Notification.delivered_at.is_(None))).all() == []
    assert [d.failures for d in service.devices(db.session, attacker.id)] == [1] * service.MAX_DEVICES


def test_an_account_keeps_only_its_newest_devices(app, db, client, attacker):
    """Each subscription costs every notification of the account a push: past MAX_DEVICES the oldest go (a
    reinstalled browser leaves its old one behind; the newest is the phone in hand), another person's untouched."""
    other = factories.user(name="别人")
    service.subscribe(db.session, other.id, login_of(db.session, other), Device().subscription(f"https://{PUBLIC}/other"))
    db.session.commit()
    for i in range(service.MAX_DEVICES + 50):
        assert _subscribe(client, f"https://{PUBLIC}/d/{i}").status_code == 201
    assert [d.endpoint for d in service.devices(db.session, attacker.id)] == [
        f"https://{PUBLIC}/d/{i}" for i in range(50, service.MAX_DEVICES + 50)]
    assert [d.endpoint for d in service.devices(db.session, other.id)] == [f"https://{PUBLIC}/other"]


def test_a_device_whose_service_never_answers_is_dropped_after_max_failures(app, db, client, attacker, vapid):
    """A timeout is the device's failure: after MAX_FAILURES in a row it goes, instead of costing the worker its
    deadline on every notification for ever. A service refusing connections (maybe our network) is kept."""
    silent = socket.create_server(("127.0.0.1", 0), backlog=16)  # connections complete, nothing is ever read
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refused_port = closed.getsockname()[1]
    with silent:
        assert _subscribe(client, f"http://127.0.0.1:{silent.getsockname()[1]}/blackhole").status_code == 201
        assert _subscribe(client, f"http://127.0.0.1:{refused_port}/down").status_code == 201
        for round_ in range(1, delivery.MAX_FAILURES + 1):
            assert [d.failures for d in service.devices(db.session, attacker.id)] == [round_ - 1] * 2
            service.notify(db.session, attacker.id, kinds.REMINDER, "学习提醒", "/learning/")
            db.session.commit()
            assert delivery.deliver_pending(db.session, app.config) == 1
    assert [(d.endpoint.rsplit("/", 1)[1], d.failures) for d in service.devices(db.session, attacker.id)] == [
        ("down", delivery.MAX_FAILURES)]
