"""The audit log: who did what to whom, kept for as long as the site runs. Append-only: rows are written by
`record` in the same transaction as the change they describe (a rolled-back change leaves no entry) and are
never updated or deleted by the application. Generic on purpose: appointments today, merges and subsidy
decisions can record here too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.accounts.masking import mask_phone
from app.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)  # UTC
    # NULL for the operator at the command line (policy.SYSTEM) and for entries whose actor was removed.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Name and masked phone as they were at the time, so the log stays readable after accounts change or go.
    actor_label: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40))  # e.g. "role.grant", "role.revoke"
    target_kind: Mapped[str] = mapped_column(String(40))  # e.g. "user"
    target_id: Mapped[str] = mapped_column(String(64))
    # The organisation the change belongs to: each organisation's admins read the entries of their own.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON object


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
    raise RuntimeError(f"audit entry {entry.id} is append-only")


@dataclass(frozen=True)
class Filter:
    org_id: int | None = None
    action: str | None = None
    target_kind: str | None = None
    target_id: str | None = None


def _label(actor: Any) -> str:
    if getattr(actor, "id", None) is None:
        return "system"
    return f"{actor.name} ({mask_phone(actor.phone)})"[:80]  # the id links to the account; pages show no more


def record(session: Session, actor: Any, action: str, target_kind: str, target_id: object, *,
           org_id: int | None = None, **detail: Any) -> AuditEntry:
    """Add one entry in the caller's transaction. `detail` must be JSON-serialisable (strings, numbers, lists)."""
    return _add(session, AuditEntry(actor_id=getattr(actor, "id", None), actor_label=_label(actor), action=action,
                                    target_kind=target_kind, target_id=str(target_id), org_id=org_id), detail)


def record_for(session: Session, label: str, action: str, target_kind: str, target_id: object, *,
               org_id: int | None = None, **detail: Any) -> AuditEntry:
    """As `record`, for a caller that is no user (a department's API token): no account, `label` says who."""
    return _add(session, AuditEntry(actor_id=None, actor_label=label[:80], action=action, target_kind=target_kind,
                                    target_id=str(target_id), org_id=org_id), detail)


def _add(session: Session, entry: AuditEntry, detail: dict[str, Any]) -> AuditEntry:
    entry.detail = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, where: Filter = Filter(), limit: int = 200) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    for column, value in ((AuditEntry.org_id, where.org_id), (AuditEntry.action, where.action),
                          (AuditEntry.target_kind, where.target_kind), (AuditEntry.target_id, where.target_id)):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query))


def detail_of(entry: AuditEntry) -> dict[str, Any]:
    try:
        value = json.loads(entry.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
