"""The SMS gateway: the embedded default (log + the admins' page of recent codes, numbers masked) and a real
gateway reached by URL, tested against an HTTP server on a loopback port."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app import sms
from app.accounts import continuity
from app.extensions import db as _db
from tests import factories
from tests.app.sms_codes import CODE, texts
from tests.conftest import post_form


class _Provider(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"], **json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider():
    _Provider.received, _Provider.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send", _Provider
    server.shutdown()
    server.server_close()


def test_a_configured_gateway_gets_json_and_the_stored_copy_loses_the_code(app, client, provider):
    url, handler = provider
    app.config["SMS_GATEWAY_URL"] = url
    response = post_form(client, "/auth/register", {"phone": "13912345678", "action": "send"})
    assert response.status_code == 200
    [message] = handler.received
    assert message["phone"] == "13912345678" and CODE.search(message["text"])
    assert message["type"].startswith("application/json")
    [kept] = texts(app, "13912345678")
    assert not CODE.search(kept) and "******" in kept


def test_a_failing_gateway_keeps_the_message_for_the_next_try(app, db, provider):
    url, handler = provider
    handler.status = 503
    continuity.send_register_code(db.session, "13912345678")
    db.session.commit()
    assert sms.deliver_pending(db.session, sms.HttpGateway(url)) == 0
    [waiting] = sms.recent(db.session)
    assert waiting.sent_at is None and "503" in waiting.error
    handler.status = 200
    assert sms.deliver_pending(db.session, sms.HttpGateway(url)) == 1
    assert sms.recent(db.session)[0].sent_at is not None


def test_admins_read_recent_codes_masked_for_the_support_desk(app, client, auth):
    post_form(client, "/auth/register", {"phone": "13912345678", "action": "send"})
    [text] = texts(app, "13912345678")
    code = CODE.search(text).group()
    auth.as_role("worker")
    assert client.get("/me/sms").status_code == 403
    auth.logout()
    auth.as_role("admin")
    page = client.get("/me/sms").get_data(as_text=True)
    assert "139****5678" in page and code in page and "13912345678" not in page


def test_the_embedded_gateway_writes_the_log(app, db, caplog):
    user = factories.user()
    _db.session.commit()
    with caplog.at_level("INFO", logger="app.sms"):
        continuity.send_reset_code(db.session, user.phone)
        db.session.commit()
        sms.deliver_pending(db.session, sms.gateway_for(app))
    assert any(user.phone in r.getMessage() and CODE.search(r.getMessage()) for r in caplog.records)
