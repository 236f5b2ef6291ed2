"""Every delete and reorder of a union catalog, at each level of the inheritance chain (province → city →
county), through the service and through the editor page: nothing fails, lower levels keep what is theirs."""

from sqlalchemy import func, select

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from catalog import union_catalogs
from catalog.models import CatalogItem, CatalogSection
from tests.catalog.helpers import make
from tests.conftest import post_form


def _org(db, code):
    return organisations.get_by_code(db.session, code)


def _view(db, catalog):
    """{section title: [entry titles]} in page order, read back after a commit (what the next page shows)."""
    db.session.expire_all()
    return {part.section.title: [e.resource.title if e.resource else e.link_title for e in part.entries]
            for part in union_catalogs.resolve(db.session, catalog)}


def _section(catalog, title):
    return next(s for s in catalog.sections if s.title == title)


def _three_levels(db):
    """Province lists 甲 and 乙 in 岗位技能; Hangzhou follows it, hides 乙 and adds 杭州; Xihu follows Hangzhou."""
    a, b, local = (make(title=t, publish=True) for t in ("甲", "乙", "杭州"))
    province = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330000"))
    skills = _section(province, "岗位技能")
    for resource in (a, b):
        union_catalogs.add_resource(db.session, SYSTEM, province, skills.id, resource.id)
    hangzhou = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330100"))
    hz_skills = _section(hangzhou, "岗位技能")
    union_catalogs.set_entry(db.session, SYSTEM, hangzhou, hz_skills.id, f"r{b.id}", "hide")
    union_catalogs.add_resource(db.session, SYSTEM, hangzhou, hz_skills.id, local.id)
    xihu = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330106"))
    db.session.commit()
    assert _view(db, xihu)["岗位技能"] == ["甲", "杭州"]
    return province, hangzhou, xihu


def test_deleting_a_section_with_items_removes_it_and_its_items(db):
    resource = make(title="甲", publish=True)
    province = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330000"))
    skills = _section(province, "岗位技能")
    union_catalogs.add_resource(db.session, SYSTEM, province, skills.id, resource.id)
    union_catalogs.add_link(db.session, SYSTEM, province, skills.id, "报名", "https://example.org/sign")
    db.session.commit()
    union_catalogs.delete_section(db.session, SYSTEM, province, skills.id)
    db.session.commit()
    assert list(_view(db, province)) == ["学历继续教育", "创业创新", "综合素质"]
    assert [s.position for s in province.sections] == [0, 1, 2]
    assert db.session.scalar(select(func.count()).select_from(CatalogItem)) == 0
    added = union_catalogs.add_section(db.session, SYSTEM, province, "新栏目")
    db.session.commit()
    assert list(_view(db, province))[-1] == "新栏目" and added.position == 3


def test_a_parent_section_deleted_while_lower_levels_follow_it(db):
    province, hangzhou, xihu = _three_levels(db)
    union_catalogs.delete_section(db.session, SYSTEM, province, _section(province, "岗位技能").id)
    db.session.commit()
    assert "岗位技能" not in _view(db, province)
    # Hangzhou's section is now its own: what it added stays, the province's entries and its tombstone go
    hz_skills = _section(hangzhou, "岗位技能")
    assert hz_skills.source_section_id is None and _view(db, hangzhou)["岗位技能"] == ["杭州"]
    assert [i.hidden for i in hz_skills.items] == [False]
    # Xihu still follows Hangzhou's section
    assert _view(db, xihu)["岗位技能"] == ["杭州"]


def test_a_middle_level_deletes_an_inherited_section(db):
    province, hangzhou, xihu = _three_levels(db)
    union_catalogs.delete_section(db.session, SYSTEM, hangzhou, _section(hangzhou, "岗位技能").id)
    db.session.commit()
    assert _view(db, province)["岗位技能"] == ["甲", "乙"]
    assert "岗位技能" not in _view(db, hangzhou)
    assert _view(db, xihu)["岗位技能"] == [] and _section(xihu, "岗位技能").source_section_id is None
    # the lowest level deletes its own copies too
    for section in list(xihu.sections):
        union_catalogs.delete_section(db.session, SYSTEM, xihu, section.id)
    db.session.commit()
    assert _view(db, xihu) == {} and _view(db, hangzhou) != {}


def test_sections_move_at_every_level_and_stop_at_the_ends(db):
    province, hangzhou, xihu = _three_levels(db)
    for catalog in (province, hangzhou, xihu):
        titles = list(_view(db, catalog))
        union_catalogs.move_section(db.session, SYSTEM, catalog, _section(catalog, titles[0]).id, -1)  # already first
        union_catalogs.move_section(db.session, SYSTEM, catalog, _section(catalog, titles[-1]).id, 1)  # already last
        db.session.commit()
        assert list(_view(db, catalog)) == titles
        union_catalogs.move_section(db.session, SYSTEM, catalog, _section(catalog, "岗位技能").id, 1)
        db.session.commit()
        assert list(_view(db, catalog)) == [titles[0], titles[2], titles[1], titles[3]]
        assert sorted(s.position for s in catalog.sections) == [0, 1, 2, 3]
    # moving the parent's section does not move the children's copies: each level orders its own menu
    assert list(_view(db, xihu))[1] == "创业创新"
    assert _view(db, xihu)["岗位技能"] == ["甲", "杭州"]


