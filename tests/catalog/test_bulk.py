"""Bulk work in the catalog (catalog/bulk.py, app/bulk.py): select or return many submitted resources with one
comment, hide or show many union catalog entries. Each item goes through the single-item service, so the
policy holds item by item: the attacks below pick their own course, or another union's, among others."""

import pytest
from sqlalchemy import select

from app import audit, bulk
from app.accounts import organisations
from app.accounts.models import Role
from app.accounts.policy import SYSTEM
from app.accounts.service import grant_role
from app.errors import Forbidden, Invalid
from app.extensions import db as ext_db
from catalog import bulk as catalog_bulk
from catalog import service, union_catalogs
from catalog.models import Resource, ResourceStatus
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form


def _submitted(title: str, provider: str = "INST-T1", actor=SYSTEM) -> Resource:
    resource = make(provider, title=title, actor=actor)
    service.submit(ext_db.session, actor, resource)
    return resource


def _rows(db, action: str) -> list[audit.AuditEntry]:
    return list(db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == action)
                                   .order_by(audit.AuditEntry.id)))


def test_one_comment_selects_many_and_each_is_audited(db):
    reviewer = factories.user("union_staff", "330100")
    first, second = _submitted("电工入门"), _submitted("焊工入门")
    outcome = catalog_bulk.review_many(db.session, reviewer, [str(first.id), str(second.id)], "select", "内容合格")
    assert outcome.done == ["《电工入门》", "《焊工入门》"] and outcome.refused == []
    assert first.status == second.status == ResourceStatus.published
    assert [t.comment for t in service.history(db.session, first)][-1] == "内容合格"
    rows = _rows(db, "resource.select")
    items = [r for r in rows if r.target_kind == "resource"]
    assert {r.target_id for r in items} == {str(first.id), str(second.id)}
    assert all(r.actor_id == reviewer.id and audit.detail_of(r)["comment"] == "内容合格" for r in items)
    batch = [r for r in rows if r.target_kind == "batch"]
    assert len(batch) == 1 and audit.detail_of(batch[0])["done"] == [str(first.id), str(second.id)]
    assert {audit.detail_of(r)["batch"] for r in items} == {batch[0].target_id}


def test_returning_needs_the_one_comment(db):
    reviewer = factories.user("union_staff", "330100")
    resource = _submitted("电工入门")
    with pytest.raises(Invalid) as err:
        catalog_bulk.review_many(db.session, reviewer, [resource.id], "return", "  ")
    assert "comment" in err.value.fields and resource.status == ResourceStatus.submitted
    outcome = catalog_bulk.review_many(db.session, reviewer, [resource.id], "return", "请补充课时说明")
    assert outcome.done and resource.status == ResourceStatus.returned
    assert resource.status_comment == "请补充课时说明"


def test_attack_own_course_among_others_is_refused_and_the_rest_is_done(db):
    """Issue 17's rule for one item holds in bulk: a person on staff at a union and at an institution below it
    ticks their own course among others' and approves all; theirs is refused by name, the others go through."""
    person = factories.user("union_staff", "330000")
    grant_role(db.session, person, Role.institution_staff, organisations.get_by_code(db.session, "INST-T1"))
    own = _submitted("我自己的课", actor=person)
    other = _submitted("别人的课", provider="INST-T2")
    outcome = catalog_bulk.review_many(db.session, person, [own.id, other.id], "select", "")
    assert own.status == ResourceStatus.submitted and other.status == ResourceStatus.published
    assert outcome.done == ["《别人的课》"]
    assert [(r.name, r.reason) for r in outcome.refused] == [
        ("《我自己的课》", "不能处理自己（或本单位）的事项，请由其他工作人员处理。")]
    assert not [r for r in _rows(db, "resource.select") if r.target_id == str(own.id)]


def test_attack_a_union_staff_member_approving_their_own_union_resource(db):
    author = factories.user("union_staff", "330100")
    own = _submitted("工会自编课", provider="330100", actor=author)
    outcome = catalog_bulk.review_many(db.session, author, [own.id], "select")
    assert own.status == ResourceStatus.submitted and outcome.done == [] and len(outcome.refused) == 1


def test_attack_another_unions_resources_and_unknown_ids_are_refused_without_names(db):
    ningbo = factories.user("union_staff", "330200")
    hangzhou_course = _submitted("杭州的课")  # INST-T1 is under Hangzhou
    ningbo_course = _submitted("宁波的课", provider="INST-T2")
    outcome = catalog_bulk.review_many(db.session, ningbo, [hangzhou_course.id, ningbo_course.id, 999999], "select")
    assert hangzhou_course.status == ResourceStatus.submitted and ningbo_course.status == ResourceStatus.published
    assert [r.name for r in outcome.refused] == [f"#{hangzhou_course.id}", "#999999"]  # never the title
    assert {r.reason for r in outcome.refused} == {"不存在，或不在您的处理范围内。"}


def test_already_decided_items_are_listed_not_lost(db):
    reviewer = factories.user("union_staff", "330100")
    done_before = make(title="已发布的课", publish=True)
    waiting = _submitted("待审的课")
    outcome = catalog_bulk.review_many(db.session, reviewer, [done_before.id, waiting.id], "return", "请修改")
    assert done_before.status == ResourceStatus.published and waiting.status == ResourceStatus.returned
    assert [r.reason for r in outcome.refused] == ["资源当前状态不允许这个操作。"]


