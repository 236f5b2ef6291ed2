"""What admissions store: the year's plan and its edits, quotas handed down the union tree with their
history, institutions' declared offerings, workers' applications and the enrolment records (学籍) institutions
open for them.

Money (programme/money/models.py) claims subsidies against enrolment records and spends the quotas' province
money; reports count applications by `Application.county_id` and shares by `Quota.org_id`.
Worker profile fields (job level, union, contract, employer type, education) live on
app.accounts.models.WorkerProfile, which the eligibility rules read (see programme/admissions/profiles.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.columns import string_enum


class Attainment(enum.StrEnum):
    """What a subsidy rewards: a 大专-or-higher diploma or a 高级工-or-higher certificate."""

    dazhuan = "dazhuan"                      # 大专
    benke = "benke"                          # 本科
    senior_worker = "senior_worker"          # 高级工 (level 3)
    technician = "technician"                # 技师 (level 2)
    senior_technician = "senior_technician"  # 高级技师 (level 1)


class Plan(Base):
    """One year of the programme, opened by the province union (年度计划)."""

    __tablename__ = "programme_plans"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    # The eligibility contract rule is judged on this date (当年发文之日).
    notice_date: Mapped[date] = mapped_column(Date)
    target_places: Mapped[int] = mapped_column(Integer, default=10_000)
    budget_yuan: Mapped[int] = mapped_column(Integer, default=10_000_000)
    # Province subsidy standard per attainment, whole yuan.
    std_dazhuan: Mapped[int] = mapped_column(Integer, default=1000)
    std_benke: Mapped[int] = mapped_column(Integer, default=1500)
    std_senior_worker: Mapped[int] = mapped_column(Integer, default=800)
    std_technician: Mapped[int] = mapped_column(Integer, default=1200)
    std_senior_technician: Mapped[int] = mapped_column(Integer, default=1500)
    opens_on: Mapped[date] = mapped_column(Date)    # applications accepted from
    closes_on: Mapped[date] = mapped_column(Date)   # until, inclusive
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def standard(self, attainment: Attainment) -> int:
        return int(getattr(self, f"std_{attainment.value}"))


class PlanChange(Base):
    """Every edit of an opened plan, kept for audit: who changed which field, from what to what (as text,
    so numbers and dates share one table). Changes to the province's places and money also leave a
    QuotaChange, as every reallocation does."""

    __tablename__ = "programme_plan_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(32))  # a Plan column name: target_places, std_benke, closes_on ...
    before: Mapped[str] = mapped_column(String(40))
    after: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class Quota(Base):
    """A union's share of one year's places and province money.

    `handed_out` is what it passed to the unions below, `used` what its own verified applications hold,
    `spent` the province money its subsidies paid. The CHECKs make overspending impossible even if
    two staff save at once: the services change these columns only by conditional UPDATEs."""

    __tablename__ = "programme_quotas"
    __table_args__ = (
        UniqueConstraint("plan_id", "org_id"),
        CheckConstraint("handed_out >= 0 AND used >= 0 AND handed_out + used <= places", name="places_held"),
        CheckConstraint("budget_handed_out >= 0 AND spent >= 0 AND budget_handed_out + spent <= budget_yuan",
                        name="budget_held"),
        CheckConstraint("top_up_yuan >= 0", name="top_up_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    places: Mapped[int] = mapped_column(Integer, default=0)
    handed_out: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[int] = mapped_column(Integer, default=0)
    budget_yuan: Mapped[int] = mapped_column(Integer, default=0)
    budget_handed_out: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[int] = mapped_column(Integer, default=0)
    # This union's own top-up per granted subsidy (市、县配套), paid from its own money.
    top_up_yuan: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship()
    org: Mapped[Organisation] = relationship()

    @property
    def remaining(self) -> int:
        return self.places - self.handed_out - self.used

    @property
    def budget_remaining(self) -> int:
        return self.budget_yuan - self.budget_handed_out - self.spent


class QuotaChange(Base):
    """Every reallocation, kept for audit: who changed which union's share, from what to what."""

    __tablename__ = "programme_quota_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    quota_id: Mapped[int] = mapped_column(ForeignKey("programme_quotas.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    places_before: Mapped[int] = mapped_column(Integer)
    places_after: Mapped[int] = mapped_column(Integer)
    budget_before: Mapped[int] = mapped_column(Integer)
    budget_after: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class OfferingKind(enum.StrEnum):
    academic = "academic"    # 学历教育
    training = "training"    # 技能培训项目


