"""Organisation scope (app/accounts/scope.py): the organisations a person's memberships let them act for, and
the SQL condition that narrows a query to them, follow the memberships as they are granted and revoked."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import organisations, scope, service
from app.accounts.models import Organisation, OrgKind, Role
from app.accounts.policy import SYSTEM
from tests import factories


def _org(db, code):
    return organisations.get_by_code(db.session, code)


def _codes(orgs):
    return [org.code for org in orgs]


def _within(db, orgs):
    return set(db.session.scalars(select(Organisation.code).where(scope.within(orgs))))


def test_a_user_with_two_memberships_sees_both_organisations_and_loses_a_revoked_one(db):
    person = factories.user("institution_staff", factories.INSTITUTION)
    service.grant_role(db.session, person, Role.institution_staff, _org(db, factories.OTHER_INSTITUTION))
    db.session.flush()
    db.session.refresh(person)
    both = [factories.INSTITUTION, factories.OTHER_INSTITUTION]
    assert _codes(scope.orgs_of(person)) == both
    assert _codes(scope.orgs_of(person, action="resource.create")) == both
    assert scope.org_ids_of(person) == [_org(db, code).id for code in both]
    assert _within(db, scope.orgs_of(person)) == set(both)  # institutions see themselves, nothing below

    second = next(m for m in person.memberships if m.organisation.code == factories.OTHER_INSTITUTION)
    service.revoke_staff(db.session, SYSTEM, second)
    db.session.flush()
    db.session.refresh(person)
    assert _codes(scope.orgs_of(person)) == [factories.INSTITUTION]
    assert _within(db, scope.orgs_of(person)) == {factories.INSTITUTION}


def test_narrowing_by_role_kind_and_action(db):
    union = factories.user("union_staff", "330106")
    assert scope.roles_of(union) == {Role.union_staff}
    assert _codes(scope.orgs_of(union, kinds=(OrgKind.union,))) == ["330106"]
    assert scope.orgs_of(union, kinds=(OrgKind.enterprise,)) == []
    assert scope.orgs_of(union, roles=(Role.institution_staff,)) == []
    assert scope.acts_for_any(union, "org.manage") and not scope.acts_for_any(union, "exchange.import")
    below = set(db.session.scalars(select(Organisation.code).where(scope.below_own_unions(union))))
    assert "330106" in below and factories.ENTERPRISE in below and "330105" not in below
    assert below == _within(db, scope.orgs_of(union))  # a union oversees its whole subtree


def test_nobody_acts_for_any_organisation(db):
    worker = factories.user("worker")
    for who in (worker, None):
        assert scope.orgs_of(who) == [] and scope.roles_of(who) == set()
        assert scope.below_own_unions(who) is None
    assert _within(db, []) == set()
