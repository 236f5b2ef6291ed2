"""The search page, its JSON API, autocomplete, the staff's own-drafts search and the synonym admin page."""

from __future__ import annotations

from app.extensions import db
from search import indexer, synonyms
from tests.catalog.helpers import make
from tests.conftest import post_form


def _publish_some(app) -> dict[str, int]:
    ids = {
        "electrician": make(title="低压电工作业安全培训", kind="course", publish=True, credits="2").id,
        "forklift": make(title="叉车司机安全操作", publish=True, provider="INST-T2").id,
        "appliance": make(title="手持式用电工具安全使用", publish=True).id,
    }
    db.session.commit()
    indexer.drain_all(db.session, app.extensions["search"])
    return ids


def test_api_answers_with_results_facets_and_urls(app, db, client):
    ids = _publish_some(app)
    body = client.get("/api/v1/search?q=电工").get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 10
    hit = body["results"][0]
    assert hit["id"] == ids["electrician"] and hit["kind"] == "course" and hit["credits"] == 2.0
    assert hit["url"].endswith(f"/catalog/r/{ids['electrician']}") and hit["snippet"] == "一段简介"
    assert set(body["facets"]) == {"kind", "category", "industry", "audience", "provider", "credits"}
    assert body["facets"]["kind"] == {"course": 1} and body["suggestion"] is None


def test_api_filters_sorts_and_pages(app, db, client):
    ids = _publish_some(app)
    everything = client.get("/api/v1/search?q=安全&sort=newest").get_json()
    assert everything["total"] == 3
    only_t2 = client.get("/api/v1/search?q=安全&provider=INST-T2").get_json()
    assert [r["id"] for r in only_t2["results"]] == [ids["forklift"]]
    assert only_t2["facets"]["provider"] == {"INST-T1": 2, "INST-T2": 1}  # a facet ignores its own filter
    credits = client.get("/api/v1/search?q=安全&credits=1").get_json()
    assert [r["id"] for r in credits["results"]] == [ids["electrician"]]
    second = client.get("/api/v1/search?q=安全&per_page=2&page=2").get_json()
    assert second["page"] == 2 and len(second["results"]) == 1


def test_pinyin_initials_and_typos_through_the_api(app, db, client):
    ids = _publish_some(app)
    for query in ("diangong", "dian gong", "dg"):
        assert client.get(f"/api/v1/search?q={query}").get_json()["results"][0]["id"] == ids["electrician"]
    assert client.get("/api/v1/search?q=电工").get_json()["results"][0]["id"] != ids["appliance"]


def test_suggest_by_prefix_pinyin_and_initials(app, db, client):
    ids = _publish_some(app)
    for prefix in ("低压", "diya", "dy", "叉车"):
        found = client.get(f"/api/v1/search/suggest?q={prefix}").get_json()["suggestions"]
        assert found and found[0]["id"] in ids.values()
    assert client.get("/api/v1/search/suggest?q=").get_json() == {"suggestions": []}


def test_search_page_shows_chips_snippets_and_script(app, db, client):
    _publish_some(app)
    html = client.get("/search?q=安全").get_data(as_text=True)
    assert 'class="chip' in html and "<mark>" in html and "js/search." in html
    assert 'name="q"' in client.get("/search").get_data(as_text=True)
    assert "<script>" not in html  # no inline script (CSP)


def test_synonyms_are_edited_by_admins_and_apply_at_once(app, db, client, auth):
    _publish_some(app)
    assert client.get("/api/v1/search?q=铲车").get_json()["synonyms"] == []
    auth.as_role("admin")
    response = post_form(client, "/search/synonyms", {"term": "铲车", "targets": "叉车"})
    assert response.status_code == 302
    synonyms.forget()
    body = client.get("/api/v1/search?q=铲车").get_json()
    assert body["total"] == 1 and body["synonyms"] == [{"term": "铲车", "also": "叉车"}]


def test_synonym_page_is_for_admins_only(app, client, auth):
    auth.as_role("worker")
    assert client.get("/search/synonyms").status_code == 403


def test_staff_search_their_own_drafts(app, db, client, auth):
    draft = make(title="焊工安全草稿")
    make(title="焊工别家草稿", provider="INST-T2")
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    html = client.get("/search/mine?q=焊工").get_data(as_text=True)
    assert "焊工安全草稿" in html and "焊工别家草稿" not in html and str(draft.id) in html
    assert client.get("/api/v1/search?q=焊工").get_json()["total"] == 0  # never in public search


def test_a_colloquial_name_is_searched_on_the_page_with_one_note_for_what_it_also_found(app, db, client):
    """叉车工 is built in onto five names; the page says so once, not in five notes."""
    ids = _publish_some(app)
    html = client.get("/search?q=叉车工").get_data(as_text=True)
    assert f"/catalog/r/{ids['forklift']}" in html and html.count("的结果也包括") == 1
    assert "“叉车工”的结果也包括“起重装卸机械操作工”“叉车司机”" in html
    body = client.get("/api/v1/search?q=叉 车").get_json()  # spaced characters, through the API too
    assert [r["id"] for r in body["results"]] == [ids["forklift"]]
