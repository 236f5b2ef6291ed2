"""Account operations: registration, login with throttling, passwords and staff accounts (worker
profiles: app.accounts.profiles). Each takes a session and plain values, validates everything first, flushes,
and leaves the commit to the caller."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app import audit
from app.accounts import device_cookies, sessions
from app.accounts.device_cookies import Device
from app.accounts.models import (
    LoginFailure,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)
from app.accounts.policy import SYSTEM, Grant, can, require
from app.db import hold_key, hold_row, utcnow
from app.errors import Conflict, Invalid, TooManyRequests
from app.text import has_control_chars

PHONE_RE = re.compile(r"^1[0-9]{10}$")  # ASCII digits: `\d` matches every script's, one number many ways
MIN_PASSWORD = 8


def normalise_phone(phone: str) -> str:
    """Strip spaces, dashes and a +86 prefix, as people type them on a phone keyboard; full-width digits become
    ASCII ones (NFKC), so one number is one account and one set of limits whatever form it was typed in."""
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def _check_phone(phone: str, errors: dict[str, str]) -> None:
    if not PHONE_RE.match(phone):
        errors["phone"] = _("请输入11位手机号码，以1开头。")


def _check_password(password: str, errors: dict[str, str], field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        errors[field] = _("密码至少需要%(n)d个字符。", n=MIN_PASSWORD)


def _check_name(name: str, errors: dict[str, str]) -> None:
    if not name or len(name) > 50:
        errors["name"] = _("请填写称呼（1到50个字）。")
    elif has_control_chars(name):
        errors["name"] = _("不能包含控制字符。")


def _hash(password: str) -> str:
    """scrypt unless configured otherwise; a stored hash names its method, so checks work across changes."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH"])


def default_name(phone: str) -> str:
    """Registration asks no name: others see 学员 and the number's last four digits until the worker sets one."""
    return _("学员%(tail)s", tail=phone[-4:])


