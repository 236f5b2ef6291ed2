"""The catalog's pages end to end, as each role uses them on a phone."""

import io
import re

from sqlalchemy import select

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import queries, union_catalogs
from catalog.models import Resource, ResourceStatus
from tests.catalog.conftest import count_queries
from tests.catalog.helpers import give_media, make, png
from tests.conftest import csrf_token, post_form


def test_anonymous_browsing_menu_section_resource_lesson(client, db):
    course = make(title="钢筋工培训", kind="course", lesson_count=2, publish=True, credits="2", hours="30")
    make(title="草稿课程")
    db.session.commit()
    index = client.get("/catalog/").get_data(as_text=True)
    assert "学历继续教育" in index and "钢筋工培训" in index and "草稿课程" not in index
    assert 'aria-current="page"' in index  # the 目录 tab is ours
    section = client.get("/catalog/menu/skills").get_data(as_text=True)
    assert "钢筋工培训" in section and "共 1 个资源" in section and "建筑" in section
    assert "共 0 个资源" in client.get("/catalog/menu/skills?kind=video_lecture").get_data(as_text=True)
    assert client.get("/catalog/menu/nothing").status_code == 404
    page = client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert "第一章" in page and "第2课" in page and "application/ld+json" in page and "2学分" not in page
    lesson = client.get(f"/catalog/r/{course.id}/lessons/{course.lessons[0].id}").get_data(as_text=True)
    assert "下一课" in lesson
    draft = db.session.scalar(select(Resource).where(Resource.title == "草稿课程"))
    assert client.get(f"/catalog/r/{draft.id}").status_code == 404
    assert client.get(f"/catalog/r/{draft.id}/history").status_code == 404


def _form(**override):
    data = {"title": "养老护理入门", "kind": "micro_course", "summary": "照护老人的基本功", "category": [
        "skills-elderly-care"], "industries": ["elderly_care"], "audience": ["skill_5"], "credits": "0.5",
            "hours": "1", "description": "<h2>目标</h2><script>alert(1)</script>", "language": "zh"}
    data.update(override)
    return data


def test_institution_creates_submits_and_union_selects_into_its_catalog(app, client, auth, db):
    catalog = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"))
    section_id = catalog.sections[1].id
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    response = post_form(client, "/catalog/manage/new?org=INST-T1", _form(org="INST-T1"))
    assert response.status_code == 302
    resource = db.session.scalar(select(Resource).where(Resource.title == "养老护理入门"))
    assert resource.description_html == "<h2>目标</h2>"
    lessons_url = f"/catalog/manage/{resource.id}/lessons"
    assert post_form(client, lessons_url, {"action": "add_lesson", "title": "扶老人起身", "type": "video",
                                           "duration": "9:30"}).status_code == 302
    give_media(db.session.get(Resource, resource.id))  # its video, uploaded and transcoded
    db.session.commit()
    assert post_form(client, f"/catalog/manage/{resource.id}/submit", {}, f"/catalog/manage/{resource.id}"
                     ).status_code == 302
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).status == ResourceStatus.submitted
    auth.logout()
    auth.as_role("union_staff", "330100")
    queue = client.get("/catalog/review").get_data(as_text=True)
    assert "养老护理入门" in queue
    response = post_form(client, f"/catalog/review/{resource.id}", {"decision": "select", "section_id": section_id},
                         "/catalog/review")
    assert response.status_code == 302
    page = client.get("/catalog/u/330100").get_data(as_text=True)
    assert "养老护理入门" in page
    head, _sep, body = page.partition("</head>")  # the downloads are said once, in the page, not in its head
    assert "目录数据" not in head and body.count("目录数据") == 1
    assert "养老护理入门" in client.get("/catalog/u/330100/catalog.csv").data.decode("utf-8-sig")
    assert "养老护理入门" in client.get("/catalog/u/330100/feed.atom").data.decode()
    assert any(e.get("resource", {}).get("title") == "养老护理入门" for s in client.get(
        "/api/v1/catalogs/330100").get_json()["sections"] for e in s["entries"])
    assert "养老护理入门" in client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&set=union:330100").data.decode()
    history = client.get(f"/catalog/r/{resource.id}/history").get_data(as_text=True)
    assert "提交审核" in history and "遴选发布" in history


def test_form_errors_are_shown_next_to_fields(client, auth):
    auth.as_role("institution_staff", "INST-T1")
    response = post_form(client, "/catalog/manage/new?org=INST-T1", _form(title="", credits="很多", category=[]))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error">请填写标题。' in body and 'id="credits-error">' in body and 'id="category-error"' in body


def test_other_institutions_may_not_edit(client, auth, db):
    resource = make()
    db.session.commit()
    auth.as_role("institution_staff", "INST-T2")
    assert client.get(f"/catalog/manage/{resource.id}").status_code == 403
    assert client.get("/catalog/manage/new?org=INST-T1").status_code == 403


