"""Course descriptions and reading lessons written in Markdown (issue 22): the form keeps the source and shows it
again for the next edit, the public page shows the formatting, scripts never get through the form or the import,
and the HTML of a database from before keeps exactly its HTML while becoming editable sources."""

import json
import re
from html import unescape

import pytest
from flask_migrate import upgrade
from sqlalchemy import column, select, table

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from app.richtext import legacy_source, markdown_source, render_markdown
from catalog import imports, lessons
from catalog.models import Resource
from tests import factories
from tests.app import migration_data
from tests.app.test_migrations import DEMO_AT_FIXED, FIXED_REVISION
from tests.catalog.helpers import make
from tests.catalog.test_imports import HEADER, _csv
from tests.conftest import post_form
from tests.migrating import fresh_app

SOURCES = (("resources", "description_html", "description_md"), ("lessons", "body_html", "body_md"),
           ("policy_pages", "body_html", "body_md"))
SOURCE = "### 你将学到\r\n\r\n**安全第一**，再讲效率。\r\n\r\n- 戴好安全帽\r\n- 系好安全带\r\n\r\n[报名须知](https://example.org/x)"
EXPECTED = ('<h3>你将学到</h3>\n<p><strong>安全第一</strong>，再讲效率。</p>\n<ul>\n<li>戴好安全帽</li>\n'
            '<li>系好安全带</li>\n</ul>\n<p><a href="https://example.org/x" rel="nofollow noopener">报名须知</a></p>')
HOSTILE = ("**好**<script>alert(1)</script>\n\n[点我](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
           "![图](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) <a href=\"data:text/html,x\">数据</a>")


def _form(description: str, **override) -> dict:
    return {"title": "高处作业安全", "kind": "micro_course", "summary": "登高作业的基本功",
            "category": ["skills-construction"], "audience": ["skill_5"], "language": "zh",
            "description": description, **override}


def _textarea(html: str) -> str:
    match = re.search(r'<textarea id="description" name="description"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no description box"
    return unescape(match.group(1))


def test_staff_write_markdown_see_it_again_and_the_public_page_shows_the_formatting(client, auth, db):
    auth.as_role("institution_staff", factories.INSTITUTION)
    assert post_form(client, f"/catalog/manage/new?org={factories.INSTITUTION}",
                     _form(SOURCE, org=factories.INSTITUTION)).status_code == 302
    resource = db.session.scalar(select(Resource).where(Resource.title == "高处作业安全"))
    assert resource.description_md == SOURCE.replace("\r\n", "\n")  # the source, as typed
    assert resource.description_html == EXPECTED
    edit_url = f"/catalog/manage/{resource.id}"
    form_page = client.get(edit_url).get_data(as_text=True)
    assert _textarea(form_page) == resource.description_md  # the next edit starts from the Markdown
    assert "/static/js/editor." in form_page and 'data-preview-url="/api/v1/markdown/preview"' in form_page
    assert post_form(client, edit_url, _form(_textarea(form_page))).status_code == 302  # saved unchanged
    db.session.expire_all()
    again = db.session.get(Resource, resource.id)
    assert (again.description_md, again.description_html) == (resource.description_md, EXPECTED)
    page = client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)  # the owner sees the draft
    assert "<strong>安全第一</strong>" in page and "<li>系好安全带</li>" in page and "**" not in page


def test_the_form_refuses_scripts_handlers_and_unsafe_urls(client, auth, db):
    auth.as_role("institution_staff", factories.INSTITUTION)
    post_form(client, f"/catalog/manage/new?org={factories.INSTITUTION}", _form(HOSTILE, org=factories.INSTITUTION))
    resource = db.session.scalar(select(Resource).where(Resource.title == "高处作业安全"))
    html = resource.description_html
    assert "<strong>好</strong>" in html
    assert "<script" not in html and "alert(1)<" not in html and "onerror" not in html
    assert 'href="javascript' not in html and '="data:' not in html  # a refused link or image stays as its text
    assert resource.description_md == HOSTILE  # the source is kept as typed; only the HTML is ever rendered
    page = client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)
    assert "onerror" not in page and "<script>alert" not in page


