"""The micro-cache of public pages: anonymous visitors share a page for a few seconds; logged-in
users, other languages, flashed messages and errors never get someone else's page."""

import itertools

import pytest
from flask import Blueprint, flash

from app import pagecache


@pytest.fixture
def app(app):
    counter = itertools.count(1)
    bp = Blueprint("cachetest", __name__)

    @bp.get("/_cached")
    def cached():
        return f"render {next(counter)}"

    @bp.get("/_flash")
    def with_flash():
        flash("hi")
        return "flashed"

    app.register_blueprint(bp)
    app.extensions["page_cache"].ttl = 60
    pagecache.cacheable(app, "cachetest.cached")
    return app


def test_anonymous_visitors_share_one_render(client):
    first = client.get("/_cached")
    assert first.get_data(as_text=True) == "render 1"
    second = client.get("/_cached")
    assert second.get_data(as_text=True) == "render 1" and second.headers["X-Page-Cache"] == "hit"
    assert "Content-Security-Policy" in second.headers  # security headers still on cached pages
    assert client.get("/_cached?page=2").get_data(as_text=True) == "render 2"  # the query string is the key


def test_languages_are_cached_apart(client):
    client.get("/_cached")
    client.set_cookie("lang", "en")
    assert client.get("/_cached").get_data(as_text=True) == "render 2"


def test_logged_in_users_always_get_a_fresh_page(client, auth):
    client.get("/_cached")
    auth.as_role("worker")
    assert client.get("/_cached").get_data(as_text=True) == "render 2"
    assert client.get("/_cached").get_data(as_text=True) == "render 3"


def test_expired_pages_are_rendered_again(app, client):
    app.extensions["page_cache"].ttl = 0.000001
    client.get("/_cached")
    assert client.get("/_cached").get_data(as_text=True) == "render 2"


def test_a_pending_flash_message_bypasses_the_cache(client):
    client.get("/_cached")
    client.get("/_flash")
    assert client.get("/_cached").get_data(as_text=True) == "render 2"
