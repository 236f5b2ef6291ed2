"""A union's learning roll-up (page, CSV, XLSX) lists every resource its catalog names, published or not. A course
of another city's institution that the union listed (or inherited from the union above) while public, then
withdrawn and renamed by its provider, showed the provider's unreviewed draft title to a union that may not view
the draft. Now such a row shows the catalog editor's label, keeps its figures, and the totals stay whole."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.accounts import organisations
from app.accounts.policy import can
from catalog import service, union_catalogs
from tests import factories
from tests.catalog.helpers import make
from tests.learning.conftest import enrol_back_dated

SECRET = "裁员名单内部草稿"


def _listed_then_renamed(db, union: str, inherit: bool):
    """A Hangzhou institution's course (INST-T1) listed by Ningbo's catalog, then withdrawn and renamed;
    `union` reads it through its own catalog (Ningbo's, or a county's that inherits it)."""
    resource = make(title="叉车安全操作", publish=True)
    for _ in range(3):  # learners: the row's figures still count in the union's total
        enrol_back_dated(factories.user("worker"), resource)
    ningbo = factories.user("union_staff", "330200")
    catalog = union_catalogs.create_catalog(db.session, ningbo, organisations.get_by_code(db.session, "330200"),
                                            inherit=False)
    union_catalogs.add_resource(db.session, ningbo, catalog, catalog.sections[0].id, resource.id)
    reader = ningbo
    if union != "330200":
        reader = factories.user("union_staff", union)
        union_catalogs.create_catalog(db.session, reader, organisations.get_by_code(db.session, union),
                                      inherit=inherit)
    staff = factories.user("institution_staff", "INST-T1")
    service.withdraw(db.session, staff, resource, "改版")
    service.update_resource(db.session, staff, resource, {"title": SECRET, "kind": "micro_course",
                                                          "summary": "一段简介", "category": "skills-construction"})
    db.session.commit()
    assert not can(reader, "resource.view", resource)
    return resource, reader


@pytest.mark.parametrize("union", ["330200", "330203"])  # listed by Ningbo; inherited by 海曙区 from Ningbo
def test_union_analytics_and_exports_show_no_draft_title(db, client, auth, union):
    resource, reader = _listed_then_renamed(db, union, inherit=True)
    auth.login(reader.phone)
    page = client.get(f"/programme/analytics/unions/{union}")
    assert page.status_code == 200
    csv = client.get(f"/programme/analytics/unions/{union}.csv")
    assert csv.status_code == 200
    xlsx = client.get(f"/programme/analytics/unions/{union}.xlsx")
    assert xlsx.status_code == 200
    cells = [str(c) for ws in load_workbook(io.BytesIO(xlsx.data)).worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]
    html, text = page.get_data(as_text=True), csv.data.decode("utf-8-sig")
    leaks = {"page": SECRET in html, "csv": SECRET in text, "xlsx": any(SECRET in c for c in cells)}
    assert not any(leaks.values()), leaks
    label = union_catalogs.withheld_label(resource.id)
    assert label in html and label in text and label in cells  # the row is still there, named as the editor does


def test_the_withheld_row_keeps_its_figures_and_the_provider_still_reads_its_title(db):
    from programme.analytics import service as analytics

    resource, ningbo = _listed_then_renamed(db, "330200", inherit=False)
    page = analytics.union_page(db.session, ningbo, "330200", 1)
    row = next(r for r in page.rows if r.resource.id == resource.id)
    assert row.enrolled == 3 and page.summary.enrolled == 3  # totals unchanged
    assert page.titles[resource.id] == union_catalogs.withheld_label(resource.id)
    hangzhou = analytics.union_page(db.session, factories.user("union_staff", "330100"), "330100", 1)
    assert hangzhou.titles[resource.id] == SECRET  # the union over its provider reviews the draft: its own to read
