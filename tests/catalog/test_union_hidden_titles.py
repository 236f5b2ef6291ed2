"""A union may hide any published resource in its catalog, including one of an institution it does not oversee.
Once the institution withdraws it and renames the draft, that union's editor (已隐藏：…) and the names its bulk
hide / show reports must not print the draft's new title: the draft is not the union's to view."""

from __future__ import annotations

import pytest

from app.accounts import organisations
from app.accounts.policy import can
from catalog import bulk as catalog_bulk
from catalog import service, union_catalogs
from tests import factories
from tests.catalog.helpers import make

SECRET = "裁员名单内部草稿"


@pytest.fixture
def hidden_then_renamed(db):
    """(resource, the Ningbo union's staff, its catalog's section id): Ningbo hid the course while it was public."""
    resource = make(title="叉车安全操作", publish=True)  # INST-T1, under Hangzhou (330100), not Ningbo
    ningbo = factories.user("union_staff", "330200")
    catalog = union_catalogs.create_catalog(db.session, ningbo, organisations.get_by_code(db.session, "330200"),
                                            inherit=False)
    section = catalog.sections[0]
    union_catalogs.set_entry(db.session, ningbo, catalog, section.id, f"r{resource.id}", "hide")
    staff = factories.user("institution_staff", "INST-T1")
    service.withdraw(db.session, staff, resource, "改版")
    service.update_resource(db.session, staff, resource, {"title": SECRET, "kind": "micro_course",
                                                          "summary": "一段简介", "category": "skills-construction"})
    db.session.commit()
    assert not can(ningbo, "resource.view", resource)
    return resource, ningbo, section.id


def test_the_editor_shows_no_later_draft_title(client, auth, hidden_then_renamed):
    resource, ningbo, _section = hidden_then_renamed
    auth.login(ningbo.phone)
    page = client.get("/catalog/u/330200/edit").get_data(as_text=True)
    assert SECRET not in page
    assert f"#{resource.id}（已撤回或未发布）" in page  # still listed, so it can be shown again


def test_bulk_show_names_no_later_draft_title(db, hidden_then_renamed):
    resource, ningbo, section_id = hidden_then_renamed
    catalog = union_catalogs.catalog_of(db.session, organisations.get_by_code(db.session, "330200"))
    outcome = catalog_bulk.entries_many(db.session, ningbo, catalog,
                                        [catalog_bulk.entry_ref(section_id, f"r{resource.id}")], "show")
    assert outcome.done == [f"#{resource.id}（已撤回或未发布）"]
    again = catalog_bulk.entries_many(db.session, ningbo, catalog,  # now an own entry, shown: a refusal names it
                                      [catalog_bulk.entry_ref(section_id, f"r{resource.id}")], "show")
    assert all(SECRET not in r.name for r in again.refused) and again.refused


def test_a_union_that_may_view_the_draft_still_sees_its_title(db, client, auth):
    resource = make(title="叉车安全操作", publish=True)
    hangzhou = factories.user("union_staff", "330100")  # reviews INST-T1's resources
    catalog = union_catalogs.create_catalog(db.session, hangzhou, organisations.get_by_code(db.session, "330100"),
                                            inherit=False)
    union_catalogs.set_entry(db.session, hangzhou, catalog, catalog.sections[0].id, f"r{resource.id}", "hide")
    staff = factories.user("institution_staff", "INST-T1")
    service.withdraw(db.session, staff, resource, "改版")
    service.update_resource(db.session, staff, resource, {"title": SECRET, "kind": "micro_course",
                                                          "summary": "一段简介", "category": "skills-construction"})
    db.session.commit()
    auth.login(hangzhou.phone)
    assert f"已隐藏：{SECRET}" in client.get("/catalog/u/330100/edit").get_data(as_text=True)
