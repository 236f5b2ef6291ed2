"""The transactional outbox: a row written in the same transaction as a change that something
outside the database must hear about (the search index, for one). A consumer drains the rows
after commit; nothing is lost if the process dies in between, and a rolled-back change leaves
no row, so it is never acted on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_topic_id", "topic", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # drain order
    topic: Mapped[str] = mapped_column(String(40))      # e.g. "resource"
    key: Mapped[str] = mapped_column(String(64))        # e.g. the resource id; consumers re-read current state
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def emit(session: Session, topic: str, key: str | int) -> None:
    """Record that `topic`/`key` changed. Call inside the same transaction as the change."""
    session.add(OutboxEvent(topic=topic, key=str(key)))


def pending(session: Session, topic: str, limit: int = 500) -> list[OutboxEvent]:
    return list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id).limit(limit)))


def acknowledge(session: Session, events: list[OutboxEvent]) -> None:
    """Remove events once their effect is durable (e.g. the index commit succeeded)."""
    if events:
        session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_([e.id for e in events])))


def backlog(session: Session, topic: str) -> tuple[int, datetime | None]:
    """How many events of `topic` wait, and since when the oldest (the consumer's lag, for status pages)."""
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at))
                                    .where(OutboxEvent.topic == topic)).one()
    return int(count), oldest
