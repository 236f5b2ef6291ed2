"""Switching to English translates the menu categories (DB rows seeded from catalog/menu_seed.py) wherever a
visitor meets them: the menu, a category page, its crumbs and a resource's crumbs, the search facets."""

from __future__ import annotations

from babel.messages.pofile import read_po

from app import ROOT
from app.extensions import db
from catalog.menu_seed import walk
from tests.catalog.helpers import make


def test_every_seeded_category_has_english():
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        english = {m.id: m.string for m in read_po(fh) if m.id and m.string}
    missing = [node.name for _parent, _position, node in walk() if node.name not in english]
    assert missing == []


def test_the_menu_reads_in_english(app, client):
    with app.app_context():
        resource_id = make(title="叉车驾驶入门", category="skills-logistics", publish=True).id
        db.session.commit()
    client.get("/lang/en?next=/")
    menu = client.get("/catalog/").get_data(as_text=True)
    assert "Job skills" in menu and "Workplace safety" in menu and "Starting a business back home" in menu
    assert "岗位技能" not in menu and "安全生产" not in menu
    category = client.get("/catalog/menu/skills-logistics").get_data(as_text=True)
    assert "<h1>Logistics</h1>" in category and "Job skills" in category
    assert "Logistics" in client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)
    client.get("/lang/zh_CN?next=/")
    assert "岗位技能" in client.get("/catalog/").get_data(as_text=True)  # and back
