"""Open publishing without login: the JSON API, CSV/XLSX downloads, the Atom feed and JSON-LD."""

import csv
import io
import json
import re

import pytest
from lxml import etree
from openpyxl import load_workbook

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import union_catalogs
from tests.catalog.helpers import make


@pytest.fixture
def catalog(db):
    a = make(title="=HYPERLINK(\"http://evil\")", publish=True, credits="2", industries="建筑", audience="初级工")
    b = make("INST-T2", title="宁波课程", kind="course", publish=True, category="literacy-safety")
    make(title="草稿")
    province = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330000"))
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[1].id, a.id)
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[3].id, b.id)
    union_catalogs.add_link(db.session, SYSTEM, province, province.sections[3].id, "外部课程", "https://example.org/x")
    db.session.commit()
    return a, b


def test_resource_list_api_filters_and_pages(client, catalog):
    a, b = catalog
    body = client.get("/api/v1/resources").get_json()
    assert body["total"] == 2 and {i["title"] for i in body["items"]} == {a.title, b.title}
    assert client.get("/api/v1/resources?kind=course").get_json()["items"][0]["id"] == b.id
    assert client.get("/api/v1/resources?industry=construction").get_json()["total"] == 1
    assert client.get("/api/v1/resources?audience=skill_5&credits=1").get_json()["total"] == 1
    assert client.get("/api/v1/resources?provider=INST-T2").get_json()["items"][0]["id"] == b.id
    assert client.get("/api/v1/resources?category=literacy").get_json()["total"] == 1
    assert client.get("/api/v1/resources?sort=credits").get_json()["items"][0]["id"] == a.id
    paged = client.get("/api/v1/resources?per_page=1").get_json()
    assert paged["pages"] == 2 and paged["next"].endswith("page=2&per_page=1")
    assert client.get(paged["next"]).get_json()["items"][0]["id"] != paged["items"][0]["id"]
    assert client.get("/api/v1/resources?page=abc&per_page=99999&kind=nonsense").status_code == 200


def test_resource_detail_api_only_for_published(client, catalog, db):
    a, _b = catalog
    body = client.get(f"/api/v1/resources/{a.id}").get_json()
    assert body["lessons"][0]["duration_s"] == 480 and body["industries"][0]["name"] == "建筑"
    draft = make(title="还没发布")
    db.session.commit()
    response = client.get(f"/api/v1/resources/{draft.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_catalog_api(client, catalog):
    body = client.get("/api/v1/catalogs/330000").get_json()
    sections = {s["title"]: s["entries"] for s in body["sections"]}
    assert sections["综合素质"][1] == {"link": {"title": "外部课程", "url": "https://example.org/x"},
                                    "pinned": False, "inherited": False}
    assert body["links"]["xlsx"].endswith("/catalog/u/330000/catalog.xlsx")
    assert client.get("/api/v1/catalogs/330100").get_json()["error"]["code"] == "no_catalog"


def test_csv_and_xlsx_downloads_are_safe_for_spreadsheets(client, catalog):
    a, _b = catalog
    response = client.get("/catalog/u/330000/catalog.csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["栏目", "编号", "标题"] and len(rows) == 4
    assert rows[1][2] == "'" + a.title  # a formula stays text
    workbook = load_workbook(io.BytesIO(client.get("/catalog/u/330000/catalog.xlsx").data))
    values = [[c.value for c in row] for row in workbook.active.iter_rows()]
    assert values[1][2] == a.title and workbook.active["C2"].data_type == "s"  # shown as typed, never a formula
    assert workbook.active["C2"].quotePrefix


def test_atom_feed(client, catalog):
    response = client.get("/catalog/u/330000/feed.atom")
    feed = etree.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert response.mimetype == "application/atom+xml"
    assert feed.findtext("a:title", namespaces=ns) == "浙江省总工会资源开放目录"
    assert len(feed.findall("a:entry", ns)) == 2 and feed.find("a:entry/a:link", ns).get("href").startswith(
        "http://localhost/catalog/r/")


def test_json_ld_is_a_course_and_cannot_break_out_of_its_script(client, db):
    resource = make(title="</script><script>alert(1)</script>", publish=True, tags="安全")
    db.session.commit()
    body = client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(scripts) == 1 and "<" not in scripts[0]
    data = json.loads(scripts[0])
    assert data["@type"] == "Course" and data["name"] == resource.title and data["keywords"] == ["安全"]
    assert data["hasPart"][0]["timeRequired"] == "PT480S" and data["provider"]["name"] == "测试职业技术学院"
    assert "<script>alert(1)</script>" not in body
