"""The credit ledger (学分银行): append records, read a worker's history and balance, revoke by appending.

There is no update or delete path here on purpose. Records that must exist at most once (an award for a
resource, the outcome of a recognition, the revocation of a record) carry a unique `key` and are inserted
with INSERT ... ON CONFLICT DO NOTHING, so two requests racing to award the same completion leave one
record on SQLite and PostgreSQL alike, without a savepoint (which pysqlite handles badly).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.policy import require
from app.db import insert_ignore, utcnow
from app.errors import Conflict, Invalid
from app.lookup import get_or_raise
from credits.models import Certificate, CreditRecord, RecordKind

MAX_REASON = 500


def _by_key(session: Session, key: str) -> CreditRecord | None:
    return session.scalar(select(CreditRecord).where(CreditRecord.key == key))


def append(session: Session, *, key: str, **values: Any) -> tuple[CreditRecord, bool]:
    """Append a ledger record once per `key`; returns the record and whether this call created it."""
    values.setdefault("created_at", utcnow())
    created = insert_ignore(session, CreditRecord, {"key": key, **values}, ["key"])
    record = _by_key(session, key)
    assert record is not None  # inserted now or by whoever won the race
    return record, created


def ledger(session: Session, user_id: int) -> list[CreditRecord]:
    """The worker's records, oldest first, as they were appended."""
    return list(session.scalars(select(CreditRecord).where(CreditRecord.user_id == user_id)
                                .order_by(CreditRecord.created_at, CreditRecord.id)))


def revoked_ids(records: list[CreditRecord]) -> set[int]:
    return {r.revokes_id for r in records if r.revokes_id is not None}


def balance(records: list[CreditRecord]) -> float:
    """Revocations carry the negative amount, so the balance is the plain sum."""
    return round(sum(r.amount for r in records), 2)


def in_force(records: list[CreditRecord]) -> list[CreditRecord]:
    """Records that count today: not revocations, not revoked."""
    gone = revoked_ids(records)
    return [r for r in records if r.kind != RecordKind.revoked and r.id not in gone]


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("请填写撤销原因。"), code="reason_required", fields={"reason": _("请填写撤销原因。")})
    if len(reason) > MAX_REASON:
        message = _("撤销原因不能超过%(n)d个字。", n=MAX_REASON)
        raise Invalid(message, code="reason_too_long", fields={"reason": message})
    return reason


def revoke_record(session: Session, actor: Any, record_id: int, reason: str | None) -> CreditRecord:
    """Cancel a record by appending its negative; an earned record's certificate is revoked with it."""
    reason = clean_reason(reason)
    record = get_or_raise(session, CreditRecord, record_id, _("学分记录不存在。"), code="record_not_found")
    require(actor, "credit.revoke", record)
    if record.kind == RecordKind.revoked:
        raise Invalid(_("撤销记录本身不能再撤销。"), code="cannot_revoke_revocation")
    # the revocation carries what the record was for (course, recognition, conversion), so every figure grouped
    # by them, e.g. the unions' credits by industry (joined on the course), nets the negative amount too
    revocation, created = append(
        session, key=f"revoke:{record.id}", user_id=record.user_id, kind=RecordKind.revoked,
        amount=-record.amount, source=record.source, revokes_id=record.id, reviewer_id=actor.id,
        issuer_id=record.issuer_id, resource_id=record.resource_id, recognition_id=record.recognition_id,
        conversion_id=record.conversion_id, reason=reason)
    if not created:
        raise Conflict(_("这条学分记录已经撤销过了。"), code="already_revoked")
    if record.kind == RecordKind.earned and record.resource_id is not None:
        _follow_certificate(session, record, reason)
    session.flush()
    return revocation


def _follow_certificate(session: Session, record: CreditRecord, reason: str) -> None:
    """The certificate for the course goes with its last earned record in force. After an account merge the
    holder has two for one completion, and revoking the duplicate (as the merge record advises) must leave the
    genuine certificate valid: it then rests on the remaining record."""
    certificate = session.scalar(select(Certificate).where(
        Certificate.user_id == record.user_id, Certificate.resource_id == record.resource_id))
    if certificate is None or certificate.revoked_at is not None:
        return
    revoked = select(CreditRecord.revokes_id).where(CreditRecord.revokes_id.is_not(None))
    remaining = session.scalar(select(CreditRecord).where(
        CreditRecord.user_id == record.user_id, CreditRecord.resource_id == record.resource_id,
        CreditRecord.kind == RecordKind.earned, CreditRecord.id.not_in(revoked)).order_by(CreditRecord.id).limit(1))
    if remaining is None:
        certificate.revoked_at, certificate.revoked_reason = utcnow(), reason
    elif certificate.record_id == record.id:
        certificate.record_id = remaining.id


def record_dict(record: CreditRecord, revoked: set[int]) -> dict[str, Any]:
    """A record as the API returns it (stable field names)."""
    return {
        "id": record.id, "kind": record.kind.value, "amount": record.amount, "source": record.source,
        "date": record.created_at.isoformat(timespec="seconds") + "Z",
        "resource_id": record.resource_id, "recognition_id": record.recognition_id,
        "conversion_id": record.conversion_id, "revokes": record.revokes_id,
        "revoked": record.id in revoked, "reason": record.reason,
        "reviewer": record.reviewer.name if record.reviewer else None,
        "issuer": record.issuer.name if record.issuer else None,
    }
