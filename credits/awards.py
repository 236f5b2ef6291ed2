"""The credit award for a completed resource: learning announces "resource completed" (app.events) and this
listener issues the certificate and appends the "earned" record.

Exactly once: learning stamps a completion once, and both writes are keyed inserts that ignore a repeat
(the certificate per learner and resource, the record per `earned:<user>:<resource>`), so an announcement
heard twice, or two racing, still leaves one certificate and one record; a learner who already holds an earned
record for the resource (under another key: an account merged into theirs) gets no second one. It runs in the announcing
transaction (see app.events for why synchronous).

The outbox row of each announcement is delivered again by the `credits.completions` duty of the background
runtime, then acknowledged: in the usual case the award is already there and the repeat changes nothing; a
completion stamped by a process where credits was not listening still gets its award; and the outbox does not
grow by one row per completion.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs, outbox
from app.events import RESOURCE_COMPLETED
from app.lookup import get_or_raise
from catalog.models import Resource
from credits import certificates
from credits.ledger import append
from credits.models import CreditRecord, RecordKind
from learning.models import Enrolment


def on_resource_completed(session: Session, key: str) -> None:
    """Subscriber of app.events.RESOURCE_COMPLETED; `key` is the enrolment id. Re-reads the enrolment, so an
    announcement of one not (or no longer) complete awards nothing."""
    enrolment = session.get(Enrolment, int(key))
    if enrolment is None or enrolment.completed_at is None:
        return
    award_completion(session, enrolment.user_id, enrolment.resource_id)


def award_completion(session: Session, user_id: int, resource_id: int) -> CreditRecord | None:
    """Called when a learner completes a resource: issue the completion certificate and, when the resource
    carries credits, the "earned" record. Safe to call any number of times, concurrently too: returns the
    one record for this completion (None when the resource is worth no credits)."""
    resource = get_or_raise(session, Resource, resource_id, _("学习资源不存在。"), code="resource_not_found")
    # the record repeats the certificate: the course as published when it was issued, not as it reads now (a
    # withdrawn course's row holds its provider's unreviewed draft; see certificates.issue)
    certificate = certificates.issue(session, user_id, resource)
    if not certificate.credits or certificate.credits <= 0:
        return None
    # the holder's record for this course, whatever its key: one earned under an account since merged into this
    # one keeps that account's key, and a completion announced before the merge is delivered again after it
    held = session.scalar(select(CreditRecord).where(
        CreditRecord.user_id == user_id, CreditRecord.resource_id == resource_id,
        CreditRecord.kind == RecordKind.earned).order_by(CreditRecord.id).limit(1))
    if held is not None:
        return held
    record, created = append(
        session, key=f"earned:{user_id}:{resource_id}", user_id=user_id, kind=RecordKind.earned,
        amount=float(certificate.credits), source=certificate.resource_title[:300], resource_id=resource.id,
        issuer_id=certificate.issuer_id)
    if created and certificate.record_id is None:
        certificate.record_id = record.id
        session.flush()
    return record


DUTY = "credits.completions"
BATCH = 200


def deliver(ctx: jobs.DutyContext) -> int:
    """One pass of the duty: award (again, idempotently) the oldest announced completions and acknowledge them.
    Returns how many it handled, so the runtime calls again at once while a backlog remains."""
    announced = outbox.pending(ctx.session, RESOURCE_COMPLETED, BATCH)
    for event in announced:
        on_resource_completed(ctx.session, event.key)
    outbox.acknowledge(ctx.session, announced)
    ctx.session.commit()
    return len(announced)


def backlog(session: Session) -> jobs.Backlog:
    return jobs.Backlog(*outbox.backlog(session, RESOURCE_COMPLETED))


def register() -> None:
    jobs.recurring(jobs.Duty(DUTY, deliver, every_s=30.0, backlog=backlog, label=_l("课程完成的学分发放")))
