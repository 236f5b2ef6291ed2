"""The layout's shared pieces (base.html's head links, footer and tab bar, app/layout_frame.py `Frame`) are
made once, yet each page still gets its own active tab, its own language-switch links and its language."""

import re

from flask import render_template_string, request

from app import assets
from app.assets import Fingerprints
from app.extensions import db
from tests import factories


def _current_tab(page: str) -> str:
    found = re.search(r'class="tab active"[^>]*aria-current="page">.*?<span>(.*?)</span>', page, re.S)
    assert found, "no active tab"
    return found.group(1)


def test_each_page_keeps_its_own_tab_and_links(client):
    for _round in range(2):  # the second round uses the pieces the first one made
        catalog = client.get("/catalog/").get_data(as_text=True)
        search = client.get("/search").get_data(as_text=True)
        assert _current_tab(catalog) == "目录" and _current_tab(search) == "搜索"
        assert "next=/catalog/" in catalog and "next=/search" in search and "next=/search" not in catalog
        assert catalog.count('rel="stylesheet"') == 1 and "/static/css/site." in catalog


def test_each_language_gets_its_own_pieces(client):
    assert _current_tab(client.get("/catalog/").get_data(as_text=True)) == "目录"
    client.set_cookie("lang", "en")
    english = client.get("/catalog/").get_data(as_text=True)
    assert _current_tab(english) != "目录" and 'lang="en" aria-current="true"' in english


def _signed_in(app, auth, role: str, name: str) -> None:
    with app.app_context():
        phone = factories.user(role=role, name=name).phone
        db.session.commit()
    assert auth.login(phone).status_code == 302


def test_the_same_frame_shows_each_viewer_their_own_links(app, client, auth):
    """The layout is made once per address (base.html's `Frame`), yet a visitor gets the sign-in link back to this
    page, a worker their own name and no desk, staff their own name and their desk, in turn on one address."""
    anonymous = client.get("/catalog/").get_data(as_text=True)
    assert "/auth/login?next=/catalog/" in anonymous and "data-user=" not in anonymous
    _signed_in(app, auth, "worker", "王小工")
    worker = client.get("/catalog/").get_data(as_text=True)
    assert "王小工</a>" in worker and "data-bell" in worker and "data-desk-link" not in worker
    assert "/auth/login?next" not in worker and "data-user=" in worker
    auth.logout()
    _signed_in(app, auth, "union_staff", "李干事")
    staff = client.get("/catalog/").get_data(as_text=True)
    assert "李干事</a>" in staff and "data-desk-link" in staff and "王小工" not in staff
    auth.logout()
    assert "flash-success" in client.get("/catalog/").get_data(as_text=True)  # 您已退出登录, once
    assert client.get("/catalog/").get_data(as_text=True) == anonymous


def test_the_static_folders_version_is_worked_out_once_outside_make_dev(tmp_path, monkeypatch):
    """Outside debug a deploy starts new processes, so the version (a walk of the whole folder) is not looked at
    again on a page; under `make dev` (watch) an edit shows."""
    monkeypatch.setattr(assets, "RECHECK_S", 0.0)  # as if a second passed between pages
    (tmp_path / "a.css").write_text("a", encoding="utf-8")
    still, watched = Fingerprints(tmp_path, watch=False), Fingerprints(tmp_path, watch=True)
    before = still.version_now(), watched.version_now()
    (tmp_path / "b.css").write_text("b", encoding="utf-8")
    assert still.version_now() == before[0] and watched.version_now() != before[1]


def test_the_tab_bar_is_shared_by_a_pages_addresses_and_each_keeps_its_way_back(client):
    for _round in range(2):  # the tab bar is kept per page (endpoint), the language links per address
        pages = {n: client.get(f"/catalog/all?page={n}").get_data(as_text=True) for n in (1, 2)}
        for n, page in pages.items():
            assert 'class="tab active"' not in page  # 全部资源 is no tab's own
            assert f"next=/catalog/all?page%3D{n}" in page and f"next=/catalog/all?page%3D{3 - n}" not in page
        assert _current_tab(client.get("/catalog/").get_data(as_text=True)) == "目录"


def test_each_address_gets_its_own_way_back_as_url_for_would_write_it(app, client):
    """The frame is made once per page, the address put in on each request: for addresses with quotes, ampersands,
    spaces and Chinese, the sign-in and language links are exactly what url_for and Jinja's escaping would write,
    and one address's links never show on another of the same page."""
    addresses = ["/search?q=电工 证&page=2", "/search?q=it's", "/search?q=a%26b<c>", "/search"]
    pages = {address: client.get(address).get_data(as_text=True) for address in addresses}
    for address, page in pages.items():
        with app.test_request_context(address):
            here = request.full_path.rstrip("?")
            expected = render_template_string(
                "{{ url_for('auth.login', next=here) }} {{ url_for('i18n.switch', code='en', next=here) }}",
                here=here).split()
        assert f'<a href="{expected[0]}">' in page and f'<a href="{expected[1]}" lang="en"' in page
        assert page.count("next=") == 3  # sign in, 中文, English: no other address's
    assert "/auth/login?next" not in client.get("/auth/login").get_data(as_text=True)
