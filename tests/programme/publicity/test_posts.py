"""News posts and 先进典型 stories: who may write and publish them, the consent a story's photo needs, the cleaned
body, the share cards (Open Graph, absolute URLs) and QR codes, the Atom feed, and the home page showing a post
as soon as it is published, with the anonymous page cache on."""

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from sqlalchemy import select

from app.accounts import organisations
from app.accounts.policy import can
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from programme.publicity import posts
from programme.publicity.models import Post
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form

TODAY = date(2026, 12, 3)
TODAY_DT = datetime(2026, 12, 3, 2, 0)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def _org(code: str):
    return organisations.get_by_code(_db.session, code)


def _post(app, *, publish: bool = True, **draft) -> int:
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        post, _old = posts.save(_db.session, staff, _org("330106"), posts.Draft(**{
            "title": "西湖区报读开始", "body": "**快来**报名", "summary": "一线职工手机报名", **draft}),
            app.config["DATA_DIR"], TODAY)
        if publish:
            posts.publish(_db.session, staff, post, TODAY_DT)
        _db.session.commit()
        return post.id


@pytest.mark.parametrize(("role", "org", "target", "allowed"), [
    ("union_staff", "330106", "330106", True),
    ("union_staff", "330100", "330106", True),      # the city union writes for a county below it
    ("union_staff", "330106", "330100", False),     # never for the union above
    ("union_staff", "330100", factories.INSTITUTION, False),  # unions never write an institution's posts
    ("institution_staff", None, factories.INSTITUTION, True),
    ("institution_staff", None, factories.OTHER_INSTITUTION, False),
    ("enterprise_staff", None, factories.ENTERPRISE, False),
    ("worker", None, "330106", False),
])
def test_who_writes_posts(app, role, org, target, allowed):
    with app.app_context():
        actor = factories.user(role, org)
        assert can(actor, "post.write", _org(target)) is allowed


def test_other_unions_staff_can_neither_edit_nor_publish_nor_take_down(app, client, auth):
    post_id = _post(app, publish=False)
    auth.as_role("union_staff", "330102")  # another county
    assert client.get(f"/news/manage/{post_id}/edit").status_code == 403
    assert post_form(client, f"/news/manage/{post_id}/publish", {"action": "publish"},
                     source="/me").status_code == 403
    auth.logout()
    auth.as_role("worker")
    assert client.get("/news/manage").status_code == 403
    assert client.get("/news/manage/new").status_code == 403
    assert client.get(f"/news/{post_id}").status_code == 404  # a draft is not public
    with app.app_context():
        outsider = factories.user("institution_staff")
        post = _db.session.get(Post, post_id)
        with pytest.raises(Forbidden):
            posts.unpublish(_db.session, outsider, post, app.config["DATA_DIR"])


def test_a_story_photo_needs_the_consent_on_record(app):
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        draft = posts.Draft(kind="story", title="王师傅", body="故事", photo=_jpeg())
        with pytest.raises(Invalid) as err:
            posts.save(_db.session, staff, _org("330106"), draft, app.config["DATA_DIR"], TODAY)
        assert set(err.value.fields) == {"consent_subject", "consent_given_by", "consent_on"}
        draft.consent_subject, draft.consent_given_by, draft.consent_on = "王建国", "王建国本人", date(2026, 12, 4)
        with pytest.raises(Invalid) as err:  # consent dated tomorrow
            posts.save(_db.session, staff, _org("330106"), draft, app.config["DATA_DIR"], TODAY)
        assert set(err.value.fields) == {"consent_on"}
        draft.consent_on = TODAY
        post, _old = posts.save(_db.session, staff, _org("330106"), draft, app.config["DATA_DIR"], TODAY)
        assert post.photo_key and post.consent_subject == "王建国" and post.consent_on == TODAY
        assert (Path(app.config["DATA_DIR"]) / "covers" / f"{post.photo_key}-960.jpg").stat().st_size > 0
        # news with a photo needs no consent, and a story without one neither
        posts.save(_db.session, staff, _org("330106"), posts.Draft(kind="news", title="新闻", body="正文",
                                                                   photo=_jpeg()), app.config["DATA_DIR"], TODAY)
        posts.save(_db.session, staff, _org("330106"), posts.Draft(kind="story", title="故事", body="正文"),
                   app.config["DATA_DIR"], TODAY)
        with pytest.raises(Invalid) as err:  # not an image
            posts.save(_db.session, staff, _org("330106"), posts.Draft(kind="news", title="新闻", body="正文",
                                                                       photo=b"<svg onload=alert(1)>"),
                       app.config["DATA_DIR"], TODAY)
        assert "photo" in err.value.fields


