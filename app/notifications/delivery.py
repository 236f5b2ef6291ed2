"""Delivery beyond the site, run by the worker after commit: each new notification is pushed to every device of
its person that subscribed (Web Push, VAPID-signed, payload encrypted by pywebpush), and the kinds that must
reach someone are texted through app.sms's gateway. A notification is stamped delivered once, in the same commit
as the texts it queued, so a crash resends a push at most (at-least-once), never a second text."""

from __future__ import annotations

import asyncio
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
from app.accounts import sessions
from app.accounts.models import User, UserSession
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
    timeout_s: float = 5.0  # WEBPUSH_TIMEOUT_SECONDS: one push, from connecting to the last byte of the answer

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Vapid | None:
        if not (config.get("WEBPUSH_PUBLIC_KEY") and config.get("WEBPUSH_PRIVATE_KEY")):
            return None
        return cls(config["WEBPUSH_PUBLIC_KEY"], config["WEBPUSH_PRIVATE_KEY"], config["WEBPUSH_SUBJECT"],
                   config.get("WEBPUSH_PRIVATE_HOSTS", ""), float(config.get("WEBPUSH_TIMEOUT_SECONDS", 5.0)))


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
    for a reason of its own (`lasting`, a push service too slow to answer included); a refused address, a network
    or DNS fault, maybe ours, keeps it for the next message."""
    device.failures += 1
    if gone or lasting and device.failures >= MAX_FAILURES:
        session.delete(device)
    log.warning("push to device %s failed: %s", device.id, reason)
    return False


class _NoRedirects:
    """The session pywebpush posts through: a redirect is not followed (the address check saw only the first URL),
    its 3xx counts as a failure."""

    def __init__(self, http: Any) -> None:
        self.http = http

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.http.post(url, allow_redirects=False, **kwargs)


async def _send(vapid: Vapid, poster: _NoRedirects, info: dict[str, Any], data: str) -> None:
    """One push, connecting, sending and reading the whole answer within `timeout_s` (pywebpush's own `timeout` is
    per socket read: a service trickling its answer would hold the worker for ever); cancelled past it."""
    from pywebpush import webpush_async  # here, as in push_all()

    async with asyncio.timeout(vapid.timeout_s):
        await webpush_async(info, data, vapid_private_key=vapid.private_key, vapid_claims={"sub": vapid.subject},
                            ttl=PUSH_TTL_S, timeout=vapid.timeout_s, aiohttp_session=poster)


async def _send_all(vapid: Vapid, infos: list[dict[str, Any]], data: str) -> list[BaseException | None]:
    """All of a notification's pushes at once, so one message costs the worker one deadline whatever the number
    of devices; each outcome (None or its error) apart."""
    import aiohttp  # here, as pywebpush (whose dependency it is)

    async with aiohttp.ClientSession(trust_env=True) as http:  # trust_env: the proxy settings requests honoured
        poster = _NoRedirects(http)
        return await asyncio.gather(*(_send(vapid, poster, info, data) for info in infos), return_exceptions=True)


def push_all(session: Session, vapid: Vapid, devices: list[PushSubscription], data: str) -> int:
    """Push `data` to each device; a device that is gone is forgotten. Returns how many push services took it.
    Never raises: one device's bad keys, address or slowness must not stop the notification, nor those after it,
    for anyone. Returns within about one WEBPUSH_TIMEOUT_SECONDS (plus name lookups, which the system's resolver
    bounds), leaving no thread behind."""
    import aiohttp  # here, as pywebpush below
    from pywebpush import WebPushException  # here, not at import: it (with requests, aiohttp and cryptography) is
    # 37 MB in every web process, most of which never pushes

    sendable = []
    for device in devices:
        # again at each send: a name's addresses may have changed (SSRF)
        reason = endpoints.refusal(device.endpoint, vapid.private_hosts)
        if reason is not None:
            _failed(session, device, f"endpoint refused: {reason}", lasting=False)
        else:
            sendable.append(device)
    if not sendable:
        return 0
    infos = [{"endpoint": d.endpoint, "keys": {"p256dh": d.p256dh, "auth": d.auth}} for d in sendable]
    outcomes: list[BaseException | None]
    try:
        outcomes = asyncio.run(_send_all(vapid, infos, data))
    except Exception as err:  # noqa: BLE001 - the session itself failed, not a device: counted on each, kept
        outcomes = [OSError(f"{type(err).__name__}: {err}")] * len(sendable)
    took = 0
    for device, outcome in zip(sendable, outcomes, strict=True):
        if outcome is None:
            device.failures = 0
            took += 1
        elif isinstance(outcome, WebPushException):
            status = getattr(outcome.response, "status", None)
            # the service's answer is in the message: the first of it is enough for the log
            _failed(session, device, f"({status}) {str(outcome)[:300]}", gone=status in GONE)
        elif isinstance(outcome, TimeoutError):  # a slow or silent service (aiohttp's own timeouts included): its own
            _failed(session, device, f"no whole answer within {vapid.timeout_s:g} s")
        elif isinstance(outcome, (OSError, aiohttp.ClientConnectionError)):  # unreachable, refused, dropped: maybe
            # our network's fault, keep the device
            _failed(session, device, outcome, lasting=False)
        else:  # keys pywebpush cannot use, or anything else of this device's: its failure alone, never the run's
            _failed(session, device, f"{type(outcome).__name__}: {outcome}")
    return took


def devices_of(session: Session, user_id: int, config: Mapping[str, Any]) -> list[PushSubscription]:
    """The person's devices whose signed-in session could still be used: a subscription ends with the session that
    made it (the foreign key removes it; the join says so here too, whatever removed the session), and a session
    past its lifetime is over even before the hourly purge removes its row (a café browser closed weeks ago)."""
    standing = select(PushSubscription).join(UserSession, UserSession.id == PushSubscription.session_id)
    return list(session.scalars(standing.where(PushSubscription.user_id == user_id, UserSession.user_id == user_id,
                                               sessions.live(config))
                                .order_by(PushSubscription.id)))


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
            push_all(session, vapid, devices_of(session, item.user_id, config), payload(item))
        kind = KINDS.get(item.kind)
        if kind is not None and kind.sms:
            user = session.get(User, item.user_id)
            if user is not None and user.phone:
                sms.queue(session, user.phone, sms_text(item))
        item.delivered_at = utcnow()
        session.commit()
        done += 1
    return done
