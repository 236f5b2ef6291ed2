"""The catalog's queues on the staff desk (app/desk.py): resources to review (the review page's list) and the
provider's resources the union sent back (the 我的资源 page's returned ones)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts.models import Role
from catalog import service
from catalog.models import Resource, ResourceStatus


def to_review(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(r.title, r.provider.name if r.provider else "", r.updated_at,
                                     url_for("catalog.review_queue")) for r in service.review_queue(session, user))


def returned(session: Session, user: Any) -> list[Resource]:
    """The user's organisations' resources sent back for changes, oldest first."""
    found = [r for r in service.resources_of(session, service.provider_orgs(user))
             if r.status == ResourceStatus.returned]
    return sorted(found, key=lambda r: r.updated_at)


def _returned(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(r.title, r.provider.name if r.provider else "", r.updated_at,
                                     url_for("catalog.edit", resource_id=r.id)) for r in returned(session, user))


def register(app: Flask) -> None:
    desk.register(app, desk.Queue("catalog.review", _l("待审核资源"), (Role.union_staff, Role.admin), to_review,
                                  lambda: url_for("catalog.review_queue"), ("resources",)))
    desk.register(app, desk.Queue(
        "catalog.returned", _l("退回修改的资源"), (Role.institution_staff, Role.enterprise_staff, Role.union_staff),
        _returned, lambda: url_for("catalog.manage"), ("resources",)))
