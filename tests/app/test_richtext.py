"""Writing without HTML (app/richtext.py): Markdown renders to the formatting people expect, nothing it can be made
to say is unsafe, older HTML descriptions keep exactly their HTML, and the editor's preview (POST
/api/v1/markdown/preview) is the same rendering, for signed-in users, CSRF-checked and rate limited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from app import create_app
from app.extensions import db
from app.richtext import MAX_SOURCE, legacy_source, markdown_source, render_markdown
from app.sanitize import ALLOWED_TAGS, clean_html
from tests import factories
from tests.app.test_sanitize import HOSTILE, _elements
from tests.conftest import _config, csrf_token


def test_markdown_gives_the_formatting_staff_write():
    html = render_markdown("## 课程目标\n\n学会**安全用电**和~~冒险~~。\n第二行\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n"
                           "[报名](https://example.org/a?b=1&c=2)\n\n| 项目 | 学时 |\n| --- | --- |\n| 电工 | 30 |")
    assert "<h2>课程目标</h2>" in html
    assert "<strong>安全用电</strong>" in html and "<s>冒险</s>" in html
    assert "<br>\n第二行" in html  # one line break is a line break, as typed on a phone
    assert "<ul>\n<li>一</li>\n<li>二</li>\n</ul>" in html and "<ol>\n<li>甲</li>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">报名</a>' in html
    assert "<th>项目</th>" in html and "<td>30</td>" in html


def test_the_source_is_kept_as_typed_with_plain_line_breaks():
    assert markdown_source("  **粗**\r\n- 一\r- 二\x00  ") == "**粗**\n- 一\n- 二"
    assert markdown_source(None) == "" and render_markdown("") == "" and render_markdown("  \n ") == ""


TAG = re.compile(r"<\s*(script|style|iframe|object|embed|svg|math|form|input|meta|link|base|template|textarea)\b",
                 re.IGNORECASE)
SAFE_SCHEMES = {"", "http", "https", "mailto", "tel"}
MARKDOWN_HOSTILE = [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](jav&#x09;ascript:alert(1))",
    "[x](vbscript:msgbox(1))", "[x](data:text/html,<script>alert(1)</script>)", "<javascript:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)", "![i](data:image/png;base64,iVBORw0KGgo=)",
    "![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", "![i](javascript:alert(1))",
    "**<img src=x onerror=alert(1)>**", "- <script>alert(1)</script>", "> <iframe src=//evil.example></iframe>",
    "<div onclick=alert(1)>\n\n**x**\n\n</div>", "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```", "[x](https://ok.example \"t\" onclick=alert(1))",
    "<a href='javascript:alert(1)'>**x**</a>", "<scr<script>ipt>alert(1)</script>",
]


@pytest.mark.parametrize("source", MARKDOWN_HOSTILE + HOSTILE)
def test_scripts_handlers_and_unsafe_urls_never_survive_rendering(source):
    """A refused link stays as its text ("[x](javascript:...)" shown as typed): harmless words, so what is checked
    is every element and attribute a browser would build."""
    html = render_markdown(source)
    assert not TAG.search(html), html
    for tag, attrs in _elements(html):
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert name in {"href", "title", "rel", "src", "alt", "width", "height", "colspan", "rowspan", "start"}
            if name in ("href", "src"):  # "jav%09ascript:..." has no scheme: a harmless relative address
                assert urlsplit(re.sub(r"[\x00-\x20]", "", value or "")).scheme in SAFE_SCHEMES, html


def test_a_code_span_shows_markup_as_text():
    assert render_markdown("`<script>alert(1)</script>`") == "<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>"


LEGACY = [
    "<h3>简介</h3><p>学会*安全*用电_基础_</p><h3>你将学到</h3><ul><li>电工</li><li>1. 甲</li></ul>",
    "纯文字，没有段落 <b>粗</b> *星号* # 井号",
    "<p>第一段\n\n\n  \n同一段</p><pre>代码\n\n    缩进 *不是强调*</pre>\n\n<p>后来</p>",
    "<table><tr><td>1\n\n2</td></tr></table>\n\n- 不是列表\n\n> 不是引用\n\n    不是代码",
    '<p><a href="https://example.org/?a=1&amp;b=2">链接</a> &amp; &lt;tag&gt; &#10;</p>',
    "<blockquote>\n\n引用\n\n</blockquote><ol start=\"3\"><li>三</li></ol><hr><img src=\"/a.png\" alt=\"图\">",
]


@pytest.mark.parametrize("html", LEGACY + HOSTILE)
def test_older_html_descriptions_keep_exactly_their_html(html):
    stored = clean_html(html)  # what every older description is: cleaned HTML
    assert render_markdown(legacy_source(stored)) == stored


def test_html_that_markdown_leaves_alone_stays_readable_as_it_was():
    stored = "<h3>简介</h3><p>本课程讲安全用电。</p><ul><li>电工</li></ul>"
    assert legacy_source(stored) == stored and legacy_source("") == ""


_PIECES = st.sampled_from(["<p>", "</p>", "<pre>", "</pre>", "<ul><li>", "</li></ul>", "<b>", "</b>", "\n", "\n\n",
                           "  ", "    ", "*", "_", "#", "- ", "1. ", "> ", "`", "[a](b)", "&amp;", "<!-- c -->",
                           "文字", "x", "|", "---", "<div>", "</div>", "<br>", "<table><tr><td>", "</td></tr></table>"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_older_html_keeps_exactly_its_html(text):
    stored = clean_html(text)
    assert render_markdown(legacy_source(stored)) == stored


@pytest.fixture
def preview_site(app: Flask) -> Iterator[Flask]:
    """Another app on the same database with a small preview limit."""
    site = create_app({**_config(app.config["DATA_DIR"]), "RATE_LIMIT_PREVIEW": "3 per minute"})
    yield site
    with site.app_context():
        db.session.remove()
        db.engine.dispose()


def _signed_in(site: Flask):
    with site.app_context():
        phone = factories.user("institution_staff", factories.INSTITUTION).phone
        db.session.commit()
    client = site.test_client()
    token = csrf_token(client)
    assert client.post("/auth/login", data={"csrf_token": token, "phone": phone,
                                            "password": factories.PASSWORD}).status_code == 302
    return client, csrf_token(client, "/me")


def test_the_preview_is_the_saved_rendering_and_refuses_scripts(preview_site):
    client, token = _signed_in(preview_site)
    source = "**加粗**\n\n- 一\n- 二\n\n<script>alert(1)</script>[x](javascript:alert(1))<img src=x onerror=alert(1)>"
    answer = client.post("/api/v1/markdown/preview", json={"source": source}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    html = answer.get_json()["html"]
    assert html == render_markdown(source)
    assert "<strong>加粗</strong>" in html and "<li>二</li>" in html
    assert "<script" not in html and "alert(1)<" not in html
    assert "onerror" not in html and 'href="javascript' not in html
    bad = client.post("/api/v1/markdown/preview", json={"source": 5}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_source"
    long = client.post("/api/v1/markdown/preview", json={"source": "a" * (MAX_SOURCE + 1)},
                       headers={"X-CSRFToken": token})
    assert long.status_code == 400 and long.get_json()["error"]["code"] == "too_long"
    refused = client.post("/api/v1/markdown/preview", json={"source": "x"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"


def test_the_preview_needs_a_signed_in_user_and_the_csrf_token(client):
    anonymous = client.post("/api/v1/markdown/preview", json={"source": "x"},
                            headers={"X-CSRFToken": csrf_token(client)})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "login_required"
    assert client.post("/api/v1/markdown/preview", json={"source": "x"}).status_code == 400  # no token