@pytest.mark.parametrize(("ids", "code"), [([], "nothing_selected"), (["1", "x"], "bad_ids"), (["-3"], "bad_ids"),
                                           ([str(i) for i in range(1, bulk.MAX_ITEMS + 2)], "too_many")])
def test_the_selection_itself_is_checked(db, ids, code):
    with pytest.raises(Invalid) as err:
        catalog_bulk.review_many(db.session, factories.user("union_staff", "330100"), ids, "select")
    assert err.value.code == code and err.value.message


def test_exactly_the_limit_is_fine_and_duplicates_count_once():
    assert len(bulk.parse_ids([str(i) for i in range(1, bulk.MAX_ITEMS + 1)])) == bulk.MAX_ITEMS
    assert bulk.parse_ids(["3", "3", " 4 "]) == ["3", "4"]


def _catalog_with(db, union_staff, *resources):
    org = organisations.get_by_code(db.session, "330100")
    catalog = union_catalogs.create_catalog(db.session, union_staff, org, inherit=False)
    section = catalog.sections[0]
    for resource in resources:
        union_catalogs.add_resource(db.session, union_staff, catalog, section.id, resource.id)
    return catalog, section


def test_hide_and_show_catalog_entries_in_bulk(db):
    staff = factories.user("union_staff", "330100")
    first, second = make(title="电工入门", publish=True), make(title="焊工入门", publish=True)
    catalog, section = _catalog_with(db, staff, first, second)
    refs = [catalog_bulk.entry_ref(section.id, f"r{r.id}") for r in (first, second)]
    outcome = catalog_bulk.entries_many(db.session, staff, catalog, refs[:1], "hide")
    assert outcome.done == ["《电工入门》"]
    shown = [e.key for e in union_catalogs.resolve(db.session, catalog)[0].entries]
    assert shown == [f"r{second.id}"]
    assert [r.target_id for r in _rows(db, "catalog.hide") if r.target_kind == "catalog_entry"] == refs[:1]
    # shown again: our own entry comes back (it is not dropped), and showing one that is not hidden is refused
    outcome = catalog_bulk.entries_many(db.session, staff, catalog, refs, "show")
    assert outcome.done == ["《电工入门》"] and [r.reason for r in outcome.refused] == ["这一条没有被隐藏。"]
    assert {e.key for e in union_catalogs.resolve(db.session, catalog)[0].entries} == {f"r{first.id}",
                                                                                      f"r{second.id}"}


def test_attack_another_unions_catalog_is_refused_whole(db):
    staff = factories.user("union_staff", "330100")
    resource = make(title="电工入门", publish=True)
    catalog, section = _catalog_with(db, staff, resource)
    with pytest.raises(Forbidden):
        catalog_bulk.entries_many(db.session, factories.user("union_staff", "330200"), catalog,
                                  [catalog_bulk.entry_ref(section.id, f"r{resource.id}")], "hide")
    outcome = catalog_bulk.entries_many(db.session, staff, catalog, ["999999:r1", "nonsense", "²:r1",
                                                                    f"{section.id}:r²"], "hide")
    assert outcome.done == [] and len(outcome.refused) == 4  # '²' is a digit to str.isdigit, not to int()


def test_review_page_bulk_form(app, db, client, auth):
    first, second = _submitted("电工入门"), _submitted("焊工入门")
    db.session.commit()
    auth.as_role("union_staff", "330100")
    page = client.get("/catalog/review").get_data(as_text=True)
    assert 'name="ids"' in page and 'form="bulk-review"' in page and "全选" in page
    assert client.get("/catalog/review?all=1").get_data(as_text=True).count("checked") == 2
    for data in ({}, {"ids": ["abc"]}, {"ids": [str(first.id)], "decision": "return"},
                 {"ids": [str(first.id)], "decision": "fly"}):
        response = post_form(client, "/catalog/review/bulk", {"decision": "select", **data}, "/catalog/review")
        assert response.status_code == 303
        follow = client.get("/catalog/review").get_data(as_text=True)
        assert "flash-error" in follow
    response = post_form(client, "/catalog/review/bulk", {"ids": [str(first.id), str(second.id), "424242"],
                                                         "decision": "select", "comment": "合格"}, "/catalog/review")
    assert response.status_code == 303
    follow = client.get("/catalog/review").get_data(as_text=True)
    assert "已处理2项" in follow and "#424242" in follow and "没有待审核的资源" in follow
    db.session.expire_all()
    assert db.session.get(Resource, first.id).status == ResourceStatus.published


def test_catalog_editor_bulk_form(app, db, client, auth):
    staff = factories.user("union_staff", "330100")
    resource = make(title="电工入门", publish=True)
    catalog, section = _catalog_with(db, staff, resource)
    db.session.commit()
    auth.as_role("union_staff", "330100")
    assert 'form="bulk-entries"' in client.get("/catalog/u/330100/edit").get_data(as_text=True)
    ref = catalog_bulk.entry_ref(section.id, f"r{resource.id}")
    response = post_form(client, "/catalog/u/330100/edit/bulk", {"ids": [ref], "action": "hide"},
                         "/catalog/u/330100/edit")
    assert response.status_code == 303
    assert "电工入门" not in client.get("/catalog/u/330100").get_data(as_text=True)
    assert post_form(client, "/catalog/u/330100/edit/bulk", {"action": "hide"}, "/catalog/u/330100/edit"
                     ).status_code == 303
    assert "请先勾选要处理的条目" in client.get("/catalog/u/330100/edit").get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330200")
    assert post_form(client, "/catalog/u/330100/edit/bulk", {"ids": [ref], "action": "show"},
                     "/me").status_code == 403
