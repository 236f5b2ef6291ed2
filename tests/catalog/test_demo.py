"""The demo catalog `make run` loads: enough, everywhere in the menu, and browsable."""

import pytest
from sqlalchemy import func, select

from catalog import categories, service
from catalog.models import Resource, ResourceKind, ResourceStatus, UnionCatalog


@pytest.mark.demo
def test_demo_catalog_covers_every_menu_branch(app, client, db):
    resources = db.session.scalars(select(Resource)).all()
    published = [r for r in resources if r.status == ResourceStatus.published]
    assert len(published) >= 60 and db.session.scalar(select(func.count()).select_from(UnionCatalog)) == 4
    menu = categories.load_menu(db.session)
    counts = categories.resource_counts(db.session, menu)
    empty = [node.code for node in menu.flat() if not node.children and counts[node.code] == 0]
    assert empty == []
    assert {r.provider.kind.value for r in published} == {"institution", "union"}
    assert len({r.provider.code for r in published}) >= 8
    assert all(r.lessons for r in resources)
    assert all(r.lessons[0].duration_s <= service.MICRO_COURSE_MAX_S and len(r.lessons) == 1
               for r in resources if r.kind == ResourceKind.micro_course)
    assert all(not service.publishing_problems(r) for r in published)
    assert {r.status for r in resources} >= {ResourceStatus.draft, ResourceStatus.submitted, ResourceStatus.returned}
    for url in ("/catalog/", "/catalog/menu/literacy", "/catalog/u/330106", f"/catalog/r/{published[0].id}"):
        assert client.get(url).status_code == 200
