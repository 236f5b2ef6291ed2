"""What the programme's voice stores: enquiries (咨询) and their answers, the policy and FAQ page, satisfaction
and teaching-quality survey answers (满意度测评), public notices (公示) with their masked lines, and the
objections filed against them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.columns import string_enum


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
    # Set when a township union left it unanswered past the deadline and it went up to the county (org_id).
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)

    asker: Mapped[User] = relationship(foreign_keys=[asker_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    org: Mapped[Organisation] = relationship()


class PolicyPage(Base):
    """The policy and FAQ page (政策与常见问题), edited by the province union; one row per slug."""

    __tablename__ = "policy_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    body_html: Mapped[str] = mapped_column(Text)  # cleaned by app.sanitize on every write
    body_md: Mapped[str] = mapped_column(Text, default="")  # what was written (Markdown), rendered into body_html
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
    respondent_kind: Mapped[RespondentKind] = mapped_column(string_enum(RespondentKind, "respondent_kind"))
    # The enterprise an employer answer speaks for; NULL for workers.
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    target_kind: Mapped[SurveyTarget] = mapped_column(string_enum(SurveyTarget, "survey_target"))
    target_id: Mapped[int]  # offerings and resources live in different tables, so no foreign key
    # Who teaches the target, copied when answered: teaching quality per institution is one GROUP BY.
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    satisfaction: Mapped[int]  # 1 (very dissatisfied) .. 5 (very satisfied)
    teaching: Mapped[int | None]  # teaching quality 1..5, optional
    comment: Mapped[str] = mapped_column(Text, default="")  # plain text, escaped when shown
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    respondent: Mapped[User] = relationship()
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])


class NoticeKind(enum.StrEnum):
    institutions = "institutions"  # selected institutions and offerings
    admissions = "admissions"      # admitted applicants
    subsidies = "subsidies"        # granted subsidies


class Notice(Base):
    """A public notice (公示). Its lines are stored already masked, so no public page can leak a name."""

    __tablename__ = "programme_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(string_enum(NoticeKind, "notice_kind"))
    title: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column(Date)
    objection_until: Mapped[date] = mapped_column(Date)  # last day objections are received (异议期)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    org: Mapped[Organisation] = relationship()
    lines: Mapped[list[NoticeLine]] = relationship(back_populates="notice", order_by="NoticeLine.position",
                                                   cascade="all, delete-orphan")


class NoticeLine(Base):
    __tablename__ = "programme_notice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("programme_notices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(200))    # masked name, or the institution's name
    phone: Mapped[str] = mapped_column(String(20), default="")  # masked
    detail: Mapped[str] = mapped_column(String(400), default="")

    notice: Mapped[Notice] = relationship(back_populates="lines")


class ObjectionStatus(enum.StrEnum):
    open = "open"
    upheld = "upheld"          # 异议成立
    dismissed = "dismissed"    # 异议不成立


class Objection(Base):
    """An objection to a public notice (公示异议), filed during its objection period and resolved by the
    publishing union. The objector is never shown on a public page."""

    __tablename__ = "programme_objections"
    # The rate limit counts one person's recent objections, as enquiries count questions.
    __table_args__ = (Index("ix_programme_objections_objector_created", "objector_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("programme_notices.id", ondelete="CASCADE"), index=True)
    # The line objected to, if the objector picked one; NULL means the notice as a whole.
    line_id: Mapped[int | None] = mapped_column(ForeignKey("programme_notice_lines.id", ondelete="SET NULL"))
    objector_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)  # plain text, escaped when shown
    status: Mapped[ObjectionStatus] = mapped_column(string_enum(ObjectionStatus, "objection_status"),
                                                    default=ObjectionStatus.open, index=True)
    reply: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # False from the moment a resolution is recorded until the objector opens it (the unread mark, as enquiries).
    reply_seen: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    notice: Mapped[Notice] = relationship()
    line: Mapped[NoticeLine | None] = relationship()
    objector: Mapped[User] = relationship(foreign_keys=[objector_id])
