"""What a signed-in worker meets on the search results page: each link goes where it says (a result to its resource,
a facet chip to the results narrowed by it with the count it showed, a chosen chip back, a sort, the pager keeping
the query and the filters), the facets' labels in Chinese and in English, and a renamed category or a new provider
shown by its name on the next search (search/views.py `_Links`, search/facet_labels.py)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog import categories
from search import indexer
from tests.catalog.helpers import make


def _index(app) -> None:
    _db.session.commit()
    indexer.drain_all(_db.session, app.extensions["search"])


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _total(page: str) -> int:
    return int(re.search(r"共 (\d+) 个结果", page).group(1))


def _chips(page: str, title: str) -> dict[str, tuple[str, int]]:
    """The chips of the facet headed `title`: label -> (address, count); a chosen chip's label says so first."""
    facet = re.search(rf"<h3>{re.escape(title)}</h3>(.*?)</ul>", page, re.S)
    assert facet, f"no facet {title}"
    return {re.sub(r"<[^>]+>", "", label).strip(): (html.unescape(href), int(count)) for href, label, count in
            re.findall(r'<a class="chip[^"]*"[^>]* href="([^"]+)">(.*?) <span class="count">(\d+)</span>',
                       facet.group(1))}


def _links(page: str, css: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'<a class="{css}"[^>]* href="([^"]+)"', page)]


def _args(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def _publish(app) -> dict[str, int]:
    """Made in an app context of its own: the requests then run as a server runs them, each in its own context
    (the `db` fixture's context would be shared by every request, and with it the first request's language)."""
    with app.app_context():
        return _published(app)


def _published(app) -> dict[str, int]:
    ids = {
        "forklift": make(title="叉车司机安全操作", publish=True, category="skills-logistics").id,
        "care": make(title="叉车日常保养", kind="course", publish=True, provider="INST-T2", credits="2",
                     category="skills-construction").id,
    }
    for i in range(12):  # two pages of 安全
        make(title=f"安全生产第{i + 1}讲", publish=True, category="skills-construction")
    _index(app)
    return ids


def test_each_link_goes_where_it_says(app, client, auth):
    ids = _publish(app)
    auth.as_role("worker")
    for _ in range(2):  # made, then from the shared part
        page = _page(client, "/search?q=叉车")
        assert sorted(_links(page, "result-title")) == sorted(f"/catalog/r/{i}" for i in ids.values())
    assert "叉车日常保养" in _page(client, f"/catalog/r/{ids['care']}")

    kinds = _chips(page, "类型")
    assert set(kinds) == {"微课", "网络课程"} and kinds["网络课程"][1] == 1
    narrowed = _page(client, kinds["网络课程"][0])
    assert _total(narrowed) == 1 and _links(narrowed, "result-title") == [f"/catalog/r/{ids['care']}"]
    chosen = _chips(narrowed, "类型")["已选：网络课程"]
    assert 'aria-current="true"' in narrowed and _args(chosen[0]) == {"q": ["叉车"]}  # chosen: a click takes it away
    assert _total(_page(client, chosen[0])) == 2

    sorts = _links(page, "chip") + _links(page, "chip on")
    newest = next(h for h in sorts if _args(h).get("sort") == ["newest"])
    assert _args(newest) == {"q": ["叉车"], "sort": ["newest"]}
    assert re.search(r'<a class="chip on" aria-current="true" href="[^"]+">最新发布</a>', _page(client, newest))


def test_the_pager_keeps_the_query_filters_and_sort(app, client, auth):
    _publish(app)
    auth.as_role("worker")
    first = _page(client, "/search?q=安全&category=skills-construction&sort=newest")
    assert "第 1 / 2 页" in first and _total(first) == 12
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    assert _args(html.unescape(following)) == {"q": ["安全"], "category": ["skills-construction"],
                                               "sort": ["newest"], "page": ["2"]}
    second = _page(client, html.unescape(following))
    assert "第 2 / 2 页" in second and len(_links(second, "result-title")) == 2
    back = html.unescape(re.search(r'rel="prev" href="([^"]+)"', second).group(1))
    assert _args(back)["page"] == ["1"] and _args(back)["category"] == ["skills-construction"]
    assert set(_links(_page(client, back), "result-title")) == set(_links(first, "result-title"))


def test_facet_labels_read_in_chinese_and_in_english(app, client, auth):
    _publish(app)
    auth.as_role("worker")
    page = _page(client, "/search?q=叉车")
    assert set(_chips(page, "目录")) == {"岗位技能", "物流", "建筑"}
    assert set(_chips(page, "提供单位")) == {"测试职业技术学院", "另一所技师学院"}
    assert set(_chips(page, "学分")) == {"有学分", "无学分"}
    assert "网络课程 · 另一所技师学院 · 2 学分" in page

    client.get("/lang/en?next=/")
    page = _page(client, "/search?q=叉车")
    assert set(_chips(page, "Catalog")) == {"Job skills", "Logistics", "Construction"}
    assert set(_chips(page, "Kind")) == {"Micro-course", "Course"}
    assert set(_chips(page, "Credits")) == {"Credit-bearing", "No credits"}
    assert set(_chips(page, "Provider")) == {"测试职业技术学院", "另一所技师学院"}  # as written
    assert "物流" not in page and "网络课程" not in page
    client.get("/lang/zh_CN?next=/")
    assert "物流" in _page(client, "/search?q=叉车")


def test_a_renamed_category_and_a_new_provider_show_by_name_on_the_next_search(app, client, auth):
    with app.app_context():
        make(title="叉车司机安全操作", publish=True, category="skills-logistics")
        _index(app)
    auth.as_role("worker")
    page = _page(client, "/search?q=叉车")
    assert set(_chips(page, "目录")) == {"岗位技能", "物流"} and set(_chips(page, "提供单位")) == {"测试职业技术学院"}

    with app.app_context():
        categories.rename(_db.session, SYSTEM, categories.get(_db.session, "skills-logistics"), "物流仓储")
        make(title="叉车日常保养", publish=True, provider="INST-T2", category="skills-logistics")
        _index(app)
    page = _page(client, "/search?q=叉车")
    assert {label: n for label, (_href, n) in _chips(page, "目录").items()} == {"岗位技能": 2, "物流仓储": 2}
    assert set(_chips(page, "提供单位")) == {"测试职业技术学院", "另一所技师学院"}


def test_a_nul_in_the_query_is_refused_and_a_typed_percent_sign_is_not(app, client, auth):
    """The NUL check reads the query only when its text could hold one (app/security.py)."""
    auth.as_role("worker")
    assert client.get("/search?q=%E5%8F%89%E8%BD%A6%00").status_code == 400
    assert client.get("/search?q=%E5%8F%89&kind=%00").status_code == 400
    page = _page(client, "/search?q=%2500%E5%8F%89")  # 「%00叉」 as typed: text, not a NUL
    assert 'value="%00叉"' in page