def register(session: Session, *, phone: str, password: str, name: str = "",
             referred_by: Organisation | None = None) -> User:
    """A new account. Workers come through continuity.register_with_code (their number verified by SMS);
    staff accounts and the CLI come here directly."""
    phone, name = normalise_phone(phone), (name or "").strip()
    errors: dict[str, str] = {}
    _check_phone(phone, errors)
    _check_password(password, errors)
    if name or "phone" in errors:
        _check_name(name, errors)
    else:
        name = default_name(phone)
    if "phone" not in errors and session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = _("该手机号已注册，请直接登录。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    user = User(phone=phone, name=name, password_hash=_hash(password), referred_by=referred_by)
    session.add(user)
    session.flush()
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no account has this password", method=method)


def wait_if_over(session: Session, kind: str, attempts: Select[datetime], limit: int, window: timedelta,
                 now: datetime) -> None:
    """Raise TooManyRequests when `attempts` (a select of LoginFailure.at) holds `limit` rows of `kind` within
    `window`, saying how long until the oldest of them no longer counts."""
    recent = list(session.scalars(attempts.where(LoginFailure.kind == kind, LoginFailure.at > now - window)
                                  .order_by(LoginFailure.at.desc()).limit(limit)))
    if len(recent) < limit:
        return
    wait = recent[limit - 1] + window - now
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    if kind == "login":
        message, code = _("登录失败次数过多，请%(m)d分钟后再试。", m=minutes), "login_throttled"
    else:
        message, code = _("尝试次数过多，请%(m)d分钟后再试。", m=minutes), f"{kind}_throttled"
    raise TooManyRequests(message, code=code, retry_after=int(wait.total_seconds()) + 1)


_LOGIN_LOCK = 0x6C6F6769  # hold_key's space for a number's failed logins: any fixed 32-bit number no other lock uses


def _wait_if_over_login(session: Session, phone: str, source: str, counted_as: str, max_failures: int,
                        account_failures: int, window: timedelta, now: datetime) -> None:
    """authenticate's throttle: `max_failures` per (number, address or known device), 1 for an address once the
    number has `account_failures` from addresses (devices apart)."""
    allowed = max_failures
    if counted_as == source:
        for_number = select(func.count()).select_from(LoginFailure).where(
            LoginFailure.phone == phone, LoginFailure.kind == "login", LoginFailure.at > now - window,
            ~LoginFailure.source.startswith(device_cookies.PREFIX))
        allowed = 1 if (session.scalar(for_number) or 0) >= account_failures else max_failures
    wait_if_over(session, "login", select(LoginFailure.at).where(
        LoginFailure.phone == phone, LoginFailure.source == counted_as), allowed, window, now)


def authenticate(session: Session, *, phone: str, password: str, source: str = "", max_failures: int = 5,
                 account_failures: int = 50, window: timedelta = timedelta(minutes=15),
                 now: datetime | None = None, device: Device | None = None) -> User:
    """Return the user, or raise. Failures are counted per (number, source address): after `max_failures`
    within `window` that address waits, right password or not, so someone guessing from one address cannot
    lock the owner out from theirs. Guessing from many addresses is slowed by a ceiling per number: past
    `account_failures` within `window`, every address gets one try per window. A known device of the account
    (`device`, its device cookie: app.accounts.device_cookies) counts as an address of its own, apart from that
    ceiling: however many failures guessers elsewhere run up, the owner's own phone keeps its `max_failures`
    tries. Unknown numbers cost the same password check as known ones, and no message says whether the number
    exists.

    Counting and writing are serialised per number, after the password check: guesses sent at the same moment had
    all counted "under the limit" before any had written its failure (as many tries as requests sent at once). The
    check stays outside the lock (on SQLite a write lock for the whole database); a first count before it spares a
    waiting guesser's requests the check's cost."""
    now = now or utcnow()
    phone = normalise_phone(phone)[:32]
    source = source[:64]
    user = session.scalar(select(User).where(User.phone == phone))
    counted_as = device_cookies.of_account(device, user) or source
    limits = (max_failures, account_failures, window, now)
    _wait_if_over_login(session, phone, source, counted_as, *limits)
    stored = user.password_hash if user is not None else _dummy_hash(current_app.config["PASSWORD_HASH"])
    matches = check_password_hash(stored, password or "")  # always one check: timing says nothing
    # held until the commit: on PostgreSQL this number's lock; on SQLite the DELETE, the first write, takes the write
    # lock, and what is counted after it is the last commit (as codes._serialise). Rows past the window count for
    # nothing: dropped here, so guessing does not grow the table for ever (codes count an hour)
    hold_key(session, _LOGIN_LOCK, phone)
    session.execute(delete(LoginFailure).where(LoginFailure.phone == phone, LoginFailure.kind == "login",
                                               LoginFailure.at <= now - window))
    _wait_if_over_login(session, phone, source, counted_as, *limits)  # again: others may have failed meanwhile
    if user is None or not user.is_active or not matches:
        session.add(LoginFailure(phone=phone, source=counted_as, kind="login", at=now))
        session.flush()
        raise Invalid(_("手机号或密码不正确。"), code="login_failed")
    # only this address's (or device's) failures are forgiven: the owner's login must not reset a guesser elsewhere
    session.execute(delete(LoginFailure).where(LoginFailure.phone == phone, LoginFailure.source == counted_as,
                                               LoginFailure.kind == "login"))
    user.last_login_at = now
    session.flush()
    return user


def change_password(session: Session, user: User, *, current: str, new: str, now: datetime | None = None) -> None:
    """Every signed-in session ends (the caller starts a new one for this device). Wrong current passwords count
    as failed logins do (LoginFailure, kind "password", per account): past LOGIN_MAX_FAILURES within
    LOGIN_WINDOW_MINUTES the form waits, right password or not, so whoever sits at a computer where the owner stayed
    signed in cannot guess it without end. The caller commits even when this raises Invalid: the failure counts."""
    now = now or utcnow()
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    hold_row(session, User, user.id)  # guesses sent at one moment are counted one after another
    mine = LoginFailure.phone == user.phone, LoginFailure.kind == "password"
    wait_if_over(session, "password", select(LoginFailure.at).where(*mine), limit, window, now)
    errors: dict[str, str] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current"] = _("当前密码不正确。")
        session.execute(delete(LoginFailure).where(*mine, LoginFailure.at <= now - window))  # past rows: nothing
        session.add(LoginFailure(phone=user.phone, kind="password", at=now))
        session.flush()
    _check_password(new, errors, field="new")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    session.execute(delete(LoginFailure).where(*mine))
    user.password_hash = _hash(new)
    sessions.end_all(session, user, reason="password_changed")


def create_user(session: Session, actor: Any, *, phone: str, name: str, role: Role,
                org: Organisation | None = None, password: str, org_admin: bool = False) -> User:
    """Create an account holding `role` (staff accounts made by admins, unions or the CLI)."""
    if role not in (Role.worker, Role.admin):
        require(actor, "user.grant_role", Grant(org, role))
    errors: dict[str, str] = {}
    if role in _ROLE_ORG_KIND and (org is None or org.kind not in _ROLE_ORG_KIND[role]):
        errors["org"] = _("该角色需要指定对应类型的组织。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    user = register(session, phone=phone, password=password, name=name)
    if role != Role.worker:
        grant_role(session, user, role, None if role == Role.admin else org, actor=actor, org_admin=org_admin)
    return user


_ROLE_ORG_KIND = {
    Role.union_staff: {OrgKind.union, OrgKind.education_dept, OrgKind.hr_dept},
    Role.institution_staff: {OrgKind.institution},
    Role.enterprise_staff: {OrgKind.enterprise},
}


# Appointing someone by phone number (pages, the API) is an invitation they accept: app.accounts.invitations.


def revoke_staff(session: Session, actor: Any, membership: Membership) -> None:
    require(actor, "user.grant_role", Grant(membership.organisation, membership.role, membership.user))
    if membership.is_admin:  # named by a site admin, removed by one: an admin they made could remove them
        require(actor, "admin.site")
    audit.record(session, actor, "role.revoke", "user", membership.user_id, org_id=membership.organisation_id,
                 role=membership.role.value, org_admin=membership.is_admin)
    session.delete(membership)
    session.flush()


def staff_of(session: Session, org: Organisation) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.organisation_id == org.id)
                                .order_by(Membership.created_at)))


