"""Bulk verification (app/bulk.py): county union staff approve or refuse many applications at once, with one
note (required to refuse). Each goes through applications.verify, so the policy (nobody verifies their own
application), the status check and the county's quota hold item by item: when the county runs out of places, the
applications past the last place are listed as refused and stay waiting."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import bulk
from app.accounts.models import User
from app.accounts.policy import can
from app.errors import Invalid
from programme.admissions import applications
from programme.admissions.models import Application


def _name(application: Application) -> str:
    profile = application.user.profile
    person = profile.real_name if profile is not None and profile.real_name else application.user.name
    return f"{person}（#{application.id}）"


def verify_many(session: Session, actor: User, ids: list[Any], approve: bool, note: str = "") -> bulk.Outcome:
    refs = bulk.parse_ids(ids)
    note = (note or "").strip()
    if not approve and not note:
        raise Invalid(_("不通过时请写明理由。"), fields={"note": _("请填写理由。")})
    if len(note) > 1000:
        raise Invalid(_("说明最多1000字。"), fields={"note": _("说明最多1000字。")})
    found = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_([int(i) for i in refs])))}
    items = []
    for ref in refs:
        application = found.get(int(ref))
        seen = application is not None and (can(actor, "application.verify", application)
                                            or application.user_id == actor.id)
        items.append(bulk.Item(ref, application, _name(application) if application and seen else f"#{ref}",
                               application.county_id if application is not None else None))
    return bulk.run(session, actor, "application.verify" if approve else "application.reject", "application",
                    items, lambda a: applications.verify(session, actor, a, approve, note),
                    policy_action="application.verify", note=note[:200])
