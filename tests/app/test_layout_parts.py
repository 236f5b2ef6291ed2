"""The layout's shared pieces (base.html's head links, footer and tab bar, app/sharedparts.py `layout_part`) are
made once, yet each page still gets its own active tab, its own language-switch links and its language."""

import re


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
