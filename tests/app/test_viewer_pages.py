"""Signed-in list pages, menu sections, search results and 我的学习 answered beneath Flask (app/viewer_pages.py): the
page one worker's visit kept is answered to another worker with their own name and bell (我的学习 to its learner
alone), byte for byte what Flask renders for them, and never once it would differ: a change to the catalog or to the
learner's rows, a new name, a logout, a flashed message, an unread message about the page, a desk, another language,
a forged or stale cookie."""

from __future__ import annotations

from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.accounts import sessions
from app.accounts.models import User
from app.extensions import db as _db
from app.notifications import notify
from app.notifications.kinds import ENQUIRY as KIND
from app.viewer_pages import DONE_HERE, ViewerPages
from catalog.models import Resource
from learning import enrolment
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, Auth, _config

PHONE = {"Accept-Encoding": "gzip, deflate, br, zstd"}
PAGES = ("/catalog/all", "/catalog/all?page=1&sort=newest", "/catalog/menu/skills", "/search?q=%E7%94%B5%E5%B7%A5",
         "/catalog/province")


def _layer(app: Flask) -> ViewerPages:
    return app.extensions["viewer_pages"]


def _worker(app: Flask, name: str) -> tuple[FlaskClient, int]:
    with app.app_context():
        user = factories.user("worker", name=name)
        phone, uid = user.phone, user.id
        _db.session.commit()
    client = app.test_client()
    assert Auth(app, client).login(phone).status_code == 302
    return client, uid


def _text(response) -> str:
    body = response.get_data()
    return (brotli.decompress(body) if response.headers.get("Content-Encoding") == "br" else body).decode()


def _by_flask(app: Flask, client: FlaskClient, url: str, **kw):
    """The same request answered by Flask itself."""
    _layer(app).enabled = False
    try:
        return client.get(url, **kw)
    finally:
        _layer(app).enabled = True


def _answered_here(app: Flask, client: FlaskClient, url: str, **kw):
    before = _layer(app).answered
    response = client.get(url, **kw)
    assert _layer(app).answered == before + 1, url
    return response


def _headers(response) -> dict[str, str]:
    """The headers two answers must share: not the request id, the cookie's signature or the second it was sent."""
    return {k: v for k, v in response.headers.items() if k not in ("X-Request-ID", "Set-Cookie", "Date")} | {
        "Date": "sent" if "Date" in response.headers else "not sent"}


@pytest.fixture
def course(app):
    with app.app_context():
        made = make(title="电工入门", kind="course", lesson_count=1, publish=True)
        _db.session.commit()
        return made.id


def test_another_workers_page_is_their_own_byte_for_byte_as_flask_makes_it(app, course):
    first, _uid = _worker(app, "王一")
    second, uid = _worker(app, "李二")
    for url in PAGES:
        for headers in (PHONE, {}):
            assert first.get(url, headers=headers).status_code == 200  # Flask's, kept
            second.get(url, headers=headers)  # Flask's: this viewer's own pieces are kept now
            here = _answered_here(app, second, url, headers=headers)
            flask = _by_flask(app, second, url, headers=headers)
            assert here.status_code == flask.status_code == 200
            assert here.get_data() == flask.get_data(), url  # compressed alike
            assert _headers(here) == _headers(flask), url
            assert here.headers["Content-Encoding" if headers else "Content-Type"] == (
                "br" if headers else "text/html; charset=utf-8")
            page = _text(here)
            assert f'data-user="{uid}"' in page and "李二" in page and "王一" not in page
            assert here.headers["X-Request-ID"] and here.headers["X-Content-Type-Options"] == "nosniff"
    assert "电工入门" in _text(second.get("/catalog/all", headers=PHONE))


def test_a_permanent_session_is_refreshed_as_flask_refreshes_it(app, course):
    first, _uid = _worker(app, "王一")
    with first.session_transaction() as session:
        session.permanent = True  # sent again with every answer (SESSION_REFRESH_EACH_REQUEST)
    first.get("/catalog/all")
    first.get("/catalog/all")
    here = _answered_here(app, first, "/catalog/all")
    flask = _by_flask(app, first, "/catalog/all")
    cookie, expected = here.headers["Set-Cookie"], flask.headers["Set-Cookie"]
    assert cookie.split("=")[0] == expected.split("=")[0] == app.config["SESSION_COOKIE_NAME"]
    assert cookie.split(";", 1)[1] == expected.split(";", 1)[1]  # the same attributes and lifetime
    assert _headers(here) == _headers(flask) and here.get_data() == flask.get_data()


