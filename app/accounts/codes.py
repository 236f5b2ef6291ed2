"""SMS verification codes: issued, throttled and checked here, sent through app.sms.

Six digits, kept only as a keyed hash bound to the number and the purpose (a code for one number, or for
registering, opens nothing else); valid for minutes, void after a few wrong tries, used once. Sending is
limited per number (an SMS bomb on someone's phone) and per source address; wrong codes are counted per source
address as failed logins are (LoginFailure, kind "code"), so guessing across many numbers waits too. Counting
and writing are serialised (`_serialise`): requests sent at the same moment all counted "under the limit" before
any had written. A send from a known device of the number's account (app.accounts.device_cookies) is counted apart
(`_throttle_sending`): nobody elsewhere can use up the owner's texts."""

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
from sqlalchemy import ColumnElement, Delete, and_, delete, func, select, update
from sqlalchemy.orm import Session

from app import sms
from app.accounts import device_cookies
from app.accounts.device_cookies import Device
from app.accounts.models import LoginFailure, VerificationCode
from app.accounts.service import wait_if_over
from app.db import utcnow
from app.errors import Invalid, TooManyRequests

PURPOSES = ("register", "reset", "phone_old", "phone_new", "phone_staff")


@dataclass(frozen=True)
class Limits:
    ttl: timedelta = timedelta(minutes=10)
    max_tries: int = 5
    per_number: int = 5  # sends to one number from anywhere but its known devices; also from one address to it
    per_source: int = 20
    window: timedelta = timedelta(minutes=60)
    address_share: int = 3  # of one address's sends to a number, how many count towards the number's `per_number`
    per_device: int = 3  # sends from one known device of the number's account (its own allowance)

    @classmethod
    def of(cls, config: Any) -> Limits:
        return cls(ttl=timedelta(minutes=config["CODE_TTL_MINUTES"]), max_tries=config["CODE_MAX_TRIES"],
                   per_number=config["CODE_MAX_PER_NUMBER"], per_source=config["CODE_MAX_PER_SOURCE"],
                   window=timedelta(minutes=config["CODE_WINDOW_MINUTES"]))


DEFAULT = Limits()


