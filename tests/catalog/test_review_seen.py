"""A reviewer's decision is on the submission their page showed (a review's finding: the author could withdraw,
rewrite and resubmit between the reviewer's opening the queue and pressing 遴选发布, publishing what nobody saw)."""

import re

from app.accounts.policy import SYSTEM
from catalog import service
from catalog.models import Resource, ResourceStatus
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form


def _swap(db, resource_id: int) -> None:
    """The author withdraws the submitted course, rewrites it and submits it again."""
    author = factories.user("institution_staff", "INST-T1")
    resource = db.session.get(Resource, resource_id)
    service.withdraw(db.session, author, resource, "再改改")
    service.update_resource(db.session, author, resource, {"title": "电工安全（换过的内容）", "kind": "micro_course",
                                                           "summary": "审核人没看过的内容",
                                                           "category": "skills-construction"})
    service.submit(db.session, author, resource)
    db.session.commit()


def _seen(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def test_attack_a_course_swapped_while_the_reviewer_looks_is_not_published(db, client, auth):
    resource = make("INST-T1", title="电工安全")
    service.submit(db.session, SYSTEM, resource)
    db.session.commit()
    auth.as_role("union_staff", "330100")
    page = client.get("/catalog/review").get_data(as_text=True)
    one, many = _seen(page, "seen"), _seen(page, f"seen_{resource.id}")
    _swap(db, resource.id)
    post_form(client, f"/catalog/review/{resource.id}", {"decision": "select", "seen": one}, "/catalog/review")
    assert "请重新查看内容后再审核" in client.get("/catalog/review").get_data(as_text=True)
    post_form(client, "/catalog/review/bulk", {"ids": [str(resource.id)], "decision": "select", "comment": "",
                                               f"seen_{resource.id}": many}, "/catalog/review")
    assert "请重新查看内容后再审核" in client.get("/catalog/review").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).status == ResourceStatus.submitted
    page = client.get("/catalog/review").get_data(as_text=True)  # opened again: the new submission is decided
    post_form(client, f"/catalog/review/{resource.id}", {"decision": "select", "seen": _seen(page, "seen")},
              "/catalog/review")
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).status == ResourceStatus.published