def test_a_change_to_the_catalog_shows_on_the_next_page(app, course):
    first, _uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
        first.get("/catalog/province")
    assert "电工入门" in _text(_answered_here(app, first, "/catalog/all"))
    province = _text(_answered_here(app, first, "/catalog/province"))
    with app.app_context():
        _db.session.get(Resource, course).title = "电工进阶"
        make(title="叉车司机", kind="course", lesson_count=1, publish=True)  # one more published course
        _db.session.commit()
    page = _text(first.get("/catalog/all"))
    assert "电工进阶" in page and "电工入门" not in page
    assert _text(first.get("/catalog/province")) != province  # the totals counted again


def test_a_new_name_a_new_message_and_a_logout_show_at_once(app, course):
    first, uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    with app.app_context():
        _db.session.get(User, uid).name = "王一改"
        _db.session.commit()
    assert "王一改" in _text(first.get("/catalog/all"))
    with app.app_context():
        notify(_db.session, uid, KIND, "测试消息", "/learning")
        _db.session.commit()
    first.get("/catalog/all")
    assert "1条未读" in _text(_answered_here(app, first, "/catalog/all"))
    stolen = first.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    Auth(app, first).logout()
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)  # the cookie of a session logged out
    for _ in range(2):
        page = _text(other.get("/catalog/all"))
        assert "王一改" not in page and 'data-user="' not in page


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="another process on one data folder: SQLite's single host")
def test_a_session_ended_by_another_process_gets_no_kept_page(app, course):
    """"Log out everywhere" done by another process of the host (a second web process, the CLI): the kept top bar
    goes with the kept user at once, and the old cookie gets the anonymous page."""
    first, uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    _answered_here(app, first, "/catalog/all")
    other = create_app(_config(Path(app.config["DATA_DIR"])))
    with other.app_context():
        sessions.end_all(_db.session, _db.session.get(User, uid))
        _db.session.commit()
        _db.engine.dispose()
    answered = _layer(app).answered
    page = _text(first.get("/catalog/all"))
    assert "王一" not in page and 'data-user="' not in page and _layer(app).answered == answered


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="another process on one data folder: SQLite's single host")
def test_a_course_withdrawn_by_another_process_is_gone_after_the_change_file_started_again(app, course):
    """A reviewer's attack: another process's edits elsewhere start the generation file again twice while this
    process serves nothing, and ext4 hands the new file the inode this process last read, smaller than it read it:
    that passed for "a request's older look", and the course withdrawn next stayed on show for an hour (beneath
    Flask and in Flask). Started-again files now only ever grow, holes on disk."""
    from app.generation_files import FILE_LIMIT
    from catalog.models import ResourceStatus

    gen = Path(app.config["DATA_DIR"]) / "cache" / "shared-parts.generation"
    other = create_app(_config(Path(app.config["DATA_DIR"])))  # another web process, or the CLI, of the host
    theirs = other.extensions["shared_parts"]
    with other.app_context():
        while not gen.exists() or gen.stat().st_size < FILE_LIMIT - 5000:  # edits to another resource
            theirs.changed(frozenset({999_999}))
    worker, _uid = _worker(app, "王一")
    url = f"/catalog/r/{course}"
    for _ in range(3):
        assert worker.get(url).status_code == 200
    _answered_here(app, worker, url)
    read = gen.stat()
    starts = 0
    with other.app_context():
        while starts < 2 or (gen.stat().st_ino != read.st_ino and starts < 20):  # the inode again, if it comes
            inode = gen.stat().st_ino
            theirs.changed(frozenset({999_999}))
            starts += gen.stat().st_ino != inode
        assert gen.stat().st_size > read.st_size and gen.stat().st_blocks * 512 < FILE_LIMIT
        _db.session.get(Resource, course).status = ResourceStatus.withdrawn
        _db.session.commit()
        _db.engine.dispose()
    assert worker.get(url).status_code == 404


