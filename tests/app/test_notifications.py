"""The notifications centre (app/notifications): the contract of GET /api/v1/me/notifications and POST
/api/v1/me/notifications/read, the bell's count, kinds a person turned off, another person's messages untouchable,
and delivery after commit: Web Push to a local push endpoint (the encrypted payload decrypted as a phone would)
and a text message for decisions through app.sms's gateway."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app import notifications
from app.extensions import db as _db
from app.notifications import delivery, kinds, service
from app.notifications.models import Notification, PushSubscription
from app.sms import SmsMessage
from tests import factories
from tests.app.push_logins import login_of
from tests.conftest import csrf_token


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushEndpoint:
    """A push service on 127.0.0.1: keeps each POST (headers and encrypted body) and answers `status`."""

    def __init__(self, status: int = 201):
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/push/device-1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Device:
    """A phone's push keys: the P-256 key pair and auth secret its browser would make."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, endpoint: str) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": endpoint, "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def worker(app, db):
    found = factories.user("worker", name="王小明")
    db.session.commit()
    return found


def _api_post(client, url, body, source="/me/notifications"):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client, source)})


def test_the_api_lists_newest_first_with_the_unread_count_and_marks_read(app, db, client, auth, worker):
    for i in range(3):
        service.notify(db.session, worker.id, kinds.ENQUIRY, f"咨询回复{i}", f"/programme/enquiries/{i}")
    db.session.commit()
    auth.login(worker.phone)
    answer = client.get("/api/v1/me/notifications").get_json()
    assert answer["unread"] == 3
    assert [i["title"] for i in answer["items"]] == ["咨询回复2", "咨询回复1", "咨询回复0"]
    assert answer["items"][0]["url"] == "/programme/enquiries/2" and answer["items"][0]["read"] is False
    first = answer["items"][2]["id"]
    assert _api_post(client, "/api/v1/me/notifications/read", {"ids": [first]}).get_json() == {"unread": 2}
    assert _api_post(client, "/api/v1/me/notifications/read", {"all": True}).get_json() == {"unread": 0}
    refused = _api_post(client, "/api/v1/me/notifications/read", {"ids": "all"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "ids_required"


def test_nobody_reads_or_marks_another_persons_messages(app, db, client, auth, worker):
    other = factories.user("worker", name="李四")
    mine = service.notify(db.session, other.id, kinds.SUBSIDY, "补贴已通过", "/programme/subsidies")
    db.session.commit()
    auth.login(worker.phone)
    assert client.get("/api/v1/me/notifications").get_json() == {"unread": 0, "items": []}
    assert _api_post(client, "/api/v1/me/notifications/read", {"ids": [mine.id]}).get_json() == {"unread": 0}
    assert client.get(f"/me/notifications/{mine.id}/open").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is None
    assert client.get("/api/v1/me/notifications", headers={"Cookie": ""}).status_code == 200  # still signed in
    auth.logout()
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_the_bell_counts_unread_and_opening_a_message_goes_to_its_thing(app, db, client, auth, worker):
    auth.login(worker.phone)
    page = client.get("/learning").get_data(as_text=True)
    assert "data-bell" in page and 'class="badge"' not in page.split("data-bell", 1)[1].split("</a>", 1)[0]
    found = service.notify(db.session, worker.id, kinds.CERTIFICATE, "证书已发放：安全用电", "/credits/")
    db.session.commit()
    bell = client.get("/learning").get_data(as_text=True).split("data-bell", 1)[1].split("</a>", 1)[0]
    assert re.search(r'class="badge"[^>]*>1<', bell)
    opened = client.get(f"/me/notifications/{found.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "/credits/"
    bell = client.get("/learning").get_data(as_text=True).split("data-bell", 1)[1].split("</a>", 1)[0]
    assert 'class="badge"' not in bell


def _bell(client, path="/learning"):
    return client.get(path).get_data(as_text=True).split("data-bell", 1)[1].split("</a>", 1)[0]


def test_opening_the_page_a_message_is_about_reads_it_at_once_and_no_other_page_does(app, db, client, auth, worker):
    """The person's unread paths are kept between pages: a message written after they were kept, or read
    elsewhere, shows on the very next request."""
    auth.login(worker.phone)
    assert 'class="badge"' not in _bell(client)  # kept: nothing unread
    found = service.notify(db.session, worker.id, kinds.CERTIFICATE, "证书已发放：安全用电", "/credits/")
    db.session.commit()
    assert re.search(r'class="badge"[^>]*>1<', _bell(client))  # another page leaves it unread
    db.session.expire_all()
    assert db.session.get(Notification, found.id).read_at is None
    assert client.get("/credits/").status_code == 200  # its own page reads it
    assert 'class="badge"' not in _bell(client)
    db.session.expire_all()
    assert db.session.get(Notification, found.id).read_at is not None
    again = service.notify(db.session, worker.id, kinds.CERTIFICATE, "证书已发放：电工", "/credits/")
    db.session.commit()
    assert re.search(r'class="badge"[^>]*>1<', _bell(client))
    service.mark_read(db.session, worker.id, [again.id])  # read through the API or another process
    db.session.commit()
    assert 'class="badge"' not in _bell(client)


def test_a_kind_turned_off_is_not_written(app, db, client, auth, worker):
    auth.login(worker.phone)
    token = csrf_token(client, "/me/notifications")
    enabled = [k for k in kinds.KINDS if k != kinds.COURSE]
    assert client.post("/me/notifications/settings", data={"csrf_token": token, "kind": enabled}).status_code == 302
    assert notifications.notify(db.session, worker.id, kinds.COURSE, "课程更新", "/catalog/") is None
    assert notifications.notify(db.session, worker.id, kinds.ENQUIRY, "咨询回复", "/catalog/") is not None
    page = client.get("/me/notifications").get_data(as_text=True)
    assert f'value="{kinds.COURSE}">' in page and f'value="{kinds.ENQUIRY}" checked' in page


def test_web_push_reaches_a_device_encrypted_and_signed(app, db, worker):
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "127.0.0.1"  # the local push service, allowed by name
    public, private = delivery.generate_keys()
    app.config.update(WEBPUSH_PUBLIC_KEY=public, WEBPUSH_PRIVATE_KEY=private)
    phone = Device()
    with PushEndpoint() as endpoint:
        service.subscribe(db.session, worker.id, login_of(db.session, worker), phone.subscription(endpoint.url),
                          "Android")
        found = service.notify(db.session, worker.id, kinds.RECOGNITION, "学分认定已通过", "/credits/recognitions")
        db.session.commit()
        assert endpoint.received == []  # nothing leaves before the worker runs, after commit
        assert delivery.deliver_pending(db.session, app.config) == 1
        assert delivery.deliver_pending(db.session, app.config) == 0  # delivered once
    (headers, body), = endpoint.received
    assert headers["content-encoding"] == "aes128gcm" and body[:4] != b"{\"ti"
    assert headers["authorization"].startswith("vapid t=") and f"k={public}" in headers["authorization"]
    assert phone.decrypt(body) == {"title": "学分认定已通过", "body": "", "url": f"/me/notifications/{found.id}/open",
                                   "tag": f"n{found.id}"}
    assert db.session.scalars(select(SmsMessage)).all() == []  # a review result is not texted


def test_a_device_that_left_is_forgotten(app, db, worker):
    app.config["WEBPUSH_PRIVATE_HOSTS"] = "127.0.0.1"  # the local push service, allowed by name
    public, private = delivery.generate_keys()
    app.config.update(WEBPUSH_PUBLIC_KEY=public, WEBPUSH_PRIVATE_KEY=private)
    with PushEndpoint(status=410) as endpoint:
        service.subscribe(db.session, worker.id, login_of(db.session, worker), Device().subscription(endpoint.url))
        service.notify(db.session, worker.id, kinds.ENQUIRY, "咨询回复", "/catalog/")
        db.session.commit()
        delivery.deliver_pending(db.session, app.config)
    assert len(endpoint.received) == 1
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_decisions_are_texted_once_through_the_gateway(app, db, worker):
    service.notify(db.session, worker.id, kinds.APPLICATION, "报读申请已录取", "/programme/applications")
    db.session.commit()
    delivery.deliver_pending(db.session, app.config)
    delivery.deliver_pending(db.session, app.config)
    texts = db.session.scalars(select(SmsMessage)).all()
    assert [(t.phone, t.text) for t in texts] == [(worker.phone, "【求学】报读申请已录取。请登录求学查看详情。")]


def test_a_device_subscribes_through_the_api(app, db, client, auth, worker):
    auth.login(worker.phone)
    sub = Device().subscription("https://93.184.216.34/abc")
    assert _api_post(client, "/api/v1/me/push-subscriptions", sub).status_code == 201
    bad = _api_post(client, "/api/v1/me/push-subscriptions", {"endpoint": "javascript:x", "keys": {}})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_subscription"
    assert [d.endpoint for d in service.devices(_db.session, worker.id)] == ["https://93.184.216.34/abc"]
    _api_post(client, "/api/v1/me/push-subscriptions/remove", {"endpoint": "https://93.184.216.34/abc"})
    assert service.devices(_db.session, worker.id) == []


def test_the_worker_duty_delivers_after_commit_and_texts_through_the_gateway(app, db, worker):
    from app import jobs

    service.notify(db.session, worker.id, kinds.SUBSIDY, "你的补贴申请已通过审核", "/programme/mine")
    db.session.commit()
    duty = jobs.RECURRING["notifications.deliver"]
    duty.run(jobs.DutyContext(app=app, session=db.session, name=duty.name, worker="test", failures=0))
    text = db.session.scalar(select(SmsMessage))
    assert text is not None and text.sent_at is not None and text.gateway == "log"
    assert db.session.scalar(select(Notification)).delivered_at is not None


def test_the_cli_makes_a_vapid_key_pair_that_signs(runner):
    result = runner.invoke(args=["notifications", "vapid-keys"])
    assert result.exit_code == 0, result.output
    public = re.search(r"QIUXUE_WEBPUSH_PUBLIC_KEY=(\S+)", result.output).group(1)
    private = re.search(r"QIUXUE_WEBPUSH_PRIVATE_KEY=(\S+)", result.output).group(1)
    raw = base64.urlsafe_b64decode(public + "==")
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point: what browsers take as applicationServerKey
    assert len(base64.urlsafe_b64decode(private + "==")) == 32