def test_the_form_shows_the_consent_message_beside_its_field(app, client, auth):
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/news/manage/new", {
        "org": "330106", "kind": "story", "title": "王师傅", "body": "故事",
        "photo": (io.BytesIO(_jpeg()), "p.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "先进典型配有照片时，请填写照片中的人或企业。" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.scalar(select(Post)) is None


def test_the_body_is_cleaned_markdown(app, client):
    post_id = _post(app, body="## 报名\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
                              "看 ![t](https://tracker.example/p.png) [x](javascript:alert(3))")
    html = client.get(f"/news/{post_id}").get_data(as_text=True)
    assert "<h2>报名</h2>" in html
    body = html.split('<div class="rich">')[1].split("</div>")[0]
    assert "<script>" not in body and "tracker.example" not in body and "onerror" not in body
    assert 'href="javascript' not in body and "alert(2)" not in body


def test_share_cards_carry_absolute_urls_and_a_local_qr(app, client):
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        post, _old = posts.save(_db.session, staff, _org("330106"), posts.Draft(
            kind="story", title="王师傅的专科路", summary="十二年装配工", body="故事", photo=_jpeg(),
            consent_subject="王建国", consent_given_by="本人", consent_on=TODAY), app.config["DATA_DIR"], TODAY)
        posts.publish(_db.session, staff, post, TODAY_DT)
        resource = make(publish=True)
        _db.session.commit()
        post_id, resource_id = post.id, resource.id
    for url, title in ((f"/news/{post_id}", "王师傅的专科路"), (f"/catalog/r/{resource_id}", None),
                       ("/programme/", "学历与能力双提升 · 报读目录")):
        html = client.get(url).get_data(as_text=True)
        og = dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)"', html))
        assert og["url"].startswith("http://localhost/"), url
        assert og["title"] and (title is None or og["title"] == title)
        assert "description" in og and og["type"] in ("article", "website")
        qr = re.search(r'src="(/share/qr\.svg\?path=[^"]+)"', html)
        assert qr, url
        svg = client.get(qr.group(1).replace("&amp;", "&"))
        assert svg.status_code == 200 and svg.content_type == "image/svg+xml" and b"<svg" in svg.data
    og = dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)"',
                         client.get(f"/news/{post_id}").get_data(as_text=True)))
    assert og["image"].startswith("http://localhost/catalog/covers/") and og["description"] == "十二年装配工"
    image = client.get(og["image"].removeprefix("http://localhost"))
    assert image.status_code == 200 and image.content_type == "image/jpeg"
    image.close()
    for bad in ("//evil.example/x", "https://evil.example/", "x", "/\\evil"):
        assert client.get("/share/qr.svg", query_string={"path": bad}).status_code == 404


def test_the_feed_is_valid_atom(app, client):
    _post(app, title="第一篇 & <特别>")
    response = client.get("/news/feed.xml")
    assert response.status_code == 200 and response.content_type.startswith("application/atom+xml")
    root = etree.fromstring(response.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == ["第一篇 & <特别>"]
    assert entries[0].find("a:link", ns).get("href").startswith("http://localhost/news/")


@pytest.mark.parametrize("cache_seconds", [0, 60])
def test_the_home_page_shows_a_post_once_published(app, client, auth, cache_seconds):
    app.extensions["page_cache"].ttl = cache_seconds
    post_id = _post(app, publish=False, title="今天刚发的新闻")
    assert "今天刚发的新闻" not in client.get("/").get_data(as_text=True)
    assert "今天刚发的新闻" not in client.get("/news").get_data(as_text=True)  # now kept for anonymous visitors
    with app.test_client() as staff_client:
        from tests.conftest import Auth

        staff = Auth(app, staff_client)
        staff.as_role("union_staff", "330106")
        assert post_form(staff_client, f"/news/manage/{post_id}/publish", {"action": "publish"},
                         source="/news/manage").status_code == 302
    assert "今天刚发的新闻" in client.get("/").get_data(as_text=True)
    assert "今天刚发的新闻" in client.get("/news").get_data(as_text=True)
    assert client.get(f"/news/{post_id}").status_code == 200
