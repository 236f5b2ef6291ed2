"""The programme's queues on the staff desk (app/desk.py), each the list its own staff page shows: declarations
to select, applications to verify (county unions) and to admit (institutions), subsidy claims to verify,
enquiries to answer and objections to notices to resolve."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts.models import Role
from app.accounts.policy import orgs_for
from app.timefmt import beijing_today, local_day
from programme.admissions import applications, declarations, plans
from programme.admissions.models import Application, AppStatus
from programme.money import subsidies
from programme.money.models import ClaimStatus
from programme.reporting import supervision
from programme.voice import enquiries, escalation, objections

UNION = (Role.union_staff, Role.admin)


def _applicant(a: Application) -> str:
    profile = a.user.profile
    return f"{profile.real_name if profile and profile.real_name else a.user.name} · {a.offering.major}"


def declarations_to_review(session: Session, user: Any) -> desk.Waiting:
    plan = plans.current_plan(session)
    if plan is None:
        return desk.Waiting([], 0)
    due = plan.opens_on if plan.opens_on >= beijing_today() else None  # selected before applications open
    page = url_for("programme_staff.review_queue")
    return desk.Waiting.of(desk.Item(o.major, o.institution.name, o.declared_at, page, due)
                           for o in declarations.to_review(session, user, plan))


def to_verify(session: Session, user: Any) -> desk.Waiting:
    found = applications.for_unions(session, plans.staff_unions(session, user), AppStatus.applied)
    return desk.Waiting.of(desk.Item(_applicant(a), a.county.name, a.applied_at,
                                     url_for("programme_staff.verify_queue"), a.offering.plan.closes_on)
                           for a in found)


def to_admit(session: Session, user: Any) -> desk.Waiting:
    found = applications.to_admit(session, orgs_for(user, Role.institution_staff))
    return desk.Waiting.of(desk.Item(_applicant(a), a.offering.institution.name, a.verified_at or a.applied_at,
                                     url_for("programme_staff.admissions") + f"#application-{a.id}",
                                     a.offering.plan.closes_on) for a in found)


def claims_to_verify(session: Session, user: Any) -> desk.Waiting:
    found = subsidies.for_unions(session, plans.staff_unions(session, user), ClaimStatus.claimed)
    return desk.Waiting.of(desk.Item(_applicant(c.enrolment.application), c.enrolment.application.county.name,
                                     c.filed_at, url_for("programme_staff.claim_review", claim_id=c.id))
                           for c in found)


def enquiries_to_answer(session: Session, user: Any) -> desk.Waiting:
    """A township's questions show the day they go up to the county as their deadline."""
    rows, count = enquiries.inbox(session, user, status="open")  # the first page; the count is all of them
    hours = current_app.config["ENQUIRY_ESCALATE_HOURS"]
    return desk.Waiting([desk.Item(e.subject, e.org.name, e.created_at,
                                   url_for("programme_support.enquiry_show", enquiry_id=e.id),
                                   deadline=_day(escalation.deadline(e, hours))) for e in rows], count)


def _day(moment: datetime | None) -> date | None:
    return local_day(moment) if moment is not None else None


def objections_to_resolve(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(o.notice.title, o.notice.org.name, o.created_at,
                                     url_for("programme_staff.objection_queue"))
                           for o in objections.for_staff(session, user, "open"))


def supervision_to_answer(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(n.text[:40], n.from_org.name, n.sent_at,
                                     url_for("programme_support.supervision_show", notice_id=n.id), n.due_on)
                           for n in supervision.received(session, user, open_only=True))


def register(app: Flask) -> None:
    for key, label, roles, find, page, tables in (
        ("programme.declarations", _l("待遴选的院校申报"), UNION, declarations_to_review,
         "programme_staff.review_queue", ("programme_offerings",)),
        ("programme.verify", _l("待审核的报读申请"), UNION, to_verify, "programme_staff.verify_queue",
         ("programme_applications",)),
        ("programme.admit", _l("待录取的报读申请"), (Role.institution_staff,), to_admit, "programme_staff.admissions",
         ("programme_applications",)),
        ("programme.claims", _l("待审核的补贴申请"), UNION, claims_to_verify, "programme_staff.subsidy_queue",
         ("programme_subsidy_claims",)),
        ("programme.enquiries", _l("待回复的咨询"), UNION, enquiries_to_answer, "programme_support.enquiry_inbox",
         ("enquiries",)),
        ("programme.objections", _l("待处理的公示异议"), UNION, objections_to_resolve,
         "programme_staff.objection_queue", ("programme_objections",)),
        ("programme.supervision", _l("待回复的督办"), (Role.union_staff,), supervision_to_answer,
         "programme_support.supervision_inbox", ("programme_supervisions",)),
    ):
        desk.register(app, desk.Queue(key, label, roles, find, partial(url_for, page), tables))
