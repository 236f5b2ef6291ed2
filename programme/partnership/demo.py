"""Demo data for 校企合作: 杭州职业技术学院's published 《电力安全工作规程解读》 co-authored with 萧山华成电器
(invited and accepted), one of the enterprise's confirmed workers (周丽华, programme/enterprises/demo.py) enrolled in
it, and its training officer (13900000006) named the course's workplace mentor, so the resource page shows both
organisations and the teacher + mentor pair. Through the services, but for the co-author row, seeded as it stands
after the course was written together and selected (catalog.coauthors changes co-authors only while editable)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import outbox
from app.accounts import organisations
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.db import utcnow
from catalog.models import Resource, ResourceCoauthor
from learning.enrolment import enrol
from programme.partnership import mentors
from programme.partnership.mentors import MentorInput

RESOURCE_TITLE = "电力安全工作规程解读"
ENTERPRISE = "ENT-XH-ELEC"
MENTOR_PHONE = "13900000006"
WORKER_PHONE = "13900000202"  # confirmed by the enterprise: a mentor is named only for what its workers study


def load(session: Session) -> dict[str, int]:
    resource = session.scalar(select(Resource).where(Resource.title == RESOURCE_TITLE))
    mentor = session.scalar(select(User).where(User.phone == MENTOR_PHONE))
    worker = session.scalar(select(User).where(User.phone == WORKER_PHONE))
    if resource is None or mentor is None or worker is None:
        return {"coauthored": 0, "mentors": 0}
    enterprise = organisations.get_by_code(session, ENTERPRISE)
    # as it stands once written together and selected (co-authors change only while a resource is editable)
    now = utcnow()
    session.add(ResourceCoauthor(resource=resource, org=enterprise, invited_at=now, accepted_at=now))
    outbox.emit(session, "resource", resource.id)
    enrol(session, worker, resource.id)
    mentors.name_mentor(session, SYSTEM, enterprise, MentorInput(mentor.id, resource_id=resource.id,
                                                                 title="电气车间培训专员"))
    session.flush()
    return {"coauthored": 1, "mentors": 1}
