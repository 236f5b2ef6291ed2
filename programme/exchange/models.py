"""What data exchange stores: the records brought in from partners (graduation results from institutions,
skill certificates from the HR department) with the batch each came in. Subsidy claims rest on these records.

Recruitment attribution needs no table: `users.referred_by_id` (app/accounts/models.py) holds the union whose QR
code brought a user in, and applications inherit it through their applicant."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation
from app.db import Base, utcnow
from programme.columns import string_enum


class ExchangeKind(enum.StrEnum):
    admission = "admission"      # 录取结果, from an institution
    graduation = "graduation"    # 毕业结果, from an institution
    certificate = "certificate"  # 技能等级证书, from the HR department


class ExchangeBatch(Base):
    """One imported file: who sent what, when, and how many rows it carried and wrote."""

    __tablename__ = "exchange_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExchangeKind] = mapped_column(string_enum(ExchangeKind, "exchange_kind"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # "API <token prefix>" for a result pushed by a department
    rows: Mapped[int]
    imported: Mapped[int]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()


class GraduationRecord(Base):
    """A graduation (毕业) reported by an institution: the evidence a diploma subsidy rests on."""

    __tablename__ = "graduation_records"
    # A diploma number is unique within its institution only: were it unique site-wide, whoever imported a number
    # first (another institution) would hold it, and the awarding institution's true record be refused.
    __table_args__ = (UniqueConstraint("institution_id", "diploma_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # Matched to a worker by ID number at import; NULL when the worker has no account (yet).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(32))  # zhuanke | gaoqiben | zhuanshengben
    major: Mapped[str] = mapped_column(String(100))
    diploma_no: Mapped[str] = mapped_column(String(64))
    graduated_on: Mapped[date] = mapped_column(Date)

    batch: Mapped[ExchangeBatch] = relationship()  # who sent it and how (a file, or the API)


class CertificateRecord(Base):
    """A skill-level certificate (技能等级证书) reported by the HR department."""

    __tablename__ = "certificate_records"
    # A certificate number is unique within the department that sent it only: were it unique site-wide, whoever
    # sent a number first (another city's department, or any sender) would hold it, and the issuing department's
    # true record be refused. Which record a claim rests on is programme/money/claim_checks.find_record's choice.
    __table_args__ = (UniqueConstraint("org_id", "certificate_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id", ondelete="CASCADE"), index=True)
    # The sending department: its batch's organisation, kept here for the UNIQUE constraint above.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    occupation: Mapped[str] = mapped_column(String(100))  # 职业（工种）
    skill_level: Mapped[int]  # national level: 1 高级技师 .. 5 初级工
    certificate_no: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)

    batch: Mapped[ExchangeBatch] = relationship()  # who sent it and how (a file, or the API)
