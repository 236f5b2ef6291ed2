"""The search results page is made once per query, page, index version and catalog change and shared by
every viewer (search/views.py): a resource indexed, unpublished or a synonym added shows on the very next page,
and each signed-in viewer still sees only their own name around the results."""

from __future__ import annotations

import re

from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog import service
from catalog.models import Resource
from search import indexer, synonyms
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import Auth, post_form


def _text(response) -> str:
    """The page's text (a match is highlighted with <mark> inside a title)."""
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def _index(app) -> None:
    _db.session.commit()
    indexer.drain_all(_db.session, app.extensions["search"])


def test_a_resource_indexed_or_renamed_shows_on_the_next_signed_in_search(app, db, client, auth):
    make(title="叉车司机安全操作", publish=True)
    _index(app)
    auth.as_role("worker")
    for _ in range(2):  # the second from the shared part
        page = _text(client.get("/search?q=叉车"))
        assert "共 1 个结果" in page and "叉车司机" in page
    second = make(title="叉车日常保养", publish=True)
    db.session.commit()  # in the database, not yet in the index: the page made now must not outlive the index commit
    assert "共 1 个结果" in _text(client.get("/search?q=叉车"))
    indexer.drain_all(db.session, app.extensions["search"])
    page = _text(client.get("/search?q=叉车"))
    assert "共 2 个结果" in page and "日常保养" in page
    service.unpublish(db.session, SYSTEM, db.session.get(Resource, second.id), "过时")
    db.session.commit()
    assert "共 2 个结果" in _text(client.get("/search?q=叉车"))
    indexer.drain_all(db.session, app.extensions["search"])
    page = _text(client.get("/search?q=叉车"))
    assert "共 1 个结果" in page and "日常保养" not in page


def test_a_synonym_added_shows_on_the_next_search_page(app, db, client, auth):
    make(title="叉车司机安全操作", publish=True)
    _index(app)
    auth.as_role("admin")
    assert "叉车司机" not in _text(client.get("/search?q=举升车"))
    assert post_form(client, "/search/synonyms", {"term": "举升车", "targets": "叉车"}).status_code == 302
    page = _text(client.get("/search?q=举升车"))
    assert "叉车司机" in page and "也包括" in page


def test_two_workers_see_the_same_results_each_with_their_own_name(app):
    with app.app_context():
        make(title="低压电工作业安全培训", publish=True)
        _index(app)
        phones = {who: factories.user("worker", name=name).phone for who, name in (("a", "甲工人"), ("b", "乙工人"))}
        _db.session.commit()
    pages = {}
    for who in ("a", "b", "a"):
        client = app.test_client()
        Auth(app, client).login(phones[who])
        pages[who] = _text(client.get("/search?q=电工"))
    assert "低压电工" in pages["a"] and "低压电工" in pages["b"]
    assert "甲工人" in pages["a"] and "乙工人" not in pages["a"]
    assert "乙工人" in pages["b"] and "甲工人" not in pages["b"]
    synonyms.forget()
