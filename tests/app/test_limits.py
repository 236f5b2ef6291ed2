"""Rate limits (app/limits.py): over a limit a request is answered 429 `too_many_requests` (操作太频繁 on a page),
whom each limit counts, and, on Redis, one limit for every host: two apps ("hosts") sharing Redis count together.
Each test runs on the in-memory storage and on a real Redis (skipped, saying why, when none answers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from app import create_app
from app.extensions import db
from app.limits import LIMITS
from tests import factories
from tests.conftest import Auth, _config, csrf_token, post_form

REDIS_URL = os.environ.get("QIUXUE_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


@pytest.fixture
def key_prefix() -> str:
    """Each test counts under its own prefix: tests running at once in other pytest workers (or the other
    database's pass) share DB 11, and flushing it under them wiped their counts mid-test."""
    return f"qiuxue-test-{uuid.uuid4().hex}"


@pytest.fixture
def redis_url(key_prefix: str) -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL} ({error})")
    yield REDIS_URL
    for key in client.scan_iter(match=f"*{key_prefix}*"):  # this test's counts only
        client.delete(key)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def storage(request) -> str:
    return "" if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
def host(app: Flask, key_prefix: str) -> Iterator[Callable[..., Flask]]:
    """Make another app on the same data and database as `app`: a second web host (or process)."""
    made: list[Flask] = []

    def make(redis_url: str, **config) -> Flask:
        made.append(create_app({**_config(app.config["DATA_DIR"]), "REDIS_URL": redis_url,
                                "RATELIMIT_KEY_PREFIX": key_prefix, **config}))
        return made[-1]

    yield make
    for site in made:
        with site.app_context():
            db.session.remove()
            db.engine.dispose()  # its PostgreSQL connections close now, not when collected


def _wrong_login(client, phone: str = "13800009999"):
    return post_form(client, "/auth/login", {"phone": phone, "password": "wrong-password"},
                     headers={"Accept": "application/json"})


def test_every_limit_guards_a_real_view(app):
    for limit in LIMITS:
        assert limit.endpoint in app.view_functions, limit
        assert limit.setting in app.config, limit


def test_logins_past_the_limit_are_refused_with_a_stable_code(host, storage):
    site = host(storage, RATE_LIMIT_LOGIN="3 per hour")
    client = site.test_client()
    for _ in range(3):
        assert _wrong_login(client).status_code == 400  # a wrong password, counted
    refused = _wrong_login(client)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    page = post_form(client, "/auth/login", {"phone": "13800009999", "password": "x"})
    assert page.status_code == 429 and "操作太频繁" in page.get_data(as_text=True)
    assert client.get("/auth/login").status_code == 200  # only POSTs are counted


def test_the_login_limit_counts_per_address(host, storage):
    site = host(storage, RATE_LIMIT_LOGIN="2 per hour")
    client = site.test_client()
    for _ in range(2):
        _wrong_login(client)
    assert _wrong_login(client).status_code == 429
    other = site.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert _wrong_login(other).status_code == 400


def test_heartbeats_are_limited_per_learner(host, storage):
    site = host(storage, RATE_LIMIT_HEARTBEAT="2 per hour")
    with site.app_context():
        phones = [factories.user("worker").phone for _ in range(2)]
        db.session.commit()
    first, second = site.test_client(), site.test_client()  # one address: a family's phones behind one router
    for client, phone in ((first, phones[0]), (second, phones[1])):
        assert post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302
    token = _page_token(first)
    answers = [first.post("/api/v1/progress", json={}, headers={"X-CSRFToken": token}).status_code
               for _ in range(3)]
    assert answers[:2] == [400, 400] and answers[2] == 429  # malformed, but counted; then refused
    again = first.post("/api/v1/progress", json={}, headers={"X-CSRFToken": token})
    assert again.get_json()["error"]["code"] == "too_many_requests"
    other = second.post("/api/v1/progress", json={}, headers={"X-CSRFToken": _page_token(second)})
    assert other.status_code == 400  # the other learner has their own count


def _page_token(client) -> str:
    return csrf_token(client, "/me")  # the logout form's: one token per session serves the API too


def test_two_hosts_sharing_redis_see_one_limit(host, redis_url, caplog):
    one = host(redis_url, RATE_LIMIT_LOGIN="4 per hour")
    two = host(redis_url, RATE_LIMIT_LOGIN="4 per hour")
    first, second = one.test_client(), two.test_client()
    answers = [_wrong_login(client) for client in (first, second, first, second, first, second)]
    # once in CI a fifth answer was 400: the codes and the log say why, should it happen again
    why = [(answer.status_code, (answer.get_json(silent=True) or {}).get("error")) for answer in answers], caplog.text
    assert [answer.status_code for answer in answers] == [400, 400, 400, 400, 429, 429], why


def test_without_redis_each_process_counts_alone(host):
    """The embedded default: memory in each process (what `make run`, one process, needs)."""
    one = host("", RATE_LIMIT_LOGIN="2 per hour")
    two = host("", RATE_LIMIT_LOGIN="2 per hour")
    first, second = one.test_client(), two.test_client()
    assert [_wrong_login(first).status_code for _ in range(3)] == [400, 400, 429]
    assert _wrong_login(second).status_code == 400


def test_an_unreachable_redis_does_not_refuse_every_request(host):
    site = host("redis://127.0.0.1:1/0", RATE_LIMIT_LOGIN="2 per hour")
    client = site.test_client()
    assert [_wrong_login(client).status_code for _ in range(3)] == [400, 400, 429]  # counted in memory meanwhile


def test_uploads_started_are_limited_per_user_but_their_patches_are_not(host, storage):
    site = host(storage, RATE_LIMIT_UPLOAD="2 per hour")
    client = site.test_client()
    Auth(site, client).as_role("institution_staff")
    tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "4"}
    first = client.post("/api/v1/uploads/", headers=tus)
    assert first.status_code == 201
    for offset in range(4):  # PATCHes of a started upload are never counted
        patch = client.patch(first.headers["Location"], data=b"x", headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        assert patch.status_code == 204
    assert client.post("/api/v1/uploads/", headers=tus).status_code == 201
    refused = client.post("/api/v1/uploads/", headers=tus)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
