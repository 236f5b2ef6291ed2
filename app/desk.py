"""The staff desk (工作台): what is waiting for a person, for each staff role they hold, with counts and ages.

The desk owns no queue. Each domain registers its queues here from its init_app (`register`), each with the
function its own queue page lists from, so a count on the desk is the length of that page's list by
construction; app never imports a domain. A queue is shown under the first of its roles the person holds
(DESK_ROLES' order), so someone who is both institution and union staff sees each item once. What a person may
see is decided by the queue functions themselves, through app/accounts/policy.py and scope.py.

The navigation's count (`total`) is kept per person until one of the tables the queues read is written (the
same generation mechanism as app/sharedparts.py), so a page costs a staff member one lookup, and workers and
anonymous visitors nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.accounts import scope
from app.accounts.models import Organisation, Role
from app.db import utcnow
from app.extensions import db
from app.sharedparts import SharedParts, watch_writes

# The desks, in the order the page shows them; departments' staff (评审, who select institutions) hold
# union_staff at their department, so they are the union desk's reviewers.
DESK_ROLES = (Role.institution_staff, Role.enterprise_staff, Role.union_staff, Role.admin)
ROLE_LABELS = {Role.institution_staff: _l("院校工作台"), Role.enterprise_staff: _l("企业工作台"),
               Role.union_staff: _l("工会与评审工作台"), Role.admin: _l("站点管理工作台")}
TOTAL_SECONDS = 60.0  # at most this long between a change on another host and the navigation's count


@dataclass(frozen=True)
class Item:
    """One thing waiting: what it is, whose it is, since when, by when, and the page that handles it."""

    title: str
    org: str
    since: datetime  # UTC, naive, as stored
    url: str
    deadline: date | None = None
    key: str = ""  # the queue's key, set by the desk


@dataclass(frozen=True)
class Waiting:
    """A queue's items for one person and how many there are (a paged queue lists fewer than it counts)."""

    items: list[Item]
    count: int

    @classmethod
    def of(cls, items: Iterable[Item]) -> Waiting:
        found = list(items)
        return cls(found, len(found))


@dataclass(frozen=True)
class Queue:
    """A domain's queue: `find(session, user)` is what its own queue page lists; `page()` that page's URL;
    `tables` the tables whose writes may change it (for the navigation's kept count)."""

    key: str
    label: LazyString
    roles: tuple[Role, ...]
    find: Callable[[Session, Any], Waiting]
    page: Callable[[], str]
    tables: tuple[str, ...] = ()


@dataclass
class QueueCount:
    queue: Queue
    waiting: Waiting

    @property
    def oldest(self) -> datetime | None:
        return min((item.since for item in self.waiting.items), default=None)


@dataclass
class RoleDesk:
    """One role's desk: the person's organisations in that role, each queue's count, and every item in order."""

    role: Role
    orgs: list[Organisation]
    queues: list[QueueCount] = field(default_factory=list)

    @property
    def label(self) -> LazyString:
        return ROLE_LABELS[self.role]

    @property
    def total(self) -> int:
        return sum(q.waiting.count for q in self.queues)

    @property
    def items(self) -> list[Item]:
        """Every listed item, soonest deadline first (those without one after), then the oldest first."""
        found = [item for q in self.queues for item in q.waiting.items]
        return sorted(found, key=lambda i: (i.deadline is None, i.deadline or date.max, i.since))


def register(app: Flask, queue: Queue) -> None:
    """Called from a domain package's init_app; a key is registered once."""
    queues: dict[str, Queue] = app.extensions.setdefault("desk_queues", {})
    if queue.key in queues:
        raise ValueError(f"desk queue {queue.key!r} registered twice")
    if not set(queue.roles) <= set(DESK_ROLES):
        raise ValueError(f"desk queue {queue.key!r}: roles must be among {DESK_ROLES}")
    queues[queue.key] = queue


def queues(app: Flask | None = None) -> list[Queue]:
    return list((app or current_app).extensions.get("desk_queues", {}).values())


def desk_roles(user: Any) -> list[Role]:
    """The desks `user` has, in DESK_ROLES' order: none for workers and anonymous visitors."""
    held = scope.roles_of(user)
    return [role for role in DESK_ROLES if role in held]


def _with_key(waiting: Waiting, key: str) -> Waiting:
    return Waiting([Item(i.title, i.org, i.since, i.url, i.deadline, key) for i in waiting.items], waiting.count)


def desk_for(session: Session, user: Any, registered: list[Queue] | None = None) -> list[RoleDesk]:
    """Every desk of `user`, each queue under the first of its roles the user holds, counted by its own
    function."""
    desks: list[RoleDesk] = []
    shown: set[str] = set()
    for role in desk_roles(user):
        desk = RoleDesk(role, scope.orgs_of(user, roles=(role,)))
        for queue in registered if registered is not None else queues():
            if role in queue.roles and queue.key not in shown:
                shown.add(queue.key)
                desk.queues.append(QueueCount(queue, _with_key(queue.find(session, user), queue.key)))
        desks.append(desk)
    return desks


def age_days(since: datetime, now: datetime | None = None) -> int:
    """Whole days an item has waited (0 on its first day)."""
    return max(0, ((now or utcnow()) - since).days)


def as_json(desks: list[RoleDesk], now: datetime | None = None) -> dict[str, Any]:
    """The stable shape of GET /api/v1/me/desk."""
    def stamp(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(timespec="seconds") + "Z"

    return {"total": sum(d.total for d in desks), "roles": [{
        "role": d.role.value, "label": str(d.label),
        "orgs": [{"code": o.code, "name": o.name} for o in d.orgs],
        "total": d.total,
        "queues": [{"key": q.queue.key, "label": str(q.queue.label), "count": q.waiting.count,
                    "oldest_at": stamp(q.oldest), "url": q.queue.page()} for q in d.queues],
        "items": [{"queue": i.key, "title": i.title, "org": i.org, "since": stamp(i.since),
                   "age_days": age_days(i.since, now), "deadline": i.deadline.isoformat() if i.deadline else None,
                   "url": i.url} for i in d.items],
    } for d in desks]}


def total(session: Session, user: Any) -> int:
    """The navigation's count: every desk's total, kept per person until a queue's table is written."""
    if not desk_roles(user):
        return 0
    kept = current_app.extensions.get("desk_totals")
    make: Callable[[], int] = lambda: sum(d.total for d in desk_for(session, user))  # noqa: E731
    if kept is None:
        return make()
    return int(kept.get_or_make(("desk", user.id), make))


def init_app(app: Flask) -> None:
    """After the domains registered their queues: keep the navigation's counts, watching the queues' tables."""
    tables = tuple(sorted({t for q in queues(app) for t in q.tables} | {"memberships"}))
    ttl = min(float(app.config["SHARED_PARTS_SECONDS"]), TOTAL_SECONDS)
    kept = SharedParts(Path(app.config["DATA_DIR"]) / "cache" / "desk.generation", ttl, tables)
    app.extensions["desk_totals"] = kept
    with app.app_context():
        watch_writes(db.engine, kept, "desk")
