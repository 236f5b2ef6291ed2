"""Every role against every catalog action (the policy table), and every role against every workflow
transition performed through the services (what actually happens, not only what `can` says)."""

import pytest

from app.accounts import organisations
from app.accounts.action_names import DESCRIPTIONS
from app.accounts.policy import RULES, SYSTEM, can
from app.errors import Forbidden
from app.extensions import db as _db
from catalog import service
from catalog.models import ResourceStatus
from tests import factories
from tests.catalog.helpers import make

ROLES = [
    ("anonymous", None), ("worker", None), ("institution_staff", "INST-T1"), ("institution_staff", "INST-T2"),
    ("enterprise_staff", "ENT-T1"), ("union_staff", "330000"), ("union_staff", "330100"),
    ("union_staff", "330106"), ("union_staff", "330200"), ("admin", None),
]

# targets: an organisation code, "resource" (a draft of INST-T1, under Hangzhou 330100), or None
TABLE = {
    # action, target:               anon worker t1  t2  ent prov hz  xihu nb  admin
    ("resource.create", "INST-T1"):  (0,   0,     1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.create", "INST-T2"):  (0,   0,     0,  1,  0,  0,   0,  0,   0,  1),
    ("resource.create", "ENT-T1"):   (0,   0,     0,  0,  1,  0,   0,  0,   0,  1),
    ("resource.create", "330100"):   (0,   0,     0,  0,  0,  1,   1,  0,   0,  1),
    ("resource.create", "330106"):   (0,   0,     0,  0,  0,  1,   1,  1,   0,  1),
    ("resource.edit", "resource"):   (0,   0,     1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.submit", "resource"): (0,   0,     1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.withdraw", "resource"): (0, 0,     1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.review", "resource"): (0,   0,     0,  0,  0,  1,   1,  0,   0,  1),
    ("resource.unpublish", "resource"): (0, 0,    0,  0,  0,  1,   1,  0,   0,  1),
    ("resource.view", "resource"):   (0,   0,     1,  0,  0,  1,   1,  0,   0,  1),
    ("catalog.edit", "330000"):      (0,   0,     0,  0,  0,  1,   0,  0,   0,  1),
    ("catalog.edit", "330100"):      (0,   0,     0,  0,  0,  1,   1,  0,   0,  1),
    ("catalog.edit", "330106"):      (0,   0,     0,  0,  0,  1,   1,  1,   0,  1),
    ("catalog.edit", "INST-T1"):     (0,   0,     0,  0,  0,  0,   0,  0,   0,  1),
    ("category.manage", None):       (0,   0,     0,  0,  0,  0,   0,  0,   0,  1),
    # 校企合作: "invited" is the draft with ENT-T1 invited, "coauthored" with ENT-T1 accepted
    ("resource.coauthor_invite", "resource"): (0, 0, 1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.coauthor_accept", "invitation"): (0, 0, 0, 0, 1,  0,   0,  0,   0,  1),
    ("resource.coauthor_remove", "invitation"): (0, 0, 1, 0, 1,  0,   0,  0,   0,  1),
    ("resource.edit", "invited"):    (0,   0,     1,  0,  0,  0,   0,  0,   0,  1),
    ("resource.view", "invited"):    (0,   0,     1,  0,  1,  1,   1,  0,   0,  1),
    ("resource.edit", "coauthored"): (0,   0,     1,  0,  1,  0,   0,  0,   0,  1),
    ("resource.submit", "coauthored"): (0, 0,     1,  0,  1,  0,   0,  0,   0,  1),
    ("resource.withdraw", "coauthored"): (0, 0,   1,  0,  1,  0,   0,  0,   0,  1),
}
CASES = [(action, target, role, org, bool(row[i]))
         for (action, target), row in TABLE.items() for i, (role, org) in enumerate(ROLES)]


def _user(role, org):
    return None if role == "anonymous" else factories.user(role, org)


@pytest.mark.parametrize(("action", "target", "role", "org", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}@{c[3]}" for c in CASES])
def test_policy_table(db, action, target, role, org, expected):
    user = _user(role, org)
    if target == "resource":
        subject = make()
    elif target in ("invitation", "invited", "coauthored"):
        subject = _coauthored(db, accepted=target == "coauthored")
        subject = subject if target != "invitation" else subject.coauthors[0]
    elif target:
        subject = organisations.get_by_code(db.session, target)
    else:
        subject = None
    assert can(user, action, subject) is expected


def _coauthored(db, *, accepted):
    from catalog import coauthors

    resource = make()
    row = coauthors.invite(db.session, SYSTEM, resource, "ENT-T1")
    if accepted:
        coauthors.accept(db.session, SYSTEM, row)
    return resource


def test_every_catalog_action_is_in_the_table_and_described():
    catalog_actions = {a for a in RULES if a.split(".")[0] in {"resource", "catalog", "category"}}
    assert catalog_actions == {action for action, _target in TABLE}
    assert catalog_actions <= set(DESCRIPTIONS)


# transition: (status the resource must be in first, service call, roles allowed: indexes into ROLES)
ALLOWED = {"submit": {2, 9}, "select": {5, 6, 9}, "return": {5, 6, 9}, "unpublish": {5, 6, 9},
           "withdraw": {2, 9}, "edit": {2, 9}}


def _prepare(step):
    resource = make()
    if step in ("select", "return", "withdraw", "unpublish"):
        service.submit(_db.session, SYSTEM, resource)
    if step == "unpublish":
        service.review(_db.session, SYSTEM, resource, "select")
    return resource


def _perform(step, user, resource):
    session = _db.session
    if step == "submit":
        return service.submit(session, user, resource)
    if step in ("select", "return"):
        return service.review(session, user, resource, step, "请补充课程简介")
    if step == "unpublish":
        return service.unpublish(session, user, resource, "内容过时")
    if step == "withdraw":
        return service.withdraw(session, user, resource, "需要修改")
    return service.update_resource(session, user, resource, {"title": "新标题", "kind": "micro_course",
                                                            "category": "skills-construction"})


TRANSITION_CASES = [(step, i, role, org) for step in ALLOWED for i, (role, org) in enumerate(ROLES)]


@pytest.mark.parametrize(("step", "index", "role", "org"), TRANSITION_CASES,
                         ids=[f"{c[0]}-{c[2]}@{c[3]}" for c in TRANSITION_CASES])
def test_every_role_against_every_transition(db, step, index, role, org):
    resource = _prepare(step)
    before = resource.status
    user = _user(role, org)
    if index in ALLOWED[step]:
        _perform(step, user, resource)
        expected = {"submit": ResourceStatus.submitted, "select": ResourceStatus.published,
                    "return": ResourceStatus.returned, "unpublish": ResourceStatus.unpublished,
                    "withdraw": ResourceStatus.withdrawn, "edit": before}[step]
        assert resource.status == expected
    else:
        with pytest.raises(Forbidden):
            _perform(step, user, resource)
        assert resource.status == before
