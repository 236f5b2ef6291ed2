"""What the programme's support services store: enquiries (咨询) and their answers, the policy and FAQ
page, satisfaction and teaching-quality survey answers (满意度测评), and the records brought in by data
exchange (graduation results from institutions, skill certificates from the HR department) with the
batch each came in.

Recruitment attribution needs no table here: `users.referred_by_id` (app/accounts/models.py) holds the
union whose QR code brought a user in, and applications inherit it through their applicant."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Plain strings with a CHECK constraint, as app/accounts/models.py stores its enums.
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


class Enquiry(Base):
    """A worker's question, routed to one union, and the answer its staff give."""

    __tablename__ = "enquiries"
    __table_args__ = (
        # The rate limit counts one asker's recent questions; the inbox lists one union's newest.
        Index("ix_enquiries_asker_created", "asker_id", "created_at"),
        Index("ix_enquiries_org_created", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The union that must answer: the worker's county by default, or the level the worker chose.
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)  # plain text, escaped when shown
    answer: Mapped[str | None] = mapped_column(Text)  # plain text; NULL until answered
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # False from the moment an answer is written until the asker opens it: the unread badge on /me.
    answer_seen: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    asker: Mapped[User] = relationship(foreign_keys=[asker_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    org: Mapped[Organisation] = relationship()


class PolicyPage(Base):
    """The policy and FAQ page (政策与常见问题), edited by the province union; one row per slug."""

    __tablename__ = "policy_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    body_html: Mapped[str] = mapped_column(Text)  # cleaned by catalog.sanitize on every write
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class RespondentKind(enum.StrEnum):
    worker = "worker"
    employer = "employer"  # an enterprise's staff, answering for the enterprise


class SurveyTarget(enum.StrEnum):
    offering = "offering"  # an academic offering or training project of the programme
    resource = "resource"  # a catalog resource (course, video lecture, micro-course)


class SurveyResponse(Base):
    """One person's satisfaction answer about one offering or resource."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("respondent_id", "target_kind", "target_id"),  # one answer per person per target
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        CheckConstraint("teaching IS NULL OR teaching BETWEEN 1 AND 5", name="teaching_range"),
        Index("ix_survey_responses_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    respondent_kind: Mapped[RespondentKind] = mapped_column(_enum(RespondentKind, "respondent_kind"))
    # The enterprise an employer answer speaks for; NULL for workers.
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    target_kind: Mapped[SurveyTarget] = mapped_column(_enum(SurveyTarget, "survey_target"))
    target_id: Mapped[int]  # offerings and resources live in different tables, so no foreign key
    # Who teaches the target, copied when answered: teaching quality per institution is one GROUP BY.
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    satisfaction: Mapped[int]  # 1 (very dissatisfied) .. 5 (very satisfied)
    teaching: Mapped[int | None]  # teaching quality 1..5, optional
    comment: Mapped[str] = mapped_column(Text, default="")  # plain text, escaped when shown
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    respondent: Mapped[User] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])


class ExchangeKind(enum.StrEnum):
    admission = "admission"      # 录取结果, from an institution
    graduation = "graduation"    # 毕业结果, from an institution
    certificate = "certificate"  # 技能等级证书, from the HR department


class ExchangeBatch(Base):
    """One imported file: who sent what, when, and how many rows it carried and wrote."""

    __tablename__ = "exchange_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExchangeKind] = mapped_column(_enum(ExchangeKind, "exchange_kind"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int]
    imported: Mapped[int]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    org: Mapped[Organisation] = relationship()


class GraduationRecord(Base):
    """A graduation (毕业) reported by an institution: the evidence a diploma subsidy rests on."""

    __tablename__ = "graduation_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    # Matched to a worker by ID number at import; NULL when the worker has no account (yet).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(32))  # zhuanke | gaoqiben | zhuanshengben
    major: Mapped[str] = mapped_column(String(100))
    diploma_no: Mapped[str] = mapped_column(String(64), unique=True)
    graduated_on: Mapped[date] = mapped_column(Date)


class CertificateRecord(Base):
    """A skill-level certificate (技能等级证书) reported by the HR department."""

    __tablename__ = "certificate_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    occupation: Mapped[str] = mapped_column(String(100))  # 职业（工种）
    skill_level: Mapped[int]  # national level: 1 高级技师 .. 5 初级工
    certificate_no: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