def _digest(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


_CODES_LOCK = 0x71786F6465  # PostgreSQL advisory lock key: any fixed number no other lock uses


def _serialise(session: Session, stale: Delete) -> None:
    """Hold the code counters until this transaction ends, so that what is counted and written here comes before the
    next request's count. One lock for every number and address: per-number locks leave the per-address limits racing,
    and a transaction sending two codes (send_change_codes) could deadlock with another taking the same two numbers
    in the other order. On SQLite the `stale` DELETE is that lock: the first write of a transaction takes the database's
    one write lock (pysqlite begins the transaction there), and what is read after it is the last commit. On
    PostgreSQL a transaction-level advisory lock first (each statement after it sees what the previous holder
    committed)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_CODES_LOCK)))
    session.execute(stale)


_BY_DEVICE = VerificationCode.source.startswith(device_cookies.PREFIX)  # rows of sends from known devices


def _refuse(oldest: datetime, limits: Limits, now: datetime) -> TooManyRequests:
    wait = oldest + limits.window - now
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    return TooManyRequests(_("验证码发送过于频繁，请%(m)d分钟后再试。", m=minutes), code="code_throttled",
                           retry_after=int(wait.total_seconds()) + 1)


def _recent(session: Session, since: datetime, limit: int, *where: ColumnElement[bool]) -> list[datetime]:
    """The latest `limit` sends matching `where` after `since`, newest first."""
    return list(session.scalars(select(VerificationCode.sent_at).where(VerificationCode.sent_at > since, *where)
                                .order_by(VerificationCode.sent_at.desc()).limit(limit)))


def _throttle_sending(session: Session, phone: str, source: str, device: Device | None, limits: Limits,
                      now: datetime) -> str:
    """Raise TooManyRequests or return the `source` to record this send under. A known device of the number's
    account sends under its marker, against its own `per_device` (and all its account's devices together against
    `per_number`), whatever strangers ran up; past that it asks as a stranger. A stranger's send counts per address
    (`per_source` across numbers, `per_number` to this number) and towards the number's ceiling `per_number`, to
    which each address adds at most `address_share`: one address alone cannot use up a number's texts."""
    since = now - limits.window
    marker = device_cookies.of_number(session, device, phone)
    if (marker is not None
            and len(_recent(session, since, limits.per_device, VerificationCode.source == marker)) < limits.per_device
            and len(_recent(session, since, limits.per_number, VerificationCode.phone == phone, _BY_DEVICE))
            < limits.per_number):
        return marker
    for limit, where in ((limits.per_source if source else 0, VerificationCode.source == source),
                         (limits.per_number, and_(VerificationCode.phone == phone, VerificationCode.source == source))):
        recent = _recent(session, since, limit, where) if limit else []
        if limit and len(recent) >= limit:
            raise _refuse(recent[-1], limits, now)
    by_address: dict[str, list[datetime]] = {}
    for row in session.execute(select(VerificationCode.source, VerificationCode.sent_at).where(
            VerificationCode.phone == phone, VerificationCode.sent_at > since, ~_BY_DEVICE)):
        by_address.setdefault(row.source, []).append(row.sent_at)
    counted = sorted(at for sent in by_address.values() for at in sorted(sent)[-limits.address_share:])
    if len(counted) >= limits.per_number:  # frees up once enough of the counted sends have aged out
        raise _refuse(counted[len(counted) - limits.per_number], limits, now)
    return source


def send(session: Session, *, phone: str, purpose: str, text: Callable[[str], str] | None, source: str = "",
         limits: Limits = DEFAULT, now: datetime | None = None, device: Device | None = None) -> None:
    """Issue a code for `phone` and queue the SMS `text(code)`. With `text` None the number is
    told something else by the caller (an SMS queued there) and the row issued opens nothing, but counts
    towards the limits like any other, so the answer and the cost are the same either way. `device`: the
    asker's device cookie, if any (it counts only for the account holding `phone`)."""
    assert purpose in PURPOSES
    now = now or utcnow()
    source = (source or "")[:64]
    _serialise(session, delete(VerificationCode).where(
        VerificationCode.sent_at <= now - max(limits.window, limits.ttl), VerificationCode.phone == phone))
    counted_as = _throttle_sending(session, phone, source, device, limits, now)
    code = f"{secrets.randbelow(10**6):06d}"
    digest = _digest(phone, purpose, code) if text is not None else secrets.token_hex(32)
    session.add(VerificationCode(phone=phone, purpose=purpose, code_hash=digest, source=counted_as, sent_at=now,
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
    code = (code or "").strip()
    digest = _digest(phone, purpose, code) if len(code) == 6 else ""
    _serialise(session, delete(LoginFailure).where(LoginFailure.source == source, LoginFailure.kind == "code",
                                                   LoginFailure.at <= now - limits.window))
    wait_if_over(session, "code", select(LoginFailure.at).where(LoginFailure.source == source),
                 limits.per_source, limits.window, now)
    latest = session.execute(select(VerificationCode.id, VerificationCode.code_hash).where(
        VerificationCode.phone == phone, VerificationCode.purpose == purpose, VerificationCode.used_at.is_(None),
        VerificationCode.expires_at > now).order_by(VerificationCode.id.desc()).limit(1)).first()
    tries = None
    if latest is not None:  # conditional UPDATEs: a try counts, and the code is used, only while under the limit
        still_open = update(VerificationCode).where(VerificationCode.id == latest.id,
                                                    VerificationCode.used_at.is_(None),
                                                    VerificationCode.wrong_tries < limits.max_tries)
        if digest and hmac.compare_digest(latest.code_hash, digest) and session.execute(
                still_open.values(used_at=now).returning(VerificationCode.id)).first() is not None:
            session.flush()
            return
        tries = session.scalar(still_open.values(wrong_tries=VerificationCode.wrong_tries + 1)
                               .returning(VerificationCode.wrong_tries))
    session.add(LoginFailure(phone=phone[:32], source=source, kind="code", at=now))
    session.flush()
    spent = tries is None or tries >= limits.max_tries
    message = (_("验证码已失效，请重新获取。") if spent else _("验证码不正确。"))
    raise Invalid(message, code="code_wrong", fields={field: message})
