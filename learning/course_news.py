"""A course its provider changed and had selected again tells the learners still studying it (the catalog
announces it through app.events; learning knows who is enrolled), and completes those who have now done all it asks.

The change may have deleted a lesson or made one optional, leaving learners with nothing left to do; their
completion is checked again by a background job (`RECHECK`), not in the reviewer's request: a course may have
thousands of learners, each check locking their enrolment row.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs, notifications
from app.extensions import db
from app.notifications.kinds import COURSE
from catalog.models import Resource
from learning import completion
from learning.models import Enrolment

RECHECK = "learning.recheck_completions"
BATCH = 200  # enrolments checked (and their rows locked) per transaction


def on_republished(session: Session, key: str) -> None:
    resource = session.get(Resource, int(key))
    if resource is None:
        return
    learners = session.scalars(select(Enrolment.user_id).where(Enrolment.resource_id == resource.id,
                                                               Enrolment.completed_at.is_(None)))
    for user_id in learners.all():
        notifications.notify(session, user_id, COURSE, _("课程有更新：《%(t)s》", t=resource.title),
                             f"/learning/r/{resource.id}/continue")
    # No de-duplicating key: a running job may have read the course before this change; the check is idempotent.
    jobs.enqueue(session, RECHECK, {"resource_id": resource.id})


def recheck_completions(ctx: jobs.JobContext) -> None:
    """The job: every incomplete enrolment of the resource checked again, a batch per transaction (a retry after a
    crash starts over, and completes nobody twice: `completion.check_resource` stamps an enrolment once)."""
    resource_id, after = int(ctx.payload["resource_id"]), 0
    while True:
        ctx.check_cancelled()
        last = completion.recheck_enrolments(db.session, resource_id, after, BATCH)
        db.session.commit()
        if last is None:
            return
        after = last


def register() -> None:
    """Called by learning's `init_app`, in every process that runs jobs."""
    jobs.register(RECHECK, recheck_completions, label=_l("课程更新后复核完成情况"))
