"""Every role against every foundation action, as a table. A row is (role, org the role is held in,
action, target, expected). Catalog, media and programme actions have their own tables beside their code."""

import pytest

from app.accounts import organisations
from app.accounts.action_names import DESCRIPTIONS
from app.accounts.models import Role
from app.accounts.policy import RULES, SYSTEM, can
from tests import factories

ROLES = [
    ("anonymous", None), ("worker", None), ("institution_staff", factories.INSTITUTION),
    ("enterprise_staff", factories.ENTERPRISE), ("union_staff", "330000"), ("union_staff", "330100"),
    ("union_staff", "330106"), ("union_staff", "330200"), ("admin", None),
]

# targets: organisations by code, or ("role", org_code) for grants, or "self"/"other" for profiles
TABLE = {
    # action, target:           anon   worker inst   ent    prov   hz     xihu   nb     admin
    ("org.view", "330106"):         (1,     1,     1,     1,     1,     1,     1,     1,     1),
    ("org.manage", "330100"):       (0,     0,     0,     0,     1,     1,     0,     0,     1),
    ("org.manage", "330106"):       (0,     0,     0,     0,     1,     1,     1,     0,     1),
    ("org.manage", "330200"):       (0,     0,     0,     0,     1,     0,     0,     1,     1),
    ("org.import", "330106"):       (0,     0,     0,     0,     1,     1,     1,     0,     1),
    ("org.import", factories.INSTITUTION): (0, 0,   0,     0,     0,     0,     0,     0,     1),
    ("user.grant_role", ("union_staff", "330106")):        (0, 0, 0, 0, 1, 1, 1, 0, 1),
    # an institution's staff are appointed by its own admin (see test_appointments), never by the unions over it
    ("user.grant_role", ("institution_staff", factories.INSTITUTION)): (0, 0, 0, 0, 0, 0, 0, 0, 1),
    ("user.grant_role", ("union_staff", factories.INSTITUTION)):       (0, 0, 0, 0, 0, 0, 0, 0, 1),  # service: Invalid
    ("user.grant_role", ("union_staff", "330100")):        (0, 0, 0, 0, 1, 1, 0, 0, 1),
    ("user.grant_role", ("admin", None)):                  (0, 0, 0, 0, 0, 0, 0, 0, 1),
    ("profile.view", "self"):       (0,     1,     1,     1,     1,     1,     1,     1,     1),
    ("profile.view", "xihu_worker"): (0,    0,     0,     0,     1,     1,     1,     0,     1),
    ("profile.view", "nb_worker"):  (0,     0,     0,     0,     1,     0,     0,     1,     1),
    ("profile.edit", "self"):       (0,     1,     1,     1,     1,     1,     1,     1,     1),
    ("profile.edit", "xihu_worker"): (0,    0,     0,     0,     0,     0,     0,     0,     0),
    ("admin.site", None):           (0,     0,     0,     0,     0,     0,     0,     0,     1),
}


def _worker_in(db, union_code):
    from app.accounts import profiles

    worker = factories.user("worker")
    profiles.update_profile(db.session, worker, worker, {"union_member": True, "union_code": union_code})
    return worker


def _target(db, spec, user):
    if spec is None:
        return None
    if spec == "self":
        return user
    if spec == "xihu_worker":
        return _worker_in(db, "330106")
    if spec == "nb_worker":
        return _worker_in(db, "330205")
    if isinstance(spec, tuple):
        role, code = spec
        return (organisations.get_by_code(db.session, code) if code else None, Role(role))
    return organisations.get_by_code(db.session, spec)


CASES = [(action, target, role, org, bool(row[i]))
         for (action, target), row in TABLE.items() for i, (role, org) in enumerate(ROLES)]


@pytest.mark.parametrize(("action", "target", "role", "org", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}@{c[3]}" for c in CASES])
def test_policy_table(db, action, target, role, org, expected):
    user = None if role == "anonymous" else factories.user(role, org)
    assert can(user, action, _target(db, target, user)) is expected


def test_every_foundation_action_is_in_the_table():
    foundation = {a for a in RULES if a.split(".")[0] in {"org", "user", "profile", "admin"}}
    assert foundation == {action for action, _target in TABLE}


def test_every_action_is_described_and_unknown_actions_are_errors(db):
    assert set(RULES) == set(DESCRIPTIONS)
    with pytest.raises(KeyError):
        can(factories.user("admin"), "no.such.action")


def test_the_command_line_operator_may_do_anything(db):
    assert all(can(SYSTEM, action, None) for action in RULES)
