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


def test_a_kept_page_answered_before_flask_is_the_same_answer(app, client):
    """The second request is answered by the WSGI layer (`answer_early`): the same body and headers as the kept
    page (security headers included), its own request id, and counted in /metrics like any request."""
    counted = _count(client)
    first = client.get("/_cached")
    hits = [client.get("/_cached") for _ in range(2)]
    assert [hit.get_data(as_text=True) for hit in hits] == ["render 1"] * 2
    assert all(hit.headers["X-Page-Cache"] == "hit" for hit in hits)
    for name in ("Content-Security-Policy", "Content-Type", "Cache-Control", "Vary"):
        assert hits[1].headers[name] == first.headers[name], name
    ids = {response.headers["X-Request-ID"] for response in (first, *hits)}
    assert len(ids) == 3
    assert _count(client) == counted + 3


def _count(client) -> float:
    """This process's count of the test page's answers (the metrics are the process's, across tests)."""
    line = 'qiuxue_http_requests_total{endpoint="cachetest.cached",method="GET",status="200"} '
    found = [row for row in client.get("/metrics").get_data(as_text=True).splitlines() if row.startswith(line)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


def test_a_page_that_sets_a_cookie_is_never_answered_before_flask(app, client):
    """Kept for visitors without a cookie, but the answer that set one is not replayed as is: it carried the
    cookie meant for that visitor only."""
    from flask import session

    def with_cookie():
        session["seen"] = True
        return "once"

    app.add_url_rule("/_sets_cookie", "cachetest.sets_cookie", with_cookie)
    pagecache.cacheable(app, "cachetest.sets_cookie")
    assert "Set-Cookie" in client.get("/_sets_cookie").headers
    other = app.test_client()
    assert "Set-Cookie" not in other.get("/_sets_cookie").headers


def test_a_long_cookie_header_is_left_to_flask(client):
    """The early answers are found by the raw request: one with a long Cookie header is not kept for that (each
    distinct one would be held), yet still gets the kept page, from Flask."""
    client.set_cookie("odd", "x" * 2000)
    client.get("/_cached")
    assert client.application.extensions["page_cache"]._early == {}
    assert client.get("/_cached").get_data(as_text=True) == "render 1"


def test_a_page_made_for_a_forged_host_is_never_sent_to_another_host(app, client):
    """The news feed's links are absolute: rendered for `Host: evil.example` it was kept, and the next anonymous
    visitor on the real host got the attacker's links (web cache poisoning, before Flask and in it). Each host
    now keeps its own copy."""
    from flask import url_for

    app.extensions["page_cache"].ttl = 60
    with app.test_request_context():
        path = url_for("programme_support.news_feed")
    for _ in range(2):  # the second answered before Flask, as the early layer learns it
        poisoned = app.test_client().get(path, base_url="http://evil.example")
        assert poisoned.status_code == 200 and b"evil.example" in poisoned.data
    for _ in range(2):
        real = client.get(path)
        assert b"evil.example" not in real.data and b"localhost" in real.data
    assert real.headers.get("X-Page-Cache") == "hit"  # its own copy is kept and served