class OfferingStatus(enum.StrEnum):
    declared = "declared"
    selected = "selected"
    rejected = "rejected"


class Offering(Base):
    """What an institution declares for a year (院校申报): an academic programme or a training project.
    Selected offerings make up the public 报读 menu."""

    __tablename__ = "programme_offerings"
    __table_args__ = (CheckConstraint("places > 0", name="places_positive"),
                      CheckConstraint("tuition_yuan >= 0 AND discount_yuan >= 0 AND discount_yuan <= tuition_yuan",
                                      name="fees_sane"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[OfferingKind] = mapped_column(string_enum(OfferingKind, "offering_kind"))
    # Academic: zhuanke / gaoqiben / zhuanshengben (programme.admissions.eligibility.Level); training: "training".
    level: Mapped[str] = mapped_column(String(32))
    major: Mapped[str] = mapped_column(String(200))  # the major, or the skill of a training project
    mode: Mapped[str] = mapped_column(String(50), default="")  # 业余 / 函授 / 网络; skill level for training
    years: Mapped[int] = mapped_column(Integer, default=0)
    tuition_yuan: Mapped[int] = mapped_column(Integer, default=0)
    discount_yuan: Mapped[int] = mapped_column(Integer, default=0)  # tuition reduction for workers
    scholarships: Mapped[str] = mapped_column(Text, default="")
    places: Mapped[int] = mapped_column(Integer)
    status: Mapped[OfferingStatus] = mapped_column(string_enum(OfferingStatus, "offering_status"),
                                                   default=OfferingStatus.declared, index=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    plan: Mapped[Plan] = relationship()
    institution: Mapped[Organisation] = relationship()


ACADEMIC = "academic"  # Application.active_level of every live academic application, whatever its level


class AppStatus(enum.StrEnum):
    applied = "applied"
    verified = "verified"
    admitted = "admitted"
    enrolled = "enrolled"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Application(Base):
    """A worker's 报读申请, from applying through county verification and admission to enrolment."""

    __tablename__ = "programme_applications"
    # One live academic application per worker and year, whatever its level (the policy funds people), and one
    # training project: `active_level` is ACADEMIC (or "training") while the application lives and NULL once
    # withdrawn or rejected (NULLs never collide), so the worker may apply again. Rows filed before migration 0039
    # may still carry their level (a worker's second live academic application then was left as it stood).
    __table_args__ = (UniqueConstraint("plan_id", "user_id", "active_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programme_plans.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("programme_offerings.id", ondelete="RESTRICT"), index=True)
    # The county union that verifies and whose quota the place comes from; reports count by it.
    county_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    active_level: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[AppStatus] = mapped_column(string_enum(AppStatus, "application_status"), default=AppStatus.applied,
                                              index=True)
    holds_quota: Mapped[bool] = mapped_column(default=False)  # a county place is taken by this application
    note: Mapped[str] = mapped_column(Text, default="")       # the reason given on rejection
    applied_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)  # withdrawn or rejected

    plan: Mapped[Plan] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    offering: Mapped[Offering] = relationship()
    county: Mapped[Organisation] = relationship()
    enrolment: Mapped[EnrolmentRecord | None] = relationship(back_populates="application", uselist=False)


class EnrolmentRecord(Base):
    """The 学籍 an institution opens for an admitted applicant; subsidies are claimed against it."""

    __tablename__ = "programme_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("programme_applications.id", ondelete="RESTRICT"),
                                                unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    student_number: Mapped[str] = mapped_column(String(50))
    enrolled_on: Mapped[date] = mapped_column(Date)
    graduated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="enrolment")
    user: Mapped[User] = relationship()
