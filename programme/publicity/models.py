"""A post: news (新闻) or a story (先进典型) of one union or institution, written in Markdown (body_md, rendered
and cleaned into body_html), with an optional photo (stored like catalog covers) and, for a story with a photo,
the consent of the person shown: who they are, who gave the consent and on which day."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, utcnow
from programme.columns import string_enum


class PostKind(enum.StrEnum):
    news = "news"
    story = "story"  # 先进典型: a worker's or an enterprise's story


class Post(Base):
    __tablename__ = "posts"
    # the home page, /news and the feed list the newest published posts
    __table_args__ = (Index("ix_posts_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PostKind] = mapped_column(string_enum(PostKind, "post_kind"))
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(200), default="")  # plain text: the share card's description
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # cleaned by app.sanitize on every write
    photo_key: Mapped[str | None] = mapped_column(String(40))  # covers store: <key>-<width>.jpg
    consent_subject: Mapped[str | None] = mapped_column(String(100))  # the person (or enterprise) shown
    consent_given_by: Mapped[str | None] = mapped_column(String(100))  # who agreed: the person, or their guardian
    consent_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)  # NULL: a draft, or taken down
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
