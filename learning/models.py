"""What learning stores: who is enrolled in what (with where they stopped), one progress row per learner
and lesson (the union of watched intervals, the resume position, when it completed), per-resource
completion settings, and the institutions' multiple-choice quizzes with every attempt.

Kolibri's split: the per-lesson row is the summary the pages read; the heartbeat itself is not kept
(its effect is folded into the row, idempotently, so replays change nothing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, Ordered, utcnow
from catalog.models import Lesson, Resource


class Enrolment(Base):
    """A learner took a resource (one tap). `completed_at` is stamped once, when every required lesson is
    complete and the quiz (if any) is passed; the credit bank reads it."""

    __tablename__ = "enrolments"
    __table_args__ = (Index("uq_enrolments_user_resource", "user_id", "resource_id", unique=True),
                      Index("ix_enrolments_user_active", "user_id", "last_active_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Where 继续学习 goes: the lesson and second of the newest heartbeat, on whatever device sent it.
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    last_position_s: Mapped[float] = mapped_column(Float, default=0)
    # (client time in ms, seq) of the heartbeat that set the resume point: older replays never move it back.
    last_client_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=-1)
    last_active_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Heartbeats for this resource refused by the trust rules (learning.heartbeats.Refused), for staff to review.
    refusals: Mapped[int] = mapped_column(default=0, server_default="0")
    last_refusal: Mapped[str | None] = mapped_column(String(40))  # its error code
    last_refused_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The kind of device the learner enrolled from (learning.devices: phone, tablet, computer), for the analytics;
    # set once at enrolment, never by heartbeats.
    device: Mapped[str | None] = mapped_column(String(10))

    user: Mapped[User] = relationship()
    resource: Mapped[Resource] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()


class LearnerClock(Base):
    """Per learner, across all lessons and devices: how far their watched time is accounted for (learning.pace).
    Created with the first heartbeat; updated by compare-and-set on `version` with the progress it pays for."""

    __tablename__ = "learner_clocks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    cursor_ms: Mapped[int] = mapped_column(BigInteger)  # credit accounted for up to here (server time, ms)
    spare_s: Mapped[float] = mapped_column(Float)       # slack carried past the cursor
    version: Mapped[int] = mapped_column(default=0)


class LessonProgress(Base):
    """One learner's progress in one lesson. Video/audio: `watched` holds the merged [start, end] seconds of
    the media. Reading: `watched` holds the merged spans of reading time (epoch seconds) and `position_s`
    the scroll percentage. Updated by compare-and-set on `version`, so concurrent heartbeats never lose
    each other's seconds on SQLite or PostgreSQL."""

    __tablename__ = "lesson_progress"
    __table_args__ = (Index("uq_lesson_progress_user_lesson", "user_id", "lesson_id", unique=True),
                      Index("ix_lesson_progress_user_resource", "user_id", "resource_id"),
                      CheckConstraint("covered_s >= 0", name="covered_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))  # for per-resource reads
    watched: Mapped[list[Any]] = mapped_column(JSON, default=list)
    covered_s: Mapped[float] = mapped_column(Float, default=0)   # seconds in `watched`, kept for listing pages
    position_s: Mapped[float] = mapped_column(Float, default=0)  # resume point (newest heartbeat wins)
    furthest_s: Mapped[float] = mapped_column(Float, default=0)  # furthest position ever reported
    reached_end: Mapped[bool] = mapped_column(default=False)     # reading lessons: scrolled to the end
    last_client_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=-1)
    # The span of client clocks seen (clamped to the server's), for the "no more than the wall clock" rule.
    first_client_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    max_client_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(default=0)

    lesson: Mapped[Lesson] = relationship()


class LearningSettings(Base):
    """Per-resource learning rules, kept here rather than on catalog's Resource (learning owns them)."""

    __tablename__ = "learning_settings"
    __table_args__ = (CheckConstraint("completion_ratio >= 0.5 AND completion_ratio <= 1", name="ratio_range"),)

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    completion_ratio: Mapped[float] = mapped_column(Float, default=0.9)  # share of a video that must be watched
    min_read_s: Mapped[int] = mapped_column(default=30)  # reading lessons: least time on the page


class Quiz(Base):
    """A resource's multiple-choice quiz; passing it is required for the resource to complete."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    pass_mark: Mapped[int] = mapped_column(default=60)  # percent of questions right
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    questions: Mapped[list[QuizQuestion]] = relationship(back_populates="quiz", cascade="all, delete-orphan",
                                                         order_by="QuizQuestion.position")


class QuizQuestion(Ordered, Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (Index("ix_quiz_questions_quiz_position", "quiz_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)            # plain text
    choices: Mapped[list[str]] = mapped_column(JSON)   # 2..6 plain-text options
    answer: Mapped[int] = mapped_column()              # index into choices

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class QuizAttempt(Base):
    """Every attempt is kept (the xAPI history reports the passing one)."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answers: Mapped[list[int]] = mapped_column(JSON)
    score: Mapped[int] = mapped_column()  # percent
    passed: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    quiz: Mapped[Quiz] = relationship()


__all__ = ["Enrolment", "LearnerClock", "LearningSettings", "LessonProgress", "Quiz", "QuizAttempt", "QuizQuestion"]
