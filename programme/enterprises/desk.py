"""The enterprise's queue on the staff desk (app/desk.py): workers who linked themselves to it and wait for it to
confirm they are its own; the list its workers page shows under 待确认."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts import scope
from app.accounts.models import OrgKind, Role
from programme.enterprises import links
from programme.enterprises.models import LinkStatus


def links_to_confirm(session: Session, user: Any) -> desk.Waiting:
    page = url_for("programme_staff.enterprise_home")
    found = []
    for enterprise in scope.orgs_of(user, roles=(Role.enterprise_staff,), kinds=(OrgKind.enterprise,)):
        found += [desk.Item(link.user.name, enterprise.name, link.linked_at, page + f"#link-{link.id}")
                  for link in links.of_enterprise(session, user, enterprise, LinkStatus.requested)]
    return desk.Waiting.of(found)


def register(app: Flask) -> None:
    desk.register(app, desk.Queue("enterprise.links", _l("待确认的本企业职工"), (Role.enterprise_staff,),
                                  links_to_confirm, partial(url_for, "programme_staff.enterprise_home"),
                                  ("enterprise_links",)))
