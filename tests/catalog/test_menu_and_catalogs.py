"""The menu (seed, admin edits, nothing orphaned) and union catalogs (inheritance: copy, pin, hide, add)."""

import pytest

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid
from catalog import categories, menu_seed, service, union_catalogs
from tests import factories
from tests.catalog.helpers import make


def test_menu_follows_the_source_document(db):
    menu = categories.load_menu(db.session)
    assert [root.name for root in menu.roots] == ["学历继续教育", "岗位技能", "创业创新", "综合素质"]
    assert [c.name for c in menu.by_code["academic"].children] == ["专科", "高起本", "专升本"]
    skills = [c.name for c in menu.by_code["skills"].children]
    assert skills[:8] == ["建筑", "制造", "能源", "物流", "餐饮", "物业", "家政", "养老"]
    assert "转岗与技能储备" in skills and [c.name for c in menu.by_code["skills-export"].children] == [
        "工程建设", "商务合作", "法律法规"]
    assert len(menu.by_code["innovation"].children) == 4 and len(menu.by_code["literacy"].children) == 8
    assert len(menu.flat()) == len(list(menu_seed.walk()))


def test_seed_is_idempotent_and_keeps_admin_renames(db, runner):
    admin = factories.user("admin")
    categories.rename(db.session, admin, categories.get(db.session, "skills"), "技能培训")
    db.session.commit()
    result = runner.invoke(args=["catalog", "seed-menu"])
    assert result.exit_code == 0 and "0 categories added" in result.output
    assert categories.get(db.session, "skills").name == "技能培训"


def test_admin_edits_the_tree(db):
    admin = factories.user("admin")
    added = categories.add(db.session, admin, name="新能源", code="skills-new-energy", parent_code="skills")
    assert added.position == len(categories.load_menu(db.session).by_code["skills"].children) - 1
    categories.reorder(db.session, admin, added, -100)
    assert categories.load_menu(db.session).by_code["skills"].children[0].code == "skills-new-energy"
    categories.move(db.session, admin, added, "innovation")
    assert categories.load_menu(db.session).by_code["innovation"].children[-1].code == "skills-new-energy"
    with pytest.raises(Invalid):
        categories.move(db.session, admin, categories.get(db.session, "skills"), "export-law")  # into its own subtree
    with pytest.raises(Invalid):
        categories.add(db.session, admin, name="重复", code="skills")
    categories.delete(db.session, admin, added)
    assert "skills-new-energy" not in categories.load_menu(db.session).by_code


def test_a_category_holding_resources_or_children_cannot_be_deleted(db):
    admin = factories.user("admin")
    make(category="literacy-safety")
    with pytest.raises(Conflict) as err:
        categories.delete(db.session, admin, categories.get(db.session, "literacy-safety"))
    assert err.value.code == "category_not_empty"
    with pytest.raises(Conflict):
        categories.delete(db.session, admin, categories.get(db.session, "literacy"))


def test_only_admins_manage_the_menu(db):
    with pytest.raises(Forbidden):
        categories.rename(db.session, factories.user("union_staff", "330000"), categories.get(db.session, "skills"),
                          "x")


def test_rename_reindexes_the_resources_below(db):
    from sqlalchemy import func, select

    from app.outbox import OutboxEvent

    resource = make(category="skills-energy")
    before = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.key == str(
        resource.id)))
    categories.rename(db.session, factories.user("admin"), categories.get(db.session, "skills"), "技能")
    after = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.key == str(
        resource.id)))
    assert after == before + 1


def _org(db, code):
    return organisations.get_by_code(db.session, code)


def _titles(resolved):
    return {part.section.title: [e.resource.title if e.resource else e.link_title for e in part.entries]
            for part in resolved}


def test_catalog_inheritance_copy_pin_hide_add(db):
    a = make(title="甲", publish=True)
    b = make(title="乙", publish=True)
    c = make(title="丙", publish=True)
    local = make(title="杭州本地", publish=True)
    province = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330000"))
    assert [s.title for s in province.sections] == ["学历继续教育", "岗位技能", "创业创新", "综合素质"]
    skills = province.sections[1]
    for resource in (a, b, c):
        union_catalogs.add_resource(db.session, SYSTEM, province, skills.id, resource.id)
    hz_staff = factories.user("union_staff", "330100")
    hangzhou = union_catalogs.create_catalog(db.session, hz_staff, _org(db, "330100"))
    hz_skills = next(s for s in hangzhou.sections if s.source_section_id == skills.id)
    assert hangzhou.parent_id == province.id
    union_catalogs.set_entry(db.session, hz_staff, hangzhou, hz_skills.id, f"r{c.id}", "pin")
    union_catalogs.set_entry(db.session, hz_staff, hangzhou, hz_skills.id, f"r{b.id}", "hide")
    union_catalogs.add_resource(db.session, hz_staff, hangzhou, hz_skills.id, local.id)
    union_catalogs.add_link(db.session, hz_staff, hangzhou, hz_skills.id, "报名", "https://example.org/sign")
    assert _titles(union_catalogs.resolve(db.session, hangzhou))["岗位技能"] == ["丙", "甲", "杭州本地", "报名"]
    # live: what the province adds later shows through; a county below Hangzhou inherits Hangzhou's view
    d = make(title="丁", publish=True)
    union_catalogs.add_resource(db.session, SYSTEM, province, skills.id, d.id)
    xihu = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330106"))
    assert _titles(union_catalogs.resolve(db.session, xihu))["岗位技能"] == ["丙", "甲", "丁", "杭州本地", "报名"]
    # unhide and unpublish
    union_catalogs.set_entry(db.session, hz_staff, hangzhou, hz_skills.id, f"r{b.id}", "unhide")
    service.unpublish(db.session, SYSTEM, a, "过时")
    assert _titles(union_catalogs.resolve(db.session, hangzhou))["岗位技能"] == ["丙", "乙", "丁", "杭州本地", "报名"]
    assert union_catalogs.memberships(db.session)[c.id] == {"330000", "330100", "330106"}


def test_catalog_rules(db):
    draft = make(title="草稿")
    province = union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330000"))
    with pytest.raises(Invalid):
        union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[0].id, draft.id)
    with pytest.raises(Conflict):
        union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "330000"))
    with pytest.raises(Invalid):
        union_catalogs.create_catalog(db.session, SYSTEM, _org(db, "INST-T1"))
    with pytest.raises(Forbidden):
        union_catalogs.add_section(db.session, factories.user("union_staff", "330200"), province, "宁波不能改省里")
    with pytest.raises(Invalid):
        union_catalogs.add_link(db.session, SYSTEM, province, province.sections[0].id, "坏", "javascript:alert(1)")
