"""Text messages (verification codes) behind a small gateway interface.

A message is a row written in the caller's transaction and delivered after commit (`deliver_pending`), so a
rolled-back change sends nothing. The embedded default gateway writes the message to the server log and keeps
it in the table, where site admins read recent codes for support desks (a worker whose phone shows nothing);
with QIUXUE_SMS_GATEWAY_URL set, messages are POSTed there as JSON {"phone", "text"} and the code is blanked
in the stored copy once sent."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from datetime import datetime
from typing import Protocol

from flask import Flask
from sqlalchemy import DateTime, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow

log = logging.getLogger(__name__)
CODE_RE = re.compile(r"\d{6}")


class SmsMessage(Base):
    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_sent_at", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)  # NULL: not yet delivered
    gateway: Mapped[str] = mapped_column(String(16), default="")  # "log" or "http" once sent
    error: Mapped[str] = mapped_column(String(200), default="")  # the last delivery failure


class Gateway(Protocol):
    name: str

    def send(self, phone: str, text: str) -> None:
        """Deliver or raise."""


class LogGateway:
    """The embedded default: the server log and the staff page of recent codes are the delivery."""

    name = "log"

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


class HttpGateway:
    """A real SMS provider behind an HTTP endpoint of ours or theirs: POST {"phone", "text"} as JSON."""

    name = "http"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url, self.timeout = url, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        if not self.url.startswith(("http://", "https://")):
            raise OSError("QIUXUE_SMS_GATEWAY_URL must be an http(s) URL")
        request = urllib.request.Request(self.url, data=body, method="POST",  # noqa: S310 - checked above
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
            if not 200 <= response.status < 300:
                raise OSError(f"SMS gateway answered {response.status}")


def gateway_for(app: Flask) -> Gateway:
    url = app.config.get("SMS_GATEWAY_URL") or ""
    return HttpGateway(url) if url else LogGateway()


def queue(session: Session, phone: str, text: str) -> SmsMessage:
    """Write the message in the caller's transaction; `deliver_pending` sends it after the commit."""
    message = SmsMessage(phone=phone, text=text)
    session.add(message)
    session.flush()
    return message


def deliver_pending(session: Session, gateway: Gateway, limit: int = 50) -> int:
    """Send what is waiting, committing after each message; a failure is kept on the row and retried next time.
    Returns how many went out."""
    sent = 0
    for message in session.scalars(select(SmsMessage).where(SmsMessage.sent_at.is_(None))
                                   .order_by(SmsMessage.id).limit(limit)):
        try:
            gateway.send(message.phone, message.text)
        except OSError as error:
            message.error = str(error)[:200]
            log.warning("SMS %s not delivered: %s", message.id, error)
        else:
            message.sent_at, message.gateway, message.error = utcnow(), gateway.name, ""
            if gateway.name != "log":  # the provider has it now; a copy with the code would only be a risk
                message.text = CODE_RE.sub("******", message.text)
            sent += 1
        session.commit()
    return sent


def recent(session: Session, limit: int = 50) -> list[SmsMessage]:
    """Newest first, for the staff page."""
    return list(session.scalars(select(SmsMessage).order_by(SmsMessage.id.desc()).limit(limit)))
