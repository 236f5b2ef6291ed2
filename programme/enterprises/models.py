"""What enterprises store: each worker's link to their enterprise with its consent, nominations for the
programme, and the enterprise's own subsidy top-up per year with its budget. Every change is also an audit row
(app/audit.py), so who linked, confirmed, consented or withdrew, and when, stays on record."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.admissions.models import Offering, Plan
from programme.columns import string_enum


class LinkStatus(enum.StrEnum):
    requested = "requested"  # the worker says they work there; the enterprise has not confirmed yet
    confirmed = "confirmed"  # the enterprise confirmed: it may nominate and enrol the worker, its top-up applies
    refused = "refused"      # the enterprise says the worker is not theirs


class EnterpriseLink(Base):
    """A worker's link to the enterprise they work for: one row per worker (a change of employer moves it and
    clears the consent). `consent_at` set means the enterprise may see their progress, credits and
    certificates; withdrawing clears it at once."""

    __tablename__ = "enterprise_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    status: Mapped[LinkStatus] = mapped_column(string_enum(LinkStatus, "enterprise_link_status"),
                                               default=LinkStatus.requested)
    linked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)  # confirmed or refused
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)  # NULL: the enterprise sees no learning data

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    enterprise: Mapped[Organisation] = relationship()


class NominationStatus(enum.StrEnum):
    open = "open"            # the worker may apply to the offering
    withdrawn = "withdrawn"  # the enterprise took it back


class Nomination(Base):
    """An enterprise recommends a linked worker for one offering of the year (推荐组织). It does not apply for the
    worker: the worker applies (their eligibility, their choice) and the verifying union sees the recommendation
    beside the application."""

    __tablename__ = "enterprise_nominations"
    __table_args__ = (UniqueConstraint("enterprise_id", "user_id", "offering_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("programme_offerings.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # why the enterprise recommends them, shown to both
    status: Mapped[NominationStatus] = mapped_column(string_enum(NominationStatus, "nomination_status"),
                                                     default=NominationStatus.open)
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    nominated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    enterprise: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    offering: Mapped[Offering] = relationship()


class EnterpriseSubsidy(Base):
    """An enterprise's own top-up for one year (企业补贴): `amount_yuan` on each approved subsidy claim of a worker
    whose link it confirmed and who consents, for the attainments listed, until `budget_yuan` is committed.
    `committed_yuan` only grows by a conditional UPDATE and the CHECK holds it within the budget, so two approvals
    at once never overspend."""

    __tablename__ = "enterprise_subsidies"
    __table_args__ = (UniqueConstraint("enterprise_id", "plan_id"),
                      CheckConstraint("amount_yuan >= 0 AND budget_yuan >= 0", name="amounts_not_negative"),
                      CheckConstraint("committed_yuan >= 0 AND committed_yuan <= budget_yuan", name="budget_held"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    amount_yuan: Mapped[int] = mapped_column(Integer, default=0)
    budget_yuan: Mapped[int] = mapped_column(Integer, default=0)
    committed_yuan: Mapped[int] = mapped_column(Integer, default=0)  # promised on approved claims
    attainments: Mapped[str] = mapped_column(String(200), default="")  # Attainment values, comma separated
    conditions: Mapped[str] = mapped_column(Text, default="")  # further conditions, in words, shown to workers
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    enterprise: Mapped[Organisation] = relationship()
    plan: Mapped[Plan] = relationship()

    @property
    def attainment_list(self) -> list[str]:
        return [a for a in self.attainments.split(",") if a]

    @property
    def remaining(self) -> int:
        return self.budget_yuan - self.committed_yuan
