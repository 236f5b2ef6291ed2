"""The credit award for a completed resource: learning announces "resource completed" (app.events) and this
listener issues the certificate and appends the "earned" record.

Exactly once: learning stamps a completion once, and both writes are keyed inserts that ignore a repeat
(the certificate per learner and resource, the record per `earned:<user>:<resource>`), so an announcement
heard twice, or two racing, still leaves one certificate and one record. It runs in the announcing
transaction (see app.events for why synchronous).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

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
    certificate = certificates.issue(session, user_id, resource)
    if not resource.credits or resource.credits <= 0:
        return None
    record, created = append(
        session, key=f"earned:{user_id}:{resource_id}", user_id=user_id, kind=RecordKind.earned,
        amount=float(resource.credits), source=resource.title[:300], resource_id=resource.id,
        issuer_id=resource.provider_id)
    if created and certificate.record_id is None:
        certificate.record_id = record.id
        session.flush()
    return record
