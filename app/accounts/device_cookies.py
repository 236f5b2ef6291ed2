"""Device cookies (OWASP: "slow down online guessing attacks with device cookies"). A browser where an account signed
in keeps a long-lived cookie naming it: the user id, the account's session_version then, and a random nonce, signed
with the app's secret key. Logins and SMS codes asked for from such a device are counted apart from everyone else's:
failures and texts a guesser runs up on a number from elsewhere (the account-wide lockout, the number's hourly
ceiling) never refuse the owner's own phone or computer. The device has its own small allowance instead: failed
logins as one address has (then it waits, as OWASP's lockout list of device cookies), Limits.per_device texts (then
it asks as a stranger). Nothing is stored but those counts: LoginFailure and VerificationCode rows whose source is
the device's `marker` instead of an address. A password change or reset, 退出所有设备 or a new number moves
session_version on, and every device cookie signed before stops counting; another account's cookie, or one not
signed by us, counts for nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User

COOKIE = "qiuxue_device"
PREFIX = "device:"  # the `source` of a device's rows; an address never starts so
KEEP = timedelta(days=365)  # a worker may sign in again only months later, from the same phone
_SALT = "qiuxue.device-cookie"


@dataclass(frozen=True)
class Device:
    """What a validly signed device cookie says; whether it counts for an account is `of_account`'s to decide."""

    user_id: int
    epoch: int  # the account's session_version when the cookie was signed
    nonce: str

    @property
    def marker(self) -> str:
        return PREFIX + self.nonce


def _serializer() -> URLSafeTimedSerializer:
    config = current_app.config  # old keys still read, as Flask's session does (newest last)
    return URLSafeTimedSerializer([*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]], salt=_SALT)


def sign(user_id: int, epoch: int) -> str:
    return str(_serializer().dumps([user_id, epoch, secrets.token_urlsafe(12)]))


def read(value: str | None) -> Device | None:
    """The device a cookie value names, or None: absent, not signed with our key, too old or malformed."""
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=int(KEEP.total_seconds()))
    except BadData:
        return None
    if (not isinstance(data, list) or len(data) != 3 or not all(isinstance(v, int) for v in data[:2])
            or not isinstance(data[2], str) or not 0 < len(data[2]) <= 32):
        return None
    return Device(user_id=data[0], epoch=data[1], nonce=data[2])


def of_account(device: Device | None, user: User | None) -> str | None:
    """The device's marker when it is a known device of `user` (signed for this account since its last password
    change, reset or 退出所有设备); else None."""
    if device is None or user is None or not user.is_active:
        return None
    return device.marker if (device.user_id, device.epoch) == (user.id, user.session_version) else None


def of_number(session: Session, device: Device | None, phone: str) -> str | None:
    """`of_account` for the account holding `phone` (None for a number without one)."""
    if device is None:
        return None
    return of_account(device, session.scalar(select(User).where(User.phone == phone)))


# Flask glue for the login and reset views.

def presented() -> Device | None:
    return read(request.cookies.get(COOKIE))


def give(user: User) -> None:
    """After a successful sign-in: this browser's answer carries a new device cookie for `user` (only an answer that
    went through: a failed commit must not leave a cookie for a session_version that was rolled back). Sent to /auth
    only (login, reset, register): no other request carries it, so no page cache is split by it."""
    value = sign(user.id, user.session_version)

    @after_this_request
    def set_cookie(response: Response) -> Response:
        if response.status_code < 400:
            response.set_cookie(COOKIE, value, max_age=int(KEEP.total_seconds()), path=request.script_root + "/auth",
                                secure=bool(current_app.config["SESSION_COOKIE_SECURE"]), httponly=True,
                                samesite="Lax")
        return response