REVIEWING_KINDS = frozenset({OrgKind.union, OrgKind.education_dept, OrgKind.hr_dept})


def _reviewer_moved_in(user: User, org: Organisation | None) -> bool:
    """Whether `user` reviews or verifies (staff of a union or department) and `org` lies outside their own union
    line (the unions above and below one they staff): an institution or enterprise that appointed its union's
    reviewer as its own staff had conflicted them out of every one of its courses, declarations and claims
    (policy.CONFLICTS), choosing who reviews it; a department, itself a reviewing kind and so never looked at, did
    the same with every claim resting on a record it sent (claim_checks._makers: all of its staff)."""
    reviewing = [m.organisation for m in user.memberships
                 if m.organisation is not None and m.organisation.kind in REVIEWING_KINDS]
    return org is not None and bool(reviewing) and not (org.kind == OrgKind.union and any(
        own.kind == OrgKind.union and (org.is_within(own) or own.is_within(org)) for own in reviewing))


def grant_role(session: Session, user: User, role: Role, org: Organisation | None, *, actor: Any = SYSTEM,
               org_admin: bool = False) -> Membership:
    """Every appointment comes here: the policy decides (site admins only for `admin`), the audit log keeps it.
    `org_admin` makes the person an administrator of `org` too (never meaningful for a union). The actor is the
    operator unless given (the CLI, the demo data); pages and the API invite (app.accounts.invitations), and the
    invitee's acceptance comes here with the inviter as the actor, every check run again then."""
    if role == Role.admin:
        require(actor, "admin.site")
    else:
        require(actor, "user.grant_role", Grant(org, role, user))
    org_admin = org_admin and org is not None and org.kind != OrgKind.union
    if org_admin:  # an organisation's admins are named by a site admin (docs/security.md), not by each other
        require(actor, "admin.site")
    if any(m.role == role and m.organisation_id == (org.id if org else None) for m in user.memberships):
        raise Conflict(_("该用户已拥有此角色。"))
    if _reviewer_moved_in(user, org) and not can(actor, "admin.site"):
        raise Conflict(_(
            "这位用户是工会或主管部门的工作人员，任命到本单位会使其不能再审核本单位，只能由站点管理员任命。"),
            code="reviewer_appointment")
    membership = Membership(user=user, role=role, organisation=org, is_admin=org_admin)
    session.add(membership)
    session.flush()
    audit.record(session, actor, "role.grant", "user", user.id, org_id=org.id if org else None,
                 role=role.value, org_admin=org_admin)
    return membership


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
