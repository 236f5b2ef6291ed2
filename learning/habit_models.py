"""What the learning habit stores: a worker's study plan (the weekly slots when they usually have a few minutes,
how many reminders a week they want, their quiet hours and their week goal), every reminder sent with its result
(opened, studied within the hour) so a schedule can be judged, and the verified study seconds per Beijing day that
the fair streak is counted from (the seconds the learner's clock paid for, never page views)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class StudyPlan(Base):
    __tablename__ = "study_plans"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # [[weekday 0=Mon..6, start minute, end minute], ...] in Beijing time: "12:00-12:30 on weekdays" is five slots
    slots: Mapped[list[Any]] = mapped_column(JSON, default=list)
    per_week: Mapped[int] = mapped_column(default=3)  # reminders a week at most; 0 = none
    quiet_start: Mapped[int | None] = mapped_column()  # minute of the Beijing day quiet hours start (may wrap)
    quiet_end: Mapped[int | None] = mapped_column()
    goal_minutes: Mapped[int] = mapped_column(default=60)  # verified study minutes a week
    goal_days: Mapped[int] = mapped_column(default=3)      # days with some study a week
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Reminder(Base):
    """One reminder sent; `due_at` is its slot's start (UTC), unique per worker, so a worker duty that runs twice
    (or on two hosts) sends it once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("user_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)  # the worker followed it
    # None until an hour has passed; then whether verified study was recorded within that hour
    studied: Mapped[bool | None] = mapped_column()


class StudyDay(Base):
    """Verified study seconds of one learner on one Beijing day (media seconds paid by the learner's clock, and a
    reading lesson's minimum reading time when it completes)."""

    __tablename__ = "study_days"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
