"""A course its provider changed and had selected again tells the learners still studying it (the catalog
announces it through app.events; learning knows who is enrolled)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import notifications
from app.notifications.kinds import COURSE
from catalog.models import Resource
from learning.models import Enrolment


def on_republished(session: Session, key: str) -> None:
    resource = session.get(Resource, int(key))
    if resource is None:
        return
    learners = session.scalars(select(Enrolment.user_id).where(Enrolment.resource_id == resource.id,
                                                               Enrolment.completed_at.is_(None)))
    for user_id in learners.all():
        notifications.notify(session, user_id, COURSE, _("课程有更新：《%(t)s》", t=resource.title),
                             f"/learning/r/{resource.id}/continue")