def test_cover_upload_through_the_form(app, client, auth, db):
    resource = make()
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    url = f"/catalog/manage/{resource.id}"
    data = _form(csrf_token=csrf_token(client, url), title="有封面", kind="micro_course")
    data["cover"] = (io.BytesIO(png((1280, 720))), "cover.png")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    key = db.session.get(Resource, resource.id).cover_key
    assert key
    image = client.get(f"/catalog/covers/{key}-480.jpg")
    image.close()  # a file response: close it, or the file handle outlives the test
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and "immutable" in image.headers[
        "Cache-Control"]
    data = _form(csrf_token=csrf_token(client, url))
    data["cover"] = (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "文件不是有效的图片" in response.get_data(as_text=True)
    assert client.get("/catalog/covers/..%2Fapp.db").status_code == 404


def test_union_edits_its_catalog_with_inheritance(client, auth, db):
    resource = make(title="省级课程", publish=True)
    province = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330000"))
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[1].id, resource.id)
    db.session.commit()
    auth.as_role("union_staff", "330106")
    assert post_form(client, "/catalog/u/330106/edit", {"action": "create", "inherit": "1"}).status_code == 302
    page = client.get("/catalog/u/330106").get_data(as_text=True)
    assert "省级课程" in page and "沿用上级目录" in page
    xihu = union_catalogs.catalog_of(db.session, organisations.get_by_code(db.session, "330106"))
    section = next(s for s in xihu.sections if s.title == "岗位技能")
    assert post_form(client, "/catalog/u/330106/edit", {"action": "hide", "section_id": section.id,
                                                        "key": f"r{resource.id}"}).status_code == 302
    assert "省级课程" not in client.get("/catalog/u/330106").get_data(as_text=True)
    assert client.get("/catalog/u/330100/edit").status_code == 403
    province_page = client.get("/catalog/province").get_data(as_text=True)
    assert "西湖区总工会" in province_page and "浙江省总工会" in province_page


def test_admin_category_page_refuses_to_orphan(client, auth, db):
    make(category="literacy-safety")
    db.session.commit()
    auth.as_role("admin")
    response = post_form(client, "/catalog/admin/categories", {"action": "delete", "category": "literacy-safety"})
    assert response.status_code == 400 and "还有1个资源" in response.get_data(as_text=True)
    added = post_form(client, "/catalog/admin/categories", {"action": "add", "name": "新分类", "code": "new-one",
                                                            "parent": "literacy"})
    assert added.status_code == 302 and added.headers["Location"].endswith("open=new-one#cat-new-one")
    tree = client.get(added.headers["Location"]).get_data(as_text=True)  # a folded tree, open down to the new one
    assert 'id="cat-literacy" open>' in tree and 'id="cat-new-one" open>' in tree and tree.count(" open>") == 2
    assert "新分类" in client.get("/catalog/").get_data(as_text=True)


def test_list_page_query_count_does_not_grow_with_the_page(app, client, db):
    for i in range(3):
        make(title=f"少{i}", publish=True, tags="标签", teachers="张三")
    db.session.commit()

    def count(url):
        queries._counts.clear()  # measure the cold page: its count and provider queries included
        queries._provider_cache["key"] = None
        with app.app_context(), count_queries(db.engine) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    few = {url: count(url) for url in ("/catalog/all", "/catalog/menu/skills", "/api/v1/resources", "/catalog/")}
    for i in range(30):
        make("INST-T2" if i % 2 else "INST-T1", title=f"多{i}", publish=True, tags=f"标签{i}", teachers="李四")
    db.session.commit()
    for url, before in few.items():
        assert count(url) == before, url
    assert few["/catalog/all"] <= 6


def test_catalog_page_query_count_is_bounded(app, client, db):
    province = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330000"))
    hangzhou = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"))
    db.session.commit()

    def count():
        with app.app_context(), count_queries(db.engine) as statements:
            assert client.get("/catalog/u/330100").status_code == 200
        return len(statements)

    def add(n):
        for i in range(n):
            resource = make(title=f"条目{i}", publish=True, provider="INST-T2" if i % 2 else "INST-T1")
            union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[i % 4].id, resource.id)
        union_catalogs.add_link(db.session, SYSTEM, hangzhou, hangzhou.sections[0].id, f"链接{n}",
                                f"https://example.org/{n}")
        db.session.commit()

    empty = count()
    add(2)
    few = count()
    assert few == empty + 2  # resources and their providers: only asked once there are resources
    add(15)
    assert count() == few


def test_pages_contain_no_inline_script_or_style(client, db):
    resource = make(title="检查", publish=True)
    db.session.commit()
    for url in ("/catalog/", "/catalog/all", f"/catalog/r/{resource.id}", "/catalog/province"):
        body = client.get(url).get_data(as_text=True)
        assert "style=" not in body and "<style" not in body
        assert not re.search(r"<script(?![^>]*(src=|application/ld\+json))", body)
