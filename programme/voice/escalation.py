"""Enquiries a township union (乡镇、街道工会) leaves unanswered go up to its county union: after
ENQUIRY_ESCALATE_HOURS a recurring duty moves each one (audited, once: `escalated_at` marks it), and the staff
queue shows how long each question has waited."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, jobs
from app.accounts.models import Organisation, OrgLevel
from app.accounts.policy import SYSTEM
from app.db import utcnow
from programme.voice.models import Enquiry

DUTY = "programme.enquiry_escalation"
BATCH = 200


def overdue(session: Session, now: datetime, hours: int, limit: int = BATCH) -> list[Enquiry]:
    """Unanswered questions waiting at a township union since before the deadline, oldest first."""
    return list(session.scalars(
        select(Enquiry).join(Enquiry.org)
        .where(Organisation.level == OrgLevel.township, Enquiry.answer.is_(None), Enquiry.escalated_at.is_(None),
               Enquiry.created_at <= now - timedelta(hours=hours))
        .order_by(Enquiry.created_at, Enquiry.id).limit(limit)))


def escalate_overdue(session: Session, *, now: datetime | None = None, hours: int = 48) -> int:
    """Send each overdue question to the township's county union; returns how many moved. Running it again
    moves nothing more: a moved question no longer waits at a township."""
    now = now or utcnow()
    moved = 0
    for enquiry in overdue(session, now, hours):
        township = enquiry.org
        if township.parent is None:
            continue
        enquiry.org, enquiry.escalated_at = township.parent, now
        audit.record(session, SYSTEM, "enquiry.escalate", "enquiry", enquiry.id, org_id=township.parent_id,
                     from_org=township.code, to_org=township.parent.code, hours=hours)
        moved += 1
    session.flush()
    return moved


def deadline(enquiry: Enquiry, hours: int) -> datetime | None:
    """When an open question waiting at a township union goes up to the county (UTC); None for any other."""
    if enquiry.answer is not None or enquiry.escalated_at is not None or enquiry.org.level != OrgLevel.township:
        return None
    return enquiry.created_at + timedelta(hours=hours)


def age_text(created_at: datetime, now: datetime) -> str:
    """How long a question has waited, as the queue shows it: minutes, hours, then days."""
    minutes = max(0, int((now - created_at).total_seconds() // 60))
    if minutes < 60:
        return _("%(n)d分钟", n=minutes)
    if minutes < 48 * 60:
        return _("%(n)d小时", n=minutes // 60)
    return _("%(n)d天", n=minutes // (24 * 60))


def run_duty(ctx: jobs.DutyContext) -> int:
    moved = escalate_overdue(ctx.session, hours=ctx.app.config["ENQUIRY_ESCALATE_HOURS"])
    ctx.session.commit()
    return moved if moved >= BATCH else 0  # a full batch: more may be waiting


def register() -> None:
    jobs.recurring(jobs.Duty(DUTY, run_duty, every_s=600.0, label=_l("乡镇咨询逾期转县级")))
