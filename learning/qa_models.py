"""What the learners' voice stores (issue 24 items 4-5): questions on a lesson with the teachers' answers (a
sanitised Markdown body each, hidden by staff, reported by anyone who sees them), the learners' "helpful" marks
(one per person and answer), the one-tap rating of a finished course, and the 我想学 wishes with one vote per
person and the organisations whose answer to a wish was cleared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from catalog.models import Lesson, Resource


class Question(Base):
    __tablename__ = "lesson_questions"
    __table_args__ = (Index("ix_lesson_questions_resource_open", "resource_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    # The lesson's resource, copied: the teachers' queue is "questions on my institution's resources"
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown source as typed; shown through app.richtext only
    private: Mapped[bool] = mapped_column(default=False)  # only the asker and the provider's teachers see it
    hidden: Mapped[bool] = mapped_column(default=False)  # hidden by staff (moderation)
    reports: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)  # the first teacher's answer

    asker: Mapped[User] = relationship()
    lesson: Mapped[Lesson] = relationship()
    resource: Mapped[Resource] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="question", order_by="Answer.id")


class Answer(Base):
    __tablename__ = "lesson_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("lesson_questions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The organisation the author answered for (the resource's provider), decided by the policy, never by a form
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    reports: Mapped[int] = mapped_column(default=0)
    helpful: Mapped[int] = mapped_column(default=0)  # learners' marks, counted from AnswerMark
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="answers")
    author: Mapped[User] = relationship()
    org: Mapped[Organisation | None] = relationship()


class AnswerMark(Base):
    """A learner found an answer helpful; the primary key keeps it to once per person."""

    __tablename__ = "lesson_answer_marks"

    answer_id: Mapped[int] = mapped_column(ForeignKey("lesson_answers.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class QaReport(Base):
    """Someone reported a question or answer; once per person and item ("question" or "answer")."""

    __tablename__ = "lesson_qa_reports"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    item_id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CourseRating(Base):
    """A finished course's one-tap rating; programme/voice/surveys.py counts it in teaching quality unless the
    same person also answered the survey about the same resource."""

    __tablename__ = "course_ratings"
    __table_args__ = (UniqueConstraint("user_id", "resource_id"),
                      CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")  # Markdown source, shown through app.richtext
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Wish(Base):
    """我想学: a topic or trade a worker wants and the catalog lacks; `union_id` is the asker's union when asked, so
    unions see the wishes of their area."""

    __tablename__ = "learning_wishes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    union_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    votes: Mapped[int] = mapped_column(default=0)  # counted from WishVote
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # An institution's answer: a course of theirs
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)

    union: Mapped[Organisation | None] = relationship(foreign_keys=[union_id])
    resource: Mapped[Resource | None] = relationship()
    answered_by: Mapped[Organisation | None] = relationship(foreign_keys=[answered_by_id])


class WishClearedAnswer(Base):
    """An organisation whose answer to the wish the area's union cleared (`wishes.clear`): it may not answer the
    wish again. One row per organisation, because the wish itself remembers only its latest answerer."""

    __tablename__ = "learning_wish_cleared_answers"

    wish_id: Mapped[int] = mapped_column(ForeignKey("learning_wishes.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)


class WishVote(Base):
    __tablename__ = "learning_wish_votes"

    wish_id: Mapped[int] = mapped_column(ForeignKey("learning_wishes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
