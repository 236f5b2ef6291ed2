"""What performance evaluation (绩效评估、检查督促) stores: each year's targets for a union below the one that set
them, and the supervision notices (督办) a union sends to a lagging unit below it, with that unit's answer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.admissions.models import Plan


class Target(Base):
    """One union's targets for one plan year: admissions, skill upgrades (certificates), completions
    (graduations) and province money spent on subsidies (yuan). Set by a union above it."""

    __tablename__ = "programme_targets"
    __table_args__ = (
        UniqueConstraint("plan_id", "org_id"),
        CheckConstraint("admissions >= 0 AND upgrades >= 0 AND completions >= 0 AND funds_yuan >= 0",
                        name="targets_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    admissions: Mapped[int] = mapped_column(Integer, default=0)
    upgrades: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    funds_yuan: Mapped[int] = mapped_column(Integer, default=0)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    plan: Mapped[Plan] = relationship()
    org: Mapped[Organisation] = relationship()


class Supervision(Base):
    """A supervision notice (督办): sent by a union to a unit below it about one plan year, answered in the site
    by the receiving unit's staff."""

    __tablename__ = "programme_supervisions"
    __table_args__ = (Index("ix_programme_supervisions_to_answered", "to_org_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    from_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)  # plain text, escaped when shown
    due_on: Mapped[date] = mapped_column(Date)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    plan: Mapped[Plan] = relationship()
    from_org: Mapped[Organisation] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organisation] = relationship(foreign_keys=[to_org_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
