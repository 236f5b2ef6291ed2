"""What an enterprise sees of its workers' learning: only workers whose link it confirmed and who consent now,
each with their courses and how far along, credits in force and certificates (the worker's own transcript,
credits/transcript.py, read as it is). Anyone else, another enterprise's worker included, is "not found", so a
page never tells whether that person exists. A course withdrawn since the worker enrolled is named only as the
catalog names it to the enterprise (catalog/union_catalogs.py): its later drafts are the institution's."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.errors import NotFound
from catalog.models import Resource, ResourceStatus
from catalog.union_catalogs import shown_title, withheld_label
from credits import transcript
from learning.enrolment import Course, InProgress, course_outlines, my_learning
from programme.enterprises.models import EnterpriseLink, LinkStatus


@dataclass
class WorkerProgress:
    worker: User
    consent_at: datetime | None
    courses: list[InProgress]
    sheet: transcript.Transcript

    @property
    def completed(self) -> int:
        return sum(1 for c in self.courses if c.enrolment.completed_at is not None)


def _consenting(enterprise: Organisation) -> Select[EnterpriseLink]:
    return select(EnterpriseLink).where(EnterpriseLink.enterprise_id == enterprise.id,
                                        EnterpriseLink.status == LinkStatus.confirmed,
                                        EnterpriseLink.consent_at.is_not(None))


def _outlines(session: Session, viewer: User, resource_ids: list[int]) -> dict[int, Course]:
    """The courses as `viewer` may read them: an unpublished one they may not view (withdrawn and perhaps renamed
    since the worker enrolled) keeps its lessons, for the percentage, but not its title or its lessons' titles."""
    courses = course_outlines(session, resource_ids)
    for resource in session.scalars(select(Resource).where(Resource.id.in_(resource_ids),
                                                           Resource.status != ResourceStatus.published)):
        course = courses.get(resource.id)
        if course is not None and shown_title(resource, viewer) is None:
            courses[resource.id] = replace(course, title=withheld_label(resource.id),
                                           steps=tuple(replace(step, title="") for step in course.steps))
    return courses


def _of(session: Session, viewer: User, link: EnterpriseLink) -> WorkerProgress:
    courses = my_learning(session, link.user_id, outlines=functools.partial(_outlines, session, viewer))
    return WorkerProgress(link.user, link.consent_at, courses, transcript.build(session, link.user))


def workers(session: Session, actor: User, enterprise: Organisation) -> list[WorkerProgress]:
    """Every consenting worker of the enterprise, by name."""
    require(actor, "enterprise.progress", enterprise)
    found = [_of(session, actor, link) for link in session.scalars(_consenting(enterprise))]
    return sorted(found, key=lambda p: (p.sheet.holder, p.worker.id))


def worker(session: Session, actor: User, enterprise: Organisation, user_id: int) -> WorkerProgress:
    require(actor, "enterprise.progress", enterprise)
    link = session.scalar(_consenting(enterprise).where(EnterpriseLink.user_id == user_id))
    if link is None:
        raise NotFound(_("没有这位职工的授权学习记录。"))
    return _of(session, actor, link)
