"""What the programme's money stores: subsidy claims with their evidence files, and the payments county unions
make in dated batches. The province money itself is held on the quotas (programme/admissions/models.py)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.admissions.models import Attainment, EnrolmentRecord
from programme.columns import string_enum


class ClaimStatus(enum.StrEnum):
    claimed = "claimed"
    approved = "approved"
    rejected = "rejected"
    paid = "paid"


class SubsidyClaim(Base):
    """A claim for a subsidy on attainment, with its evidence; the amount is fixed when the union approves."""

    __tablename__ = "programme_subsidy_claims"
    # `result_key` names the result an approval consumed ("diploma:<number>" / "skill:<number>", the number
    # normalised): UNIQUE, so one diploma or certificate is paid once across years, unions and institutions,
    # even when two reviewers approve at the same moment (NULLs, the undecided and refused, never collide).
    __table_args__ = (UniqueConstraint("enrolment_id", "attainment"), UniqueConstraint("result_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("programme_enrolments.id", ondelete="RESTRICT"),
                                              index=True)
    attainment: Mapped[Attainment] = mapped_column(string_enum(Attainment, "attainment"))
    certificate_number: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[str] = mapped_column(Text, default="")  # issuer, date, what was attained
    attained_on: Mapped[date | None] = mapped_column(Date)  # graduation or issue date, as the claimant states it
    status: Mapped[ClaimStatus] = mapped_column(string_enum(ClaimStatus, "claim_status"), default=ClaimStatus.claimed,
                                                index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    province_part: Mapped[int] = mapped_column(Integer, default=0)  # province standard, from the county's share
    city_part: Mapped[int] = mapped_column(Integer, default=0)      # city top-up
    county_part: Mapped[int] = mapped_column(Integer, default=0)    # county top-up
    # The worker's enterprise's own top-up (programme/enterprises/topups.py), fixed on approval from its budget;
    # paid by the enterprise, so not in `amount`, which the union pays.
    enterprise_part: Mapped[int] = mapped_column(Integer, default=0)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # What approval rested on (programme/money/claim_checks.py): an exchanged record, or uploaded files a reviewer
    # other than the claimant checked (who and when kept here).
    result_key: Mapped[str | None] = mapped_column(String(120))
    graduation_id: Mapped[int | None] = mapped_column(ForeignKey("graduation_records.id", ondelete="RESTRICT"),
                                                      index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_records.id", ondelete="RESTRICT"),
                                                       index=True)
    evidence_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evidence_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    evidence_check_note: Mapped[str] = mapped_column(Text, default="")

    enrolment: Mapped[EnrolmentRecord] = relationship()
    evidence_checked_by: Mapped[User | None] = relationship(foreign_keys=[evidence_checked_by_id])
    files: Mapped[list[ClaimEvidence]] = relationship(back_populates="claim", order_by="ClaimEvidence.id")
    enterprise: Mapped[Organisation | None] = relationship(foreign_keys=[enterprise_id])

    @property
    def amount(self) -> int:
        """The union's part (province standard and city and county top-ups): what the county pays."""
        return self.province_part + self.city_part + self.county_part

    @property
    def total(self) -> int:
        """What the worker receives in all: the union's part and the enterprise's."""
        return self.amount + self.enterprise_part


class ClaimEvidence(Base):
    """A scan or photo attached to a subsidy claim. The file is kept under a key we generate (see
    programme/money/evidence.py): a PDF as sent once checked, an image re-encoded; the uploader's name is never used."""

    __tablename__ = "programme_claim_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("programme_subsidy_claims.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # pdf, jpeg or png, judged from the content
    size: Mapped[int] = mapped_column(Integer)     # bytes kept
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    claim: Mapped[SubsidyClaim] = relationship(back_populates="files")


class PaymentBatch(Base):
    """Payments a county union made on one date (补贴核发批次)."""

    __tablename__ = "programme_payment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()
    payments: Mapped[list[SubsidyPayment]] = relationship(back_populates="batch")


class SubsidyPayment(Base):
    """One claim paid. UNIQUE(claim_id) is what makes paying a claim twice impossible."""

    __tablename__ = "programme_subsidy_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("programme_subsidy_claims.id", ondelete="RESTRICT"),
                                          unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("programme_payment_batches.id", ondelete="RESTRICT"),
                                          index=True)
    amount: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)

    claim: Mapped[SubsidyClaim] = relationship()
    batch: Mapped[PaymentBatch] = relationship(back_populates="payments")
