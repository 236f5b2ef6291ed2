"""A published resource's page answered beneath Flask to a signed-in worker (app/viewer_pages.py, registered by
learning): kept for everyone with the same rights on it, the enrol box the learner's own piece. Byte for byte what
Flask renders for them, their own form token and name in it, the view counted; never once it would differ: an
enrolment, a change to the resource, a new role, another language."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.accounts import organisations, service
from app.accounts.models import Role, User
from app.extensions import db as _db
from catalog.models import Resource
from tests.app.test_viewer_pages import PHONE, _answered_here, _by_flask, _headers, _layer, _text, _worker
from tests.catalog.helpers import make


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def tokens(app):
    if app.extensions.get("person_tokens") is None:
        pytest.skip("PostgreSQL: no learners' change tokens, so the enrol box is not kept and Flask answers")


def _once(client, url: str, **kw) -> None:
    """Flask's page, which keeps the viewer's rights, their state and enrol box, and the page itself."""
    assert client.get(url, **kw).status_code == 200


def _views(app: Flask, resource_id: int) -> int:
    return app.extensions["catalog_views"]._pending[resource_id]


def test_another_workers_first_visit_has_their_own_form_token_name_and_view_counted(app, course, tokens):
    """The page one worker's visits kept is answered to another on their first visit to it, once what they opened
    before kept their top bar (a list page), their own state and form token (another resource's page)."""
    url = f"/catalog/r/{course}"
    with app.app_context():
        other = make(title="焊工基础", kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    first, _uid = _worker(app, "王一")
    second, uid = _worker(app, "李二")
    for before in ("/catalog/all", f"/catalog/r/{other}"):  # their top bar kept, then their own state and token
        assert second.get(before).status_code == 200
    for headers in (PHONE, {}):
        _once(first, url, headers=headers)  # Flask's: the rights of a worker without a role kept, and the page
        counted = _views(app, course)
        here = _answered_here(app, second, url, headers=headers)
        assert _views(app, course) == counted + 1  # the view counted as Flask's view counts it
        flask = _by_flask(app, second, url, headers=headers)
        assert here.get_data() == flask.get_data() and _headers(here) == _headers(flask)
        page, theirs = _text(here), _text(first.get(url, headers=headers))
        assert "立即学习" in page and "李二" in page and "王一" not in page and f'data-user="{uid}"' in page
        assert _token(page) != _token(theirs)  # each session's own form token, in its own enrol box
    # the form posted from the page answered here enrols
    assert second.post(f"/learning/enrol/{course}", data={"csrf_token": _token(page)}).status_code == 302


def test_an_enrolment_a_change_and_a_new_role_show_at_once(app, course, tokens):
    url = f"/catalog/r/{course}"
    first, uid = _worker(app, "王一")
    _once(first, url)
    page = _text(_answered_here(app, first, url))
    assert first.post(f"/learning/enrol/{course}", data={"csrf_token": _token(page)}).status_code == 302
    page = _text(first.get(url))
    assert "继续学习" in page and "已完成 0 / " in page and "立即学习" not in page and "报名成功" in page
    first.get(url)
    page = _text(_answered_here(app, first, url))  # enrolled: kept again, and answered here
    assert page == _text(_by_flask(app, first, url)) and "继续学习" in page
    with app.app_context():
        _db.session.get(Resource, course).title = "电工进阶"
        _db.session.commit()
    assert "电工进阶" in _text(first.get(url))
    with app.app_context():  # a union's staff now: the page shows the 管理 box with its 下架 form
        user = _db.session.get(User, uid)
        service.grant_role(_db.session, user, Role.union_staff, organisations.get_by_code(_db.session, "330100"))
        _db.session.commit()
    answered = _layer(app).answered
    for _ in range(3):
        page = _text(first.get(url))
        assert "管理" in page and "下架" in page
    assert _layer(app).answered == answered  # a desk's count and a form token outside the box: Flask's, always


def test_another_resource_changed_keeps_the_page_and_another_language_is_its_own(app, course, tokens):
    url = f"/catalog/r/{course}"
    first, _uid = _worker(app, "王一")
    with app.app_context():
        other = make(title="焊工基础", kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    _once(first, url)
    with app.app_context():
        _db.session.get(Resource, other).title = "焊工进阶"
        _db.session.commit()
    _answered_here(app, first, url)  # another resource's change is not this page's
    first.set_cookie("lang", "en")
    _once(first, url)
    english = _text(_answered_here(app, first, url))
    assert english == _text(_by_flask(app, first, url)) and "立即学习" not in english


def test_an_unpublished_resource_and_a_missing_one_stay_flasks(app, course, tokens):
    first, _uid = _worker(app, "王一")
    with app.app_context():
        draft = make(title="草稿课", kind="course", lesson_count=1).id
        _db.session.commit()
    answered = _layer(app).answered
    for _ in range(3):
        assert first.get(f"/catalog/r/{draft}").status_code == 404
        assert first.get("/catalog/r/99999").status_code == 404
    assert _layer(app).answered == answered


def test_on_postgresql_flask_answers(app, course):
    if app.extensions.get("person_tokens") is not None:
        pytest.skip("SQLite: answered beneath Flask (the tests above)")
    first, _uid = _worker(app, "王一")
    answered = _layer(app).answered
    for _ in range(3):
        assert "立即学习" in _text(first.get(f"/catalog/r/{course}"))
    assert _layer(app).answered == answered