def test_entries_removed_unpinned_unhidden_at_every_level(db):
    province, hangzhou, xihu = _three_levels(db)
    hz_skills, xh_skills = _section(hangzhou, "岗位技能"), _section(xihu, "岗位技能")
    b = next(i for i in hz_skills.items if i.hidden).resource_id
    local = next(i for i in hz_skills.items if not i.hidden).resource_id
    union_catalogs.add_link(db.session, SYSTEM, province, _section(province, "岗位技能").id, "报名",
                            "https://example.org/sign")
    # the county pins an inherited link (it keeps its name) and hides Hangzhou's own entry
    union_catalogs.set_entry(db.session, SYSTEM, xihu, xh_skills.id, "uhttps://example.org/sign", "pin")
    union_catalogs.set_entry(db.session, SYSTEM, xihu, xh_skills.id, f"r{local}", "hide")
    db.session.commit()
    assert _view(db, xihu)["岗位技能"] == ["报名", "甲"]
    union_catalogs.set_entry(db.session, SYSTEM, xihu, xh_skills.id, "uhttps://example.org/sign", "unpin")
    union_catalogs.set_entry(db.session, SYSTEM, xihu, xh_skills.id, f"r{local}", "unhide")
    db.session.commit()
    assert _view(db, xihu)["岗位技能"] == ["甲", "杭州", "报名"]  # unpinned: its own copy, after the inherited
    union_catalogs.set_entry(db.session, SYSTEM, hangzhou, hz_skills.id, f"r{b}", "unhide")
    union_catalogs.set_entry(db.session, SYSTEM, hangzhou, hz_skills.id, f"r{local}", "remove")
    db.session.commit()
    assert _view(db, hangzhou)["岗位技能"] == ["甲", "乙", "报名"]
    assert _view(db, xihu)["岗位技能"] == ["甲", "乙", "报名"]
    union_catalogs.set_entry(db.session, SYSTEM, province, _section(province, "岗位技能").id,
                             "uhttps://example.org/sign", "remove")
    db.session.commit()
    assert _view(db, xihu)["岗位技能"] == ["甲", "乙", "报名"]  # the county pinned its own copy once: unpinned, kept
    assert db.session.scalar(select(func.count()).select_from(CatalogSection)) == 12


def test_the_editor_page_deletes_and_moves_sections(client, auth, db):
    province, hangzhou, xihu = _three_levels(db)
    auth.as_role("union_staff", "330100")
    url = "/catalog/u/330100/edit"
    skills = _section(hangzhou, "岗位技能")
    moved = post_form(client, url, {"action": "section_down", "section_id": skills.id})
    assert moved.status_code == 302  # back on the section edited, unfolded, the others folded to their titles
    assert moved.headers["Location"].endswith(f"open={skills.id}#section-{skills.id}")
    shown = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert f'id="section-{skills.id}" open>' in shown and shown.count(" open>") == 1
    assert post_form(client, url, {"action": "section_up", "section_id": skills.id}).status_code == 302
    response = post_form(client, url, {"action": "delete_section", "section_id": skills.id})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "目录已更新" in page and "岗位技能" not in page and "创业创新" in page
    assert "岗位技能" in client.get("/catalog/u/330106").get_data(as_text=True)  # the county keeps its copy
    # a section of another level, or one already gone: a clear message, no 500
    for section_id in (skills.id, _section(province, "创业创新").id):
        response = post_form(client, url, {"action": "delete_section", "section_id": section_id})
        assert response.status_code == 404 or "目录栏目不存在" in response.get_data(as_text=True)


def test_a_key_names_only_a_resource_the_section_may_list(app, client, auth, db):
    """A review's attacks: Ningbo's staff hid `r<id>` of a Hangzhou institution's draft in their own catalog and
    the editor printed its title (every draft of the province, id by id); a key of no resource answered 500, on
    the editor and in the bulk action. Both are now "no such entry" (the editor's 400 with its message), and nothing
    is kept."""
    from app.accounts.policy import can
    from tests import factories

    draft = make("INST-T1", title="绝密草稿课程XYZ")
    assert not can(factories.user("union_staff", "330200"), "resource.view", draft)
    ningbo = union_catalogs.create_catalog(db.session, factories.user("union_staff", "330200"), _org(db, "330200"))
    section = ningbo.sections[0]
    db.session.commit()
    auth.as_role("union_staff", "330200")
    for action, key in (("hide", f"r{draft.id}"), ("pin", f"r{draft.id}"), ("pin", "r999999"), ("hide", "r999999")):
        answer = post_form(client, "/catalog/u/330200/edit", {"action": action, "section_id": section.id, "key": key})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and "目录条目不存在" in page and "绝密草稿课程XYZ" not in page, (action, key)
    answer = post_form(client, "/catalog/u/330200/edit/bulk", {"ids": [f"{section.id}:r999999"], "action": "hide"},
                       "/catalog/u/330200/edit")
    assert answer.status_code < 500
    assert "绝密草稿课程XYZ" not in client.get("/catalog/u/330200/edit").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CatalogItem)) == 0
