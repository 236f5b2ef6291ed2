"""Which organisations a person acts for, in one place: the walk over their memberships ("the organisations I
may upload for", "the unions whose enquiries I answer") and the SQL condition that narrows a query to what those
organisations may see. Whether an action is allowed on one organisation stays in app/accounts/policy.py; this
module only asks it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select

from app.accounts.models import Organisation, OrgKind, Role
from app.accounts.policy import can


def orgs_of(user: Any, *, action: str | None = None, roles: Collection[Role] = (),
            kinds: Collection[OrgKind] = ()) -> list[Organisation]:
    """The organisations of `user`'s memberships, each once, in membership order: with `roles`, only memberships
    of those roles; with `kinds`, only organisations of those kinds; with `action`, only where the policy allows
    it. Anonymous users and None have none."""
    found: dict[int, Organisation] = {}
    for membership in getattr(user, "memberships", None) or []:
        org = membership.organisation
        if org is None or org.id in found or (roles and membership.role not in roles):
            continue
        if (kinds and org.kind not in kinds) or (action and not can(user, action, org)):
            continue
        found[org.id] = org
    return list(found.values())


def org_ids_of(user: Any, **narrow: Any) -> list[int]:
    """The ids of `orgs_of(user, **narrow)`, for `IN (...)` conditions."""
    return [org.id for org in orgs_of(user, **narrow)]


def roles_of(user: Any) -> set[Role]:
    """The roles `user` holds through memberships (not the implicit worker role)."""
    return {membership.role for membership in getattr(user, "memberships", None) or []}


def acts_for_any(user: Any, action: str) -> bool:
    """Whether `action` is allowed on at least one of `user`'s organisations."""
    return bool(orgs_of(user, action=action))


def within(orgs: Collection[Organisation]) -> ColumnElement[bool]:
    """Condition on `Organisation`: one of `orgs`, or below one of them that is a union (a union oversees its
    subtree; an institution or enterprise only itself). False when `orgs` is empty."""
    if not orgs:
        return false()
    below = [Organisation.path.startswith(org.path) for org in orgs if org.kind == OrgKind.union]
    return or_(Organisation.id.in_([org.id for org in orgs]), *below)


def within_ids(orgs: Collection[Organisation]) -> Select[int]:
    """`SELECT id` of the organisations `within(orgs)`: for `column.in_(...)` on a table that has no join to
    organisations."""
    return select(Organisation.id).where(within(orgs))


def below_own_unions(user: Any) -> ColumnElement[bool] | None:
    """Condition on `Organisation`: within a union `user` is union staff of (that union or any below it); None
    when they are staff of no union, so the caller can answer "nothing" without a query."""
    unions = orgs_of(user, roles=(Role.union_staff,), kinds=(OrgKind.union,))
    return or_(*[Organisation.path.startswith(org.path) for org in unions]) if unions else None
