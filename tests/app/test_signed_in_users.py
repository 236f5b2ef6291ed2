"""The signed-in user is kept between requests (app/accounts/views.py, app/sharedparts.py) and never outlives a
change: a new name, a new role, a session ended here or by another process on the same data show on the very
next request; each cookie gets its own user. No `db` fixture: each request gets its own context, as in a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.accounts import organisations, service, sessions
from app.accounts.models import Role, User
from app.extensions import db as _db
from tests import factories
from tests.catalog.conftest import count_queries
from tests.conftest import TEST_DATABASE_URL, _config, post_form
from tests.waiting import wait_until


def _worker(app, name: str) -> tuple[int, str]:
    with app.app_context():
        user = factories.user("worker", name=name)
        _db.session.commit()
        return user.id, user.phone


def _login(client, phone: str) -> None:
    assert post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD}).status_code == 302


def test_the_user_is_kept_between_requests_and_each_cookie_gets_its_own(app):
    ids, clients = {}, {}
    for name in ("甲工人", "乙工人"):
        ids[name], phone = _worker(app, name)
        clients[name] = app.test_client()
        _login(clients[name], phone)
    for _round in range(2):
        for name, other in (("甲工人", "乙工人"), ("乙工人", "甲工人")):
            page = clients[name].get("/me").get_data(as_text=True)
            assert name in page and other not in page
    with app.app_context(), count_queries(_db.engine) as statements:
        clients["甲工人"].get("/catalog/all")
    assert not [s for s in statements if "FROM users" in s], statements  # the kept user: no query for it


def test_a_new_name_and_a_new_role_show_on_the_next_request(app, client):
    uid, phone = _worker(app, "改名前")
    _login(client, phone)
    assert "改名前" in client.get("/me").get_data(as_text=True)
    assert "还不能发布资源" in client.get("/catalog/manage").get_data(as_text=True)
    with app.app_context():
        user = _db.session.get(User, uid)
        user.name = "改名后"
        _db.session.commit()
    assert "改名后" in client.get("/me").get_data(as_text=True)
    with app.app_context():
        service.grant_role(_db.session, _db.session.get(User, uid), Role.institution_staff,
                           organisations.get_by_code(_db.session, "INST-T1"))
        _db.session.commit()
    assert "新建资源" in client.get("/catalog/manage").get_data(as_text=True)  # staff of an institution now


def test_a_session_ended_by_another_process_is_refused_at_once(app, client):
    uid, phone = _worker(app, "李小梅")
    _login(client, phone)
    assert client.get("/me").status_code == 200
    assert client.get("/me").status_code == 200  # the kept user
    other = create_app(_config(Path(app.config["DATA_DIR"])))
    with other.app_context():
        sessions.end_all(_db.session, _db.session.get(User, uid))
        _db.session.commit()
        _db.engine.dispose()
    assert client.get("/me").status_code == 302  # to the login page


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True)
def test_a_session_ended_on_another_host_is_refused_at_once_where_it_is_heard(app, client, tmp_path):
    """Another host shares no data folder: without the notification the user kept here would stay up to
    USER_SECONDS (5 s); "log out everywhere" there is heard here at once."""
    listener = app.extensions["parts_listener"]
    try:
        uid, phone = _worker(app, "李小梅")
        _login(client, phone)
        assert client.get("/me").status_code == 200
        assert wait_until(listener.hearing, 10)
        other = create_app({**_config(tmp_path / "other-host"), "SHARED_PARTS_LISTEN": False})
        assert client.get("/me").status_code == 200  # kept now, made while hearing (at most USER_SECONDS)
        with other.app_context():
            sessions.end_all(_db.session, _db.session.get(User, uid))
            _db.session.commit()
            _db.engine.dispose()
        assert wait_until(lambda: client.get("/me").status_code == 302, 3)  # to the login page
    finally:
        listener.stop()
