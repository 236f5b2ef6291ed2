"""The policy and FAQ page (政策与常见问题) is written in Markdown: the province union's source is kept and shown
again for the next edit, the public page shows the formatting, and scripts and other hosts' images never get in."""

from sqlalchemy import select

from app.extensions import db as _db
from programme.voice.models import PolicyPage
from tests.conftest import post_form

SOURCE = "## 补贴多少？\n\n- 大专：**1000 元**\n- 本科：1500 元\n\n![跟踪](https://tracker.example/p.png)\n\n<script>alert(1)</script>"


def test_the_province_writes_the_policy_page_in_markdown(app, client, auth):
    auth.as_role("union_staff", "330000")
    assert post_form(client, "/policy/edit", {"title": "政策问答", "body": SOURCE}).status_code == 302
    with app.app_context():
        page = _db.session.scalar(select(PolicyPage))
        assert page.body_md == SOURCE
        assert page.body_html.startswith("<h2>补贴多少？</h2>\n<ul>\n<li>大专：<strong>1000 元</strong></li>\n"
                                          "<li>本科：1500 元</li>\n</ul>")
        assert "tracker" not in page.body_html and "alert" not in page.body_html
    edit = client.get("/policy/edit").get_data(as_text=True)
    assert "## 补贴多少？" in edit and "/static/js/editor." in edit
    shown = client.get("/policy").get_data(as_text=True)
    assert "<strong>1000 元</strong>" in shown and "tracker" not in shown and "alert(1)" not in shown
