"""The notifications centre's rules: domains call `notify` in their own transaction (the kernel never imports
them); a person reads, marks read and turns kinds off; devices subscribe to Web Push. Delivery beyond the site
happens after commit, in the worker (app/notifications/delivery.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import UserSession
from app.db import utcnow
from app.errors import Invalid, LoginRequired, NotFound
from app.notifications import endpoints
from app.notifications.kinds import KINDS
from app.notifications.models import Notification, NotificationMute, PushSubscription

PAGE_SIZE = 30
MAX_DEVICES = 10  # push subscriptions one person keeps: each costs every notification of theirs a push


def notify(session: Session, user_id: int, kind: str, title: str, url: str, body: str = "") -> Notification | None:
    """Address a message to a person about the thing at `url` (a site path); nothing when they turned the kind
    off. Call inside the transaction of the change it tells about: a rolled-back change tells nobody."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not url.startswith("/"):
        raise ValueError("a notification links to a path of this site")
    if session.get(NotificationMute, (user_id, kind)) is not None:
        return None
    found = Notification(user_id=user_id, kind=kind, title=title[:200], body=body[:500], url=url[:300])
    session.add(found)
    session.flush()
    return found


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0)


def unread_about(session: Session, user_id: int) -> dict[str, int]:
    """The person's unread messages counted by the path each is about (the bell's count is their sum)."""
    return {url: int(n) for url, n in session.execute(
        select(Notification.url, func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .group_by(Notification.url))}


def latest(session: Session, user_id: int, *, before: int | None = None, limit: int = PAGE_SIZE) -> list[Notification]:
    """Newest first; `before` (an id) pages back."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before is not None:
        query = query.where(Notification.id < before)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 100)))))


def mark_read(session: Session, user_id: int, ids: list[int] | None) -> int:
    """Mark the person's messages read (`ids`, or all when None); another person's ids are ignored, never
    touched. Returns how many are still unread."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    session.flush()
    return unread_count(session, user_id)


def read_about(session: Session, user_id: int, path: str) -> int:
    """The person opened `path` itself (not through the bell): the messages about it are read. Returns how many.
    Looks before it writes, so opening any other page takes no write lock."""
    ids = list(session.scalars(select(Notification.id).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.url == path)))
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids))
                        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return len(ids)


def open_one(session: Session, user_id: int, notification_id: int) -> Notification:
    """The person's message, marked read: following it from the list or a push counts as reading it."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != user_id:
        raise NotFound(_("没有这条消息。"), code="notification_not_found")
    if found.read_at is None:
        found.read_at = utcnow()
    session.flush()
    return found


def muted(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(NotificationMute.kind).where(NotificationMute.user_id == user_id)))


def set_enabled(session: Session, user_id: int, enabled: set[str]) -> None:
    """Keep exactly the kinds in `enabled` on; the others off."""
    unknown = enabled - set(KINDS)
    if unknown:
        raise Invalid(_("未知的消息类型。"), code="unknown_kind")
    session.execute(delete(NotificationMute).where(NotificationMute.user_id == user_id))
    session.add_all(NotificationMute(user_id=user_id, kind=k) for k in KINDS if k not in enabled)
    session.flush()


def subscribe(session: Session, user_id: int, login: str, raw: Any, device: str = "") -> PushSubscription:
    """Keep a device's PushSubscription JSON ({"endpoint", "keys": {"p256dh", "auth"}}) for the signed-in session
    `login` (a UserSession id) that asked, and the person's MAX_DEVICES - 1 newest others. It ends with that
    session: whoever held the account for a moment cannot keep hearing it after a logout, 退出所有设备 or a new
    password. The same endpoint signed in as someone else moves to them: a device pushes to whoever uses it now."""
    keys = raw.get("keys") if isinstance(raw, dict) else None
    endpoint = raw.get("endpoint") if isinstance(raw, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000 \
            or not isinstance(keys, dict):
        raise Invalid(_("推送订阅无效。"), code="invalid_subscription")
    # the worker would POST there: never our own network (SSRF)
    if endpoints.refusal(endpoint, current_app.config["WEBPUSH_PRIVATE_HOSTS"]) is not None:
        message = _("推送地址必须是公网上的 https:// 地址。")
        raise Invalid(message, code="bad_push_endpoint", fields={"endpoint": message})
    if not endpoints.valid_keys(keys.get("p256dh"), keys.get("auth")):  # else every push to it fails in the worker
        message = _("推送订阅的密钥无效。")
        raise Invalid(message, code="bad_push_keys", fields={"keys": message})
    # the session may have ended since the request's user was loaded (kept between requests, or another host):
    # checked, and held (FOR SHARE on PostgreSQL) until commit, so a subscription never outlives it
    if session.scalar(select(UserSession.id).where(UserSession.id == login, UserSession.user_id == user_id)
                      .with_for_update(read=True)) is None:
        raise LoginRequired(_("登录已结束，请重新登录后再开启推送。"))
    found = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if found is None:
        found = PushSubscription(endpoint=endpoint, user_id=user_id, session_id=login)
        session.add(found)
    found.user_id, found.session_id, found.p256dh, found.auth = user_id, login, keys["p256dh"], keys["auth"]
    found.device, found.failures, found.created_at = device[:200], 0, utcnow()
    session.flush()
    # past MAX_DEVICES the oldest go rather than the new one be refused: a reinstalled browser leaves its old
    # subscription behind, and the phone in the person's hand is the one that must work
    for stale in session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id,
                                                                PushSubscription.id != found.id)
                                 .order_by(PushSubscription.id.desc()).offset(MAX_DEVICES - 1)).all():
        session.delete(stale)
    session.flush()
    return found


def unsubscribe(session: Session, user_id: int, endpoint: str) -> None:
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id,
                                                   PushSubscription.endpoint == endpoint))
    session.flush()


def remove_device(session: Session, user_id: int, device_id: int) -> None:
    """The person takes push away from one of their devices (我的消息), one they no longer hold included; another
    person's device is not found, never touched."""
    found = session.get(PushSubscription, device_id)
    if found is None or found.user_id != user_id:
        raise NotFound(_("没有这台推送设备，可能已经移除。"), code="push_device_not_found")
    session.delete(found)
    session.flush()


def devices(session: Session, user_id: int) -> list[PushSubscription]:
    return list(session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                .order_by(PushSubscription.id)))


def as_json(item: Notification) -> dict[str, Any]:
    def stamp(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(timespec="seconds") + "Z"

    return {"id": item.id, "kind": item.kind, "kind_label": str(KINDS[item.kind].label) if item.kind in KINDS
            else item.kind, "title": item.title, "body": item.body, "url": item.url,
            "created_at": stamp(item.created_at), "read": item.read_at is not None}