def test_an_unread_message_about_the_page_is_read_by_opening_it(app, course):
    first, uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    with app.app_context():
        notify(_db.session, uid, KIND, "新课上架", "/catalog/all")
        _db.session.commit()
    passed = _layer(app).answered
    assert "1条未读" in _text(first.get("/catalog/all"))  # Flask's page: its hook reads the message
    assert _layer(app).answered == passed
    assert "条未读" not in _text(first.get("/catalog/all"))


def test_a_flashed_message_another_language_and_a_desk_go_to_flask(app, course):
    first, _uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    with first.session_transaction() as session:
        session["_flashes"] = [("info", "已保存")]
    assert "已保存" in _text(first.get("/catalog/all"))
    first.set_cookie("lang", "en")
    for _ in range(3):
        page = _text(first.get("/catalog/all"))
        assert "全部资源" not in page and '<html lang="en">' in page
    staff, _client_auth = app.test_client(), None
    Auth(app, staff).as_role("institution_staff")
    answered = _layer(app).answered
    for _ in range(3):
        assert "data-desk-link" in _text(staff.get("/catalog/all"))
    assert _layer(app).answered == answered  # a desk's count is not kept: Flask makes each


def test_forged_cookies_and_odd_requests_are_flasks(app, course):
    first, _uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    name = app.config["SESSION_COOKIE_NAME"]
    forged = app.test_client()
    forged.set_cookie(name, first.get_cookie(name).value[:-3] + "abc")
    assert 'data-user="' not in _text(forged.get("/catalog/all"))
    answered = _layer(app).answered
    assert first.get("/catalog/all?q=%00").status_code == 400
    assert first.get("/catalog/all", headers={"Range": "bytes=0-10"}).status_code in (200, 206)
    first.get("/catalog/all", headers={"User-Agent": "another phone"})  # the session protection's identifier
    assert first.head("/catalog/all").status_code == 200
    assert _layer(app).answered == answered


def test_a_hook_not_done_here_keeps_every_page_on_flasks_path(app, course):
    first, _uid = _worker(app, "王一")
    for _ in range(3):
        first.get("/catalog/all")
    _answered_here(app, first, "/catalog/all")
    seen = []

    def new_rule() -> None:
        seen.append(1)

    app.before_request_funcs[None].append(new_rule)  # as a later change might add one
    answered = _layer(app).answered
    first.get("/catalog/all")
    assert seen and _layer(app).answered == answered
    assert ("app.viewer_pages", "init_app.<locals>.cut") in DONE_HERE


def _enrol(app: Flask, uid: int, resource_id: int) -> None:
    with app.app_context():
        enrolment.enrol(_db.session, _db.session.get(User, uid), resource_id)
        _db.session.commit()


def test_my_learning_opened_again_unchanged_is_answered_here_and_stays_the_learners_own(app, course):
    """我的学习 is one learner's page: kept for them alone under their change token (SQLite), so another learner
    never gets it, and anything they do (an enrolment here) shows on the next visit."""
    first, uid = _worker(app, "王一")
    second, other = _worker(app, "李二")
    _enrol(app, uid, course)
    for _ in range(2):
        assert "电工入门" in _text(first.get("/learning", headers=PHONE))
    if app.extensions.get("person_tokens") is None:  # PostgreSQL: no change tokens, every visit is Flask's
        answered = _layer(app).answered
        first.get("/learning")
        assert _layer(app).answered == answered
        return
    here = _answered_here(app, first, "/learning", headers=PHONE)
    flask = _by_flask(app, first, "/learning", headers=PHONE)
    assert here.get_data() == flask.get_data() and _headers(here) == _headers(flask)
    for _ in range(2):
        page = _text(second.get("/learning"))
        assert "电工入门" not in page and "王一" not in page and f'data-user="{other}"' in page
    with app.app_context():
        second_course = make(title="焊工基础", kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    first.get("/learning")
    _answered_here(app, first, "/learning")
    _enrol(app, uid, second_course)
    assert "焊工基础" in _text(first.get("/learning"))  # their own change: made again
    with app.app_context():
        _db.session.get(Resource, course).title = "电工进阶"
        _db.session.commit()
    page = _text(first.get("/learning"))
    assert "电工进阶" in page and "电工入门" not in page
