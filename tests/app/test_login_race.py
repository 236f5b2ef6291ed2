"""Wrong passwords sent at the same moment, as an attack: each must count. authenticate read the count of failures,
checked the password (slow on purpose) and only then wrote the failure, so a burst of requests all counted "under
the limit": one known device (its device cookie, allowed its own failures apart from the number's ceiling) or one
address got as many guesses as requests it sent at once, not LOGIN_MAX_FAILURES per window."""

from __future__ import annotations

import contextlib
import threading

from app.accounts import device_cookies, service
from app.extensions import db as _db
from tests import factories
from tests.conftest import csrf_token, post_form

TOGETHER = 12
GUESSER = "198.51.100.9"


def _phone(app) -> str:
    with app.app_context():
        phone = factories.user().phone
        _db.session.commit()
    return phone


def _known_device_cookie(app, phone: str) -> str:
    """The device cookie a login from the owner's phone leaves (a thief holding that phone, or a copy of it)."""
    owner = app.test_client()
    assert post_form(owner, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302
    cookie = owner.get_cookie(device_cookies.COOKIE, path="/auth")
    assert cookie is not None
    post_form(owner, "/auth/logout", {}, source="/me")
    return cookie.value


def _guess_at_once(app, monkeypatch, phone: str, cookie: str | None) -> list[int]:
    """TOGETHER wrong passwords from one address (and `cookie`'s device), each request stopping after its password
    check until all have reached it (at most 2 s): they arrive at the same moment, as threads of the web server."""
    clients = []
    for _n in range(TOGETHER):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = GUESSER
        if cookie is not None:
            client.set_cookie(device_cookies.COOKIE, cookie, path="/auth")
        clients.append((client, csrf_token(client, "/auth/login")))
    barrier, original = threading.Barrier(TOGETHER, timeout=2), service.check_password_hash

    def then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(service, "check_password_hash", then_wait)
    answers: list[int] = []

    def guess(i: int) -> None:
        client, token = clients[i]
        answers.append(client.post("/auth/login", data={"csrf_token": token, "phone": phone,
                                                        "password": f"wrong-guess-{i}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(TOGETHER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    return sorted(answers)


def test_guesses_sent_at_once_from_a_known_device_get_five_tries_not_one_each(app, monkeypatch):
    phone = _phone(app)
    cookie = _known_device_cookie(app, phone)
    allowed = app.config["LOGIN_MAX_FAILURES"]
    assert _guess_at_once(app, monkeypatch, phone, cookie) == [400] * allowed + [429] * (TOGETHER - allowed)


def test_guesses_sent_at_once_from_one_address_get_five_tries_not_one_each(app, monkeypatch):
    phone = _phone(app)
    allowed = app.config["LOGIN_MAX_FAILURES"]
    assert _guess_at_once(app, monkeypatch, phone, None) == [400] * allowed + [429] * (TOGETHER - allowed)
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = GUESSER
    # the right password now waits too from there; the owner elsewhere still gets in at once
    assert post_form(guesser, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 429
    assert post_form(app.test_client(), "/auth/login",
                     {"phone": phone, "password": factories.PASSWORD}).status_code == 302
