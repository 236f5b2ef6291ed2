"""SMS verification codes: issued, throttled and checked here, sent through app.sms.

Six digits, kept only as a keyed hash bound to the number and the purpose (a code for one number, or for
registering, opens nothing else); valid for minutes, void after a few wrong tries, used once. Sending is
limited per number (an SMS bomb on someone's phone) and per source address; wrong codes are counted per source
address as failed logins are (LoginFailure, kind "code"), so guessing across many numbers waits too."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import sms
from app.accounts.models import LoginFailure, VerificationCode
from app.accounts.service import wait_if_over
from app.db import utcnow
from app.errors import Invalid, TooManyRequests

PURPOSES = ("register", "reset", "phone_old", "phone_new", "phone_staff")


@dataclass(frozen=True)
class Limits:
    ttl: timedelta = timedelta(minutes=10)
    max_tries: int = 5
    per_number: int = 5
    per_source: int = 20
    window: timedelta = timedelta(minutes=60)

    @classmethod
    def of(cls, config: Any) -> Limits:
        return cls(ttl=timedelta(minutes=config["CODE_TTL_MINUTES"]), max_tries=config["CODE_MAX_TRIES"],
                   per_number=config["CODE_MAX_PER_NUMBER"], per_source=config["CODE_MAX_PER_SOURCE"],
                   window=timedelta(minutes=config["CODE_WINDOW_MINUTES"]))


DEFAULT = Limits()


def _digest(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _throttle_sending(session: Session, phone: str, source: str, limits: Limits, now: datetime) -> None:
    since = now - limits.window
    for column, value, limit in ((VerificationCode.phone, phone, limits.per_number),
                                 (VerificationCode.source, source, limits.per_source)):
        if not value:
            continue
        recent = list(session.scalars(select(VerificationCode.sent_at).where(
            column == value, VerificationCode.sent_at > since).order_by(VerificationCode.sent_at.desc())
            .limit(limit)))
        if len(recent) >= limit:
            wait = recent[limit - 1] + limits.window - now
            minutes = max(1, int(wait.total_seconds() + 59) // 60)
            raise TooManyRequests(_("验证码发送过于频繁，请%(m)d分钟后再试。", m=minutes), code="code_throttled",
                                  retry_after=int(wait.total_seconds()) + 1)


def send(session: Session, *, phone: str, purpose: str, text: Callable[[str], str] | None, source: str = "",
         limits: Limits = DEFAULT, now: datetime | None = None) -> None:
    """Issue a code for `phone` and queue the SMS `text(code)`. With `text` None the number is
    told something else by the caller (an SMS queued there) and the row issued opens nothing, but counts
    towards the limits like any other, so the answer and the cost are the same either way."""
    assert purpose in PURPOSES
    now = now or utcnow()
    source = (source or "")[:64]
    _throttle_sending(session, phone, source, limits, now)
    session.execute(delete(VerificationCode).where(VerificationCode.sent_at <= now - max(limits.window, limits.ttl),
                                                   VerificationCode.phone == phone))
    code = f"{secrets.randbelow(10**6):06d}"
    digest = _digest(phone, purpose, code) if text is not None else secrets.token_hex(32)
    session.add(VerificationCode(phone=phone, purpose=purpose, code_hash=digest, source=source, sent_at=now,
                                 expires_at=now + limits.ttl))
    if text is not None:
        sms.queue(session, phone, text(code))
    session.flush()


def check(session: Session, *, phone: str, purpose: str, code: str, source: str = "", field: str = "code",
          limits: Limits = DEFAULT, now: datetime | None = None) -> None:
    """Use the code or raise Invalid (fields[field]). A wrong code costs a try of the latest code for this number
    and purpose and counts against the source address; the caller commits even when this raises."""
    now = now or utcnow()
    source = (source or "")[:64]
    wait_if_over(session, "code", select(LoginFailure.at).where(LoginFailure.source == source),
                 limits.per_source, limits.window, now)
    latest = session.scalar(select(VerificationCode).where(
        VerificationCode.phone == phone, VerificationCode.purpose == purpose, VerificationCode.used_at.is_(None),
        VerificationCode.expires_at > now).order_by(VerificationCode.id.desc()).limit(1))
    code = (code or "").strip()
    if latest is not None and latest.wrong_tries < limits.max_tries and len(code) == 6 and hmac.compare_digest(
            latest.code_hash, _digest(phone, purpose, code)):
        latest.used_at = now
        session.flush()
        return
    if latest is not None:
        latest.wrong_tries += 1
    session.execute(delete(LoginFailure).where(LoginFailure.source == source, LoginFailure.kind == "code",
                                               LoginFailure.at <= now - limits.window))
    session.add(LoginFailure(phone=phone[:32], source=source, kind="code", at=now))
    session.flush()
    spent = latest is None or latest.wrong_tries >= limits.max_tries
    message = (_("验证码已失效，请重新获取。") if spent else _("验证码不正确。"))
    raise Invalid(message, code="code_wrong", fields={field: message})
