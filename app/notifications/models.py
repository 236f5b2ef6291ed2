"""What the notifications centre stores: one row per message addressed to a person (shown in the site, pushed to
their devices and, for the kinds that must reach them, texted), the kinds a person turned off, and the devices
that accepted Web Push."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_id", "user_id", "id"),
                      Index("ix_notifications_delivered_at", "delivered_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # a key of app.notifications.kinds.KINDS
    title: Mapped[str] = mapped_column(String(200))  # plain text, as written by the domain
    body: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str] = mapped_column(String(300))  # a site path: the thing the message is about
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # NULL until the worker has pushed (and, for decisions, texted) it; set once, so a message goes out once
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationMute(Base):
    """A kind the person turned off: nothing of that kind is written for them (no row means on)."""

    __tablename__ = "notification_mutes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)


class PushSubscription(Base):
    """One device's Web Push subscription (the browser's PushSubscription JSON): where to POST, and the keys the
    payload is encrypted with. A push service answering 404/410 means the device left: the row is removed. It
    lives as long as the signed-in session that made it: logging out there, 退出所有设备 or a new password ends
    it with the session (the foreign key), so a device someone held the account on for a moment stops hearing."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # the signed-in session (UserSession.id) that turned push on: its row going (any way a session ends) takes this
    session_id: Mapped[str] = mapped_column(String(32), ForeignKey("user_sessions.id", ondelete="CASCADE"),
                                            index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)  # the push service's URL for this device
    p256dh: Mapped[str] = mapped_column(String(200))  # the device's public key (base64url)
    auth: Mapped[str] = mapped_column(String(100))    # the shared auth secret (base64url)
    device: Mapped[str] = mapped_column(String(200), default="")  # the browser's User-Agent, to tell devices apart
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(default=0)  # in a row; removed past MAX_FAILURES