def test_the_import_description_column_is_markdown(app, db):
    source = "**重点**\n\n- 安全\n- 接线<script>x()</script>"
    rows = [["电工基础", "网络课程", "电路入门", source, "skills-manufacturing", "", "初级工", "2", "32", "", "", ""]]
    provider = organisations.get_by_code(db.session, factories.INSTITUTION)
    report = imports.import_resources(db.session, factories.user("institution_staff", factories.INSTITUTION),
                                      provider, _csv(rows, HEADER), "r.csv")
    assert report.imported == 1 and not report.errors
    resource = db.session.scalar(select(Resource).where(Resource.title == "电工基础"))
    assert resource.description_md == source
    assert resource.description_html == "<p><strong>重点</strong></p>\n<ul>\n<li>安全</li>\n<li>接线</li>\n</ul>"


def test_html_from_before_keeps_its_html_and_becomes_editable_sources(tmp_path):
    """The demo database of revision 0014 (descriptions, reading lessons and the policy page in HTML, written
    before Markdown) upgraded to today: every HTML is untouched, and its new source renders to exactly that HTML,
    also when saved again unchanged from a form."""
    fixture = json.loads(DEMO_AT_FIXED.read_text(encoding="utf-8"))
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=FIXED_REVISION)
        with _db.engine.begin() as conn:
            migration_data.load(conn, fixture["tables"])
        upgrade()
        with _db.engine.connect() as conn:
            now = {(name, html): conn.execute(select(column("id"), column(html), column(md)).select_from(table(name)))
                   .all() for name, html, md in SOURCES}
        _db.engine.dispose()
    for (name, html_column), rows in now.items():
        kept = fixture["tables"][name]
        before = {row[kept["columns"].index("id")]: row[kept["columns"].index(html_column)] for row in kept["rows"]}
        assert len(rows) == len(before) and any(html for _id, html, _md in rows), name
        for row_id, html, source in rows:
            assert html == before[row_id]  # the pages show what they showed
            assert render_markdown(source) == html, (name, row_id)
            assert render_markdown(markdown_source(source)) == html, (name, row_id)
            assert bool(source) == bool(html)


@pytest.mark.demo
def test_every_demo_description_is_markdown_and_survives_the_migration_rule(app, db):
    """The demo writes its descriptions in Markdown; taken as HTML from before, each would keep its HTML too."""
    described = list(db.session.scalars(select(Resource).where(Resource.description_md != "")))
    assert described, "the demo has no descriptions"
    for resource in described:
        assert "<" not in resource.description_md  # written without HTML
        assert resource.description_html == render_markdown(resource.description_md)
        assert render_markdown(legacy_source(resource.description_html)) == resource.description_html


def test_a_reading_lesson_is_written_in_markdown_too(client, auth, db):
    resource = make(provider=factories.INSTITUTION, lesson_count=0)
    lesson = lessons.add_lesson(db.session, SYSTEM, resource, {"title": "读一读", "type": "reading", "duration": "5:00",
                                                               "body": "**要点**\r\n\r\n1. 断电\r\n2. 验电"})
    db.session.commit()
    assert lesson.body_md == "**要点**\n\n1. 断电\n2. 验电"
    assert lesson.body_html == "<p><strong>要点</strong></p>\n<ol>\n<li>断电</li>\n<li>验电</li>\n</ol>"
    auth.as_role("institution_staff", factories.INSTITUTION)
    page = client.get(f"/catalog/manage/{resource.id}/lessons").get_data(as_text=True)
    assert f'<textarea id="l{lesson.id}-body" name="body" rows="4"' in page and "**要点**" in page
    shown = client.get(f"/catalog/r/{resource.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert "<strong>要点</strong>" in shown and "**" not in shown
