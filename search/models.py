"""What search keeps in the database: the synonym table that admins edit (applied at query time, so a
change takes effect at once without re-indexing), and each host's search replica with where it is in the
change log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Synonym(Base):
    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What a worker types, normalized (lower case, half-width), e.g. 铲车.
    term: Mapped[str] = mapped_column(String(40), unique=True)
    # What it should also find, separated by spaces or commas, e.g. 叉车.
    targets: Mapped[str] = mapped_column(String(400))
    # Also the other way round (叉车 finds 铲车 too).
    two_way: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SearchReplica(Base):
    """One host's search replica, as it reports itself while it follows the change log (the outbox's "resource"
    rows). Pruning keeps the log rows a live replica still needs; a replica whose row is gone (it was silent for
    longer than SEARCH_LOG_RETENTION_S, so the log may have been pruned past it) rebuilds from the database."""

    __tablename__ = "search_replicas"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # host and index folder (SEARCH_REPLICA)
    settled: Mapped[int] = mapped_column(BigInteger, default=0)  # every log id up to this one is applied
    seen: Mapped[int] = mapped_column(BigInteger, default=0)     # the highest log id applied
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
