"""Account operations: registration, login with throttling, passwords, staff accounts and
worker profiles. Each takes a session and plain values, validates everything first, flushes,
and leaves the commit to the caller."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import (
    Education,
    EmployerType,
    JobLevel,
    LoginFailure,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
    WorkerProfile,
)
from app.accounts.policy import require
from app.db import utcnow
from app.errors import Conflict, Invalid, TooManyRequests
from app.text import has_control_chars

PHONE_RE = re.compile(r"^1\d{10}$")
MIN_PASSWORD = 8


def normalise_phone(phone: str) -> str:
    """Strip spaces, dashes and a +86 prefix, as people type them on a phone keyboard."""
    digits = re.sub(r"[\s\-]", "", phone or "")
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


def register(session: Session, *, phone: str, password: str, name: str,
             referred_by: Organisation | None = None) -> User:
    phone, name = normalise_phone(phone), (name or "").strip()
    errors: dict[str, str] = {}
    _check_phone(phone, errors)
    _check_password(password, errors)
    _check_name(name, errors)
    if "phone" not in errors and session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = _("该手机号已注册，请直接登录。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    user = User(phone=phone, name=name, password_hash=_hash(password), referred_by=referred_by)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, phone: str, password: str, max_failures: int = 5,
                 window: timedelta = timedelta(minutes=15), now: datetime | None = None) -> User:
    """Return the user, or raise. After `max_failures` failures for a number within `window`, every
    attempt waits, right password or not, and the message never says whether the number exists."""
    now = now or utcnow()
    phone = normalise_phone(phone)
    recent = select(LoginFailure.at).where(LoginFailure.phone == phone, LoginFailure.at > now - window)
    failures = list(session.scalars(recent.order_by(LoginFailure.at)))
    if len(failures) >= max_failures:
        wait = failures[-max_failures] + window - now
        minutes = max(1, int(wait.total_seconds() + 59) // 60)
        raise TooManyRequests(_("登录失败次数过多，请%(m)d分钟后再试。", m=minutes),
                              code="login_throttled", retry_after=int(wait.total_seconds()) + 1)
    user = session.scalar(select(User).where(User.phone == phone))
    if user is None or not user.is_active or not check_password_hash(user.password_hash, password or ""):
        session.add(LoginFailure(phone=phone[:32], at=now))
        session.flush()
        raise Invalid(_("手机号或密码不正确。"), code="login_failed")
    session.execute(delete(LoginFailure).where(LoginFailure.phone == phone))
    user.last_login_at = now
    session.flush()
    return user


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    errors: dict[str, str] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current"] = _("当前密码不正确。")
    _check_password(new, errors, field="new")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    user.password_hash = _hash(new)
    user.session_version += 1  # other devices are logged out
    session.flush()


def create_user(session: Session, actor: Any, *, phone: str, name: str, role: Role,
                org: Organisation | None = None, password: str) -> User:
    """Create an account holding `role` (staff accounts made by admins, unions or the CLI)."""
    if role != Role.worker:
        require(actor, "user.grant_role", (org, role))
    errors: dict[str, str] = {}
    if role in _ROLE_ORG_KIND and (org is None or org.kind not in _ROLE_ORG_KIND[role]):
        errors["org"] = _("该角色需要指定对应类型的组织。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    user = register(session, phone=phone, password=password, name=name)
    if role != Role.worker:
        grant_role(session, user, role, org)
    return user


_ROLE_ORG_KIND = {
    Role.union_staff: {OrgKind.union},
    Role.institution_staff: {OrgKind.institution},
    Role.enterprise_staff: {OrgKind.enterprise},
}


def appoint_staff(session: Session, actor: Any, *, org: Organisation, phone: str, role: Role) -> Membership:
    """Give a registered user a staff role in `org` (the person registers first, then is appointed)."""
    require(actor, "user.grant_role", (org, role))
    phone = normalise_phone(phone)
    errors: dict[str, str] = {}
    user = session.scalar(select(User).where(User.phone == phone)) if PHONE_RE.match(phone) else None
    if user is None:
        errors["phone"] = _("没有找到用这个手机号注册的用户，请对方先注册。")
    if org.kind not in _ROLE_ORG_KIND.get(role, set()):
        errors["role"] = _("该角色需要指定对应类型的组织。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    assert user is not None
    return grant_role(session, user, role, org)


def revoke_staff(session: Session, actor: Any, membership: Membership) -> None:
    require(actor, "user.grant_role", (membership.organisation, membership.role))
    session.delete(membership)
    session.flush()


def staff_of(session: Session, org: Organisation) -> list[Membership]:
    return list(session.scalars(select(Membership).where(Membership.organisation_id == org.id)
                                .order_by(Membership.created_at)))


def grant_role(session: Session, user: User, role: Role, org: Organisation | None) -> Membership:
    if any(m.role == role and m.organisation_id == (org.id if org else None) for m in user.memberships):
        raise Conflict(_("该用户已拥有此角色。"))
    membership = Membership(user=user, role=role, organisation=org)
    session.add(membership)
    session.flush()
    return membership


# ---- worker profile -------------------------------------------------------------------------

PROFILE_FIELDS = ("real_name", "id_number", "employer", "job_level", "union_member", "union_code",
                  "contract_start", "contract_end", "employer_type", "education")


def _parse_date(value: str, field: str, errors: dict[str, str]) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("日期格式应为 年-月-日，例如 2025-09-01。")
        return None


def _parse_choice(enum_type: Any, value: str, field: str, errors: dict[str, str]) -> Any:
    if not value:
        return None
    try:
        return enum_type(value)
    except ValueError:
        errors[field] = _("请从列表中选择。")
        return None


def update_profile(session: Session, actor: User, owner: User, data: dict[str, Any]) -> WorkerProfile:
    """Validate every field, report all problems at once, and change nothing unless all are right."""
    require(actor, "profile.edit", owner)
    errors: dict[str, str] = {}
    real_name = (data.get("real_name") or "").strip()
    if len(real_name) > 50:
        errors["real_name"] = _("姓名最多50个字。")
    elif has_control_chars(real_name):
        errors["real_name"] = _("不能包含控制字符。")
    id_number = (data.get("id_number") or "").strip().upper()
    if id_number:
        if not ric.is_valid(id_number) or len(id_number) != 18:
            errors["id_number"] = _("身份证号码不正确：应为18位，最后一位是数字或X，且校验位要对得上。")
        else:
            other = session.scalar(select(WorkerProfile.user_id).where(WorkerProfile.id_number == id_number))
            if other is not None and other != owner.id:
                errors["id_number"] = _("该身份证号码已被其他账号使用。")
    employer = (data.get("employer") or "").strip()
    if len(employer) > 200:
        errors["employer"] = _("单位名称最多200个字。")
    elif has_control_chars(employer):
        errors["employer"] = _("不能包含控制字符。")
    job_level = _parse_choice(JobLevel, data.get("job_level", ""), "job_level", errors)
    employer_type = _parse_choice(EmployerType, data.get("employer_type", ""), "employer_type", errors)
    education = _parse_choice(Education, data.get("education", ""), "education", errors)
    union_member = bool(data.get("union_member"))
    union = None
    union_code = (data.get("union_code") or "").strip()
    if union_code:
        union = session.scalar(select(Organisation).where(
            Organisation.code == union_code, Organisation.kind == OrgKind.union))
        if union is None:
            errors["union_code"] = _("请选择您所在的工会。")
    elif union_member:
        errors["union_code"] = _("是工会会员时，请选择所在工会。")
    start = _parse_date(data.get("contract_start", ""), "contract_start", errors)
    end = _parse_date(data.get("contract_end", ""), "contract_end", errors)
    if start and end and end < start:
        errors["contract_end"] = _("合同结束日期不能早于开始日期。")
    if end and not start and "contract_start" not in errors:
        errors["contract_start"] = _("填写了结束日期时，请同时填写开始日期。")
    if errors:
        raise Invalid(_("请修改标出的内容，其他内容尚未保存。"), fields=errors)

    profile = owner.profile or WorkerProfile(user=owner)
    session.add(profile)
    profile.real_name = real_name or None
    profile.id_number = id_number or None
    profile.employer = employer or None
    profile.job_level, profile.employer_type, profile.education = job_level, employer_type, education
    profile.union_member, profile.union = union_member, union
    profile.contract_start, profile.contract_end = start, end
    session.flush()
    return profile


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0
