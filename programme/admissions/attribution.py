"""Recruitment attribution: which union's QR code brought a worker in. A visit with `?via=<union code>`
keeps the code in the session until the visitor registers; the register view (app/accounts/views.py) then
stores the union on `users.referred_by_id`. Applications are attributed through their applicant, and the
reports roll both up the union tree by path."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, User

SESSION_KEY = "via"
_CODE = re.compile(r"^[A-Za-z0-9-]{1,32}$")


def remember(store: MutableMapping[str, Any], code: str | None) -> None:
    """Keep a well-formed code (the first one wins: the poster that brought the visitor here)."""
    if code and _CODE.match(code) and SESSION_KEY not in store:
        store[SESSION_KEY] = code


def referrer(session: Session, code: str | None) -> Organisation | None:
    """The union a remembered code names, or None for anything else (a stale or made-up code)."""
    if not code or not _CODE.match(code):
        return None
    return session.scalar(select(Organisation).where(Organisation.code == code, Organisation.kind == OrgKind.union))


def owner_of(org: Organisation, path: str) -> int:
    """Which row of `org`'s report a union path counts under: the direct child it lies below, else `org`."""
    for child in org.children:
        if path.startswith(child.path):
            return child.id
    return org.id


def registrations_below(session: Session, org: Organisation) -> dict[int, int]:
    """Users brought in by `org` or any union under it, counted per direct child (and `org` itself).
    Keys are organisation ids of `org` and its children; a township's count rolls into its county's."""
    rows = session.execute(select(Organisation.path, func.count(User.id)).join(
        User, User.referred_by_id == Organisation.id).where(Organisation.path.startswith(org.path))
        .group_by(Organisation.path)).all()
    counts: dict[int, int] = {}
    for path, count in rows:
        owner = owner_of(org, path)
        counts[owner] = counts.get(owner, 0) + count
    return counts
