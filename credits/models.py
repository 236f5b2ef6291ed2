"""What the credit bank (学分银行) stores: the append-only ledger of credit records, the outside outcomes
workers ask to have recognised, the admin's conversion table, the institutions' pathways (立交桥) with their
items, and completion certificates.

The ledger is never updated or deleted: a revocation is a new record pointing at the one it cancels, with a
negative amount, so the balance is a plain sum and the history reads as it happened.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from catalog.models import Resource


class RecordKind(enum.StrEnum):
    earned = "earned"          # completing a credit-bearing resource here
    recognised = "recognised"  # an outside outcome approved by a reviewer
    converted = "converted"    # an outside outcome turned into credits by the conversion table
    revoked = "revoked"        # cancels an earlier record (negative amount)


class OutcomeType(enum.StrEnum):
    diploma = "diploma"                                      # 学历证书
    skill_certificate = "skill_certificate"                  # 职业技能等级证书
    qualification_certificate = "qualification_certificate"  # 职业资格证书
    training_certificate = "training_certificate"            # 培训证书


class RecognitionStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class PathwayKind(enum.StrEnum):
    academic = "academic"  # 学历: e.g. a 专科 programme needing 80 credits
    skill = "skill"        # 技能: e.g. a 高级工 track needing listed courses


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Plain strings with a CHECK constraint, as app.accounts.models does.
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


class Pathway(Base):
    """A qualification defined by an institution or union: credits needed and the items that count."""

    __tablename__ = "credit_pathways"
    __table_args__ = (CheckConstraint("required_credits >= 0", name="required_credits_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PathwayKind] = mapped_column(_enum(PathwayKind, "pathway_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    required_credits: Mapped[float] = mapped_column(Float, default=0)
    active: Mapped[bool] = mapped_column(default=True)  # retired pathways stay for old transcripts
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()
    items: Mapped[list[PathwayItem]] = relationship(back_populates="pathway", cascade="all, delete-orphan",
                                                    order_by="PathwayItem.id")


class PathwayItem(Base):
    """A resource whose credits count toward a pathway; `required` ones must be completed."""

    __tablename__ = "credit_pathway_items"
    __table_args__ = (UniqueConstraint("pathway_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("credit_pathways.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    required: Mapped[bool] = mapped_column(default=False)

    pathway: Mapped[Pathway] = relationship(back_populates="items")
    resource: Mapped[Resource] = relationship()


class Conversion(Base):
    """A row of the admin's conversion table: an outcome (type, occupation, level) worth N credits toward
    the listed pathways."""

    __tablename__ = "credit_conversions"
    __table_args__ = (CheckConstraint("credits > 0", name="credits_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_type: Mapped[OutcomeType] = mapped_column(_enum(OutcomeType, "outcome_type"))
    occupation: Mapped[str] = mapped_column(String(100))  # 电工, 焊工 ... (matched exactly, trimmed)
    level: Mapped[str] = mapped_column(String(50))        # 高级工, 专科 ... (matched exactly, trimmed)
    credits: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    pathways: Mapped[list[Pathway]] = relationship(secondary="credit_conversion_pathways",
                                                   order_by="Pathway.id")


class ConversionPathway(Base):
    __tablename__ = "credit_conversion_pathways"

    conversion_id: Mapped[int] = mapped_column(ForeignKey("credit_conversions.id", ondelete="CASCADE"),
                                               primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("credit_pathways.id", ondelete="CASCADE"),
                                            primary_key=True)


class Recognition(Base):
    """A worker's request to have an outside outcome recognised, with its evidence file; decided once."""

    __tablename__ = "credit_recognitions"
    __table_args__ = (
        CheckConstraint("claimed_credits >= 0", name="claimed_credits_not_negative"),
        Index("ix_credit_recognitions_issuer_status", "issuer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    outcome_type: Mapped[OutcomeType] = mapped_column(_enum(OutcomeType, "outcome_type"))
    title: Mapped[str] = mapped_column(String(200))
    occupation: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(50), default="")
    # As compared (recognition._number): one certificate is one string, found by this index whoever sent it.
    certificate_no: Mapped[str] = mapped_column(String(64), default="", index=True)
    # The institution or union that issued the outcome; its staff review the request.
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    # Recognised credits count toward this pathway (converted ones toward the conversion row's pathways).
    pathway_id: Mapped[int | None] = mapped_column(ForeignKey("credit_pathways.id", ondelete="SET NULL"))
    claimed_credits: Mapped[float] = mapped_column(Float, default=0)
    # Generated file name under DATA_DIR/credit_evidence; the uploader's file name is never used.
    evidence_key: Mapped[str] = mapped_column(String(64))
    evidence_type: Mapped[str] = mapped_column(String(16))  # pdf, jpeg or png, from the content
    status: Mapped[RecognitionStatus] = mapped_column(_enum(RecognitionStatus, "recognition_status"),
                                                      default=RecognitionStatus.pending)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    issuer: Mapped[Organisation] = relationship()
    pathway: Mapped[Pathway | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


class CreditRecord(Base):
    """One line of a worker's ledger. Inserted, never changed."""

    __tablename__ = "credit_records"
    __table_args__ = (Index("ix_credit_records_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes the record happen at most once ("earned:<user>:<resource>", "recognition:<id>",
    # "revoke:<record>"): concurrent requests collide on this unique key instead of double-awarding.
    key: Mapped[str] = mapped_column(String(100), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[RecordKind] = mapped_column(_enum(RecordKind, "credit_record_kind"))
    amount: Mapped[float] = mapped_column(Float)  # negative only for revocations
    source: Mapped[str] = mapped_column(String(300))  # what it is for, as people read it
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    recognition_id: Mapped[int | None] = mapped_column(ForeignKey("credit_recognitions.id", ondelete="SET NULL"))
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("credit_conversions.id", ondelete="SET NULL"))
    revokes_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id", ondelete="RESTRICT"),
                                                   unique=True)
    # Who decided: the reviewer for recognitions, the revoker for revocations; NULL for automatic awards.
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    resource: Mapped[Resource | None] = relationship()
    recognition: Mapped[Recognition | None] = relationship()
    conversion: Mapped[Conversion | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    issuer: Mapped[Organisation | None] = relationship()
    revokes: Mapped[CreditRecord | None] = relationship(remote_side="CreditRecord.id")


class Certificate(Base):
    """A completion certificate for one resource; its public check goes by `serial` inside a signed token."""

    __tablename__ = "credit_certificates"
    __table_args__ = (UniqueConstraint("user_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)  # printed on the certificate
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # indexed by the unique
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="RESTRICT"))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id", ondelete="SET NULL"))
    # Title, name and credits as they were at issue: a later edit of the resource does not rewrite it.
    resource_title: Mapped[str] = mapped_column(String(200))
    holder_name: Mapped[str] = mapped_column(String(50))
    credits: Mapped[float] = mapped_column(Float, default=0)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set once, never cleared: a revoked certificate stays revoked and says why.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()
    resource: Mapped[Resource] = relationship()
    issuer: Mapped[Organisation] = relationship()


class LedgerIsAppendOnly(Exception):
    """A programming error: code tried to change or delete a ledger record instead of appending one."""


@event.listens_for(Session, "before_flush")
def _ledger_is_append_only(session: Session, _context: object, _instances: object) -> None:
    """The service has no update or delete path; this catches any other code trying one through the ORM."""
    for record in session.deleted:
        if isinstance(record, CreditRecord):
            raise LedgerIsAppendOnly(f"credit record {record.id} cannot be deleted; revoke it instead")
    for record in session.dirty:
        if isinstance(record, CreditRecord) and session.is_modified(record, include_collections=False):
            raise LedgerIsAppendOnly(f"credit record {record.id} cannot be changed; append a new record instead")
