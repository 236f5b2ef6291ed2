"""What the 双导师 pairing stores: one row per mentor an enterprise named, for one resource or one pathway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow


class WorkplaceMentor(Base):
    """A workplace mentor (企业导师): a staff account of the enterprise, named by that enterprise for a resource or a
    pathway its workers study, beside the institution's teachers. Kept plain so a Q&A can notify them
    (mentors.mentors_for)."""

    __tablename__ = "workplace_mentors"
    __table_args__ = (
        CheckConstraint("(resource_id IS NULL) <> (pathway_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # exactly one of the two: the resource, or the pathway (then every resource on it)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("credit_pathways.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(50), default="")  # as shown: 车间主任、高级技师
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    enterprise: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
