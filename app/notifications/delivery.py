"""Delivery beyond the site, run by the worker after commit: each new notification is pushed to every device of
its person that subscribed (Web Push, VAPID-signed, payload encrypted by pywebpush), and the kinds that must
reach someone are texted through app.sms's gateway. A notification is stamped delivered once, in the same commit
as the texts it queued, so a crash resends a push at most (at-least-once), never a second text."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import sms
from app.accounts.models import User
from app.db import utcnow
from app.notifications import endpoints
from app.notifications.kinds import KINDS
from app.notifications.models import Notification, PushSubscription

log = logging.getLogger(__name__)
BATCH = 50
MAX_FAILURES = 5  # pushes in a row a device may fail (not 404/410) before its subscription is dropped
GONE = (404, 410)  # the push service says the subscription no longer exists
PUSH_TTL_S = 24 * 3600  # a phone switched off for a shift still gets it the next morning


@dataclass(frozen=True)
class Vapid:
    public_key: str
    private_key: str
    subject: str
    private_hosts: str = ""  # WEBPUSH_PRIVATE_HOSTS: push services on our own network allowed by name

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Vapid | None:
        if not (config.get("WEBPUSH_PUBLIC_KEY") and config.get("WEBPUSH_PRIVATE_KEY")):
            return None
        return cls(config["WEBPUSH_PUBLIC_KEY"], config["WEBPUSH_PRIVATE_KEY"], config["WEBPUSH_SUBJECT"],
                   config.get("WEBPUSH_PRIVATE_HOSTS", ""))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_keys() -> tuple[str, str]:
    """A new VAPID pair as (public, private), base64url: the public one is the browser's applicationServerKey."""
    from cryptography.hazmat.primitives import serialization  # here, as pywebpush below
    from py_vapid import Vapid01  # here, as pywebpush below

    pair = Vapid01()
    pair.generate_keys()
    public = pair.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    private = pair.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64(public), _b64(private)


def payload(item: Notification) -> str:
    """What the service worker shows: the message and where a tap goes (through the open link, which marks it
    read)."""
    return json.dumps({"title": item.title, "body": item.body, "url": f"/me/notifications/{item.id}/open",
                       "tag": f"n{item.id}"}, ensure_ascii=False)


def _failed(session: Session, device: PushSubscription, reason: object, *, gone: bool = False,
            lasting: bool = True) -> bool:
    """Count a failed push against its device alone. A device gone is forgotten, and so is one failing too often
    for a reason of its own (`lasting`); a network or DNS fault on our side keeps it for the next message."""
    device.failures += 1
    if gone or lasting and device.failures >= MAX_FAILURES:
        session.delete(device)
    log.warning("push to device %s failed: %s", device.id, reason)
    return False


def push(session: Session, vapid: Vapid, device: PushSubscription, data: str) -> bool:
    """One push to one device; a device that is gone is forgotten. True when the push service took it. Never
    raises: one device's bad keys or address must not stop the notification, nor those after it, for anyone."""
    import requests  # here, as pywebpush below
    from pywebpush import WebPushException, webpush  # here, not at import: it (with requests, aiohttp and
    # cryptography) is 37 MB in every web process, most of which never pushes

    # again at each send: a name's addresses may have changed (SSRF)
    reason = endpoints.refusal(device.endpoint, vapid.private_hosts)
    if reason is not None:
        return _failed(session, device, f"endpoint refused: {reason}", lasting=False)
    info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    http = requests.Session()
    http.max_redirects = 0  # a redirect would lead past the address check: it counts as a failure instead
    try:
        webpush(info, data, vapid_private_key=vapid.private_key, vapid_claims={"sub": vapid.subject},
                ttl=PUSH_TTL_S, timeout=10, requests_session=http)
    except WebPushException as err:
        status = getattr(err.response, "status_code", None)
        return _failed(session, device, f"({status}) {err}", gone=status in GONE)
    except OSError as err:  # the push service unreachable (requests' errors are OSErrors): keep the device
        return _failed(session, device, err, lasting=False)
    except Exception as err:  # noqa: BLE001 - keys pywebpush cannot use, or anything else of this device's:
        # its failure alone, never the run's
        return _failed(session, device, f"{type(err).__name__}: {err}")
    finally:
        http.close()
    device.failures = 0
    return True


def sms_text(item: Notification) -> str:
    return _("【求学】%(title)s。请登录求学查看详情。", title=item.title)


def deliver_pending(session: Session, config: Mapping[str, Any], limit: int = BATCH) -> int:
    """Push (and text, for decisions) the notifications not delivered yet, committing after each; returns how many
    were handled. Texts are queued here and sent by app.sms right after."""
    vapid = Vapid.from_config(config)
    done = 0
    for item in session.scalars(select(Notification).where(Notification.delivered_at.is_(None))
                                .order_by(Notification.id).limit(limit)).all():
        if vapid is not None:
            data = payload(item)
            for device in session.scalars(select(PushSubscription)
                                          .where(PushSubscription.user_id == item.user_id)).all():
                push(session, vapid, device, data)
        kind = KINDS.get(item.kind)
        if kind is not None and kind.sms:
            user = session.get(User, item.user_id)
            if user is not None and user.phone:
                sms.queue(session, user.phone, sms_text(item))
        item.delivered_at = utcnow()
        session.commit()
        done += 1
    return done
