"""The worker profile: what the programme's eligibility rules need, and the identity (real name, ID number) that
union staff check an ID card against when a worker's old phone is gone. Changing that identity once it is on file
takes the current password, is audited and told to the account, and holds the lost-phone path for a while: a
session left open on a shared computer must not become a way to take the account for good."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from app import audit, events, sms
from app.accounts.models import (
    Education,
    EmployerType,
    JobLevel,
    LoginFailure,
    Organisation,
    OrgKind,
    User,
    WorkerProfile,
)
from app.accounts.policy import require
from app.accounts.service import wait_if_over
from app.db import hold_row, utcnow
from app.errors import DomainError, Invalid
from app.text import has_control_chars, id_number_form, is_id_number
from app.timefmt import DAY, to_local

PROFILE_FIELDS = ("real_name", "id_number", "employer", "job_level", "union_member", "union_code",
                  "contract_start", "contract_end", "employer_type", "education")
IDENTITY_HOLD = timedelta(days=30)  # after an identity change, no account moves to a new number by ID card
IDENTITY_CHANGE = "profile.identity_change"  # its audit action: the log is append-only, so the hold cannot be undone


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


def check_current_password(session: Session, user: User, password: str, errors: dict[str, str], *,
                           field: str = "current_password", now: datetime | None = None) -> None:
    """The 修改密码 form's check and throttle, with the same count (LoginFailure kind "password", per account): whoever
    sits at a computer where the owner stayed signed in gets LOGIN_MAX_FAILURES guesses per LOGIN_WINDOW_MINUTES
    across both forms, not that many on each. Raises TooManyRequests past the limit; a wrong password adds a field
    error and a counted failure (the caller commits it); an empty one only the field error."""
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    hold_row(session, User, user.id)  # guesses sent at one moment are counted one after another
    mine = LoginFailure.phone == user.phone, LoginFailure.kind == "password"
    wait_if_over(session, "password", select(LoginFailure.at).where(*mine), current_app.config["LOGIN_MAX_FAILURES"],
                 window, now)
    if not password:  # nothing guessed: asked for, not counted
        errors[field] = _("修改已登记的姓名或身份证号码，请输入当前密码。")
        return
    if check_password_hash(user.password_hash, password):
        session.execute(delete(LoginFailure).where(*mine))  # the owner: earlier wrong guesses forgiven (as 修改密码)
        return
    errors[field] = _("当前密码不正确。")
    session.execute(delete(LoginFailure).where(*mine, LoginFailure.at <= now - window))  # past rows count nothing
    session.add(LoginFailure(phone=user.phone, kind="password", at=now))
    session.flush()


def _check_identity(session: Session, owner: User, real_name: str, id_number: str, password: str | None,
                    errors: dict[str, str]) -> bool:
    """Whether the name or ID number changes. Once either is on file, changing them takes the current password
    (checked only then: a save of the other fields asks none). Filling them in the first time does not: there was
    nothing to take over, and the change is audited and told to the owner as any other is."""
    profile = owner.profile
    before = (profile.real_name, profile.id_number) if profile is not None else (None, None)
    if (real_name or None, id_number or None) == before:
        return False
    if any(before):
        check_current_password(session, owner, password or "", errors)
    if not errors and profile is not None:
        try:  # e.g. the programme, once a county union has checked the identity its subsidies are paid on
            events.announce(session, events.IDENTITY_CHANGING, owner.id, durable=False)
        except DomainError as err:
            errors.update({field: err.message for field, new in (("real_name", real_name), ("id_number", id_number))
                           if (new or None) != getattr(profile, field)})
    return True


def tell_identity_change(session: Session, owner: User, before: tuple[str | None, str | None],
                         profile: WorkerProfile, *, by: User | None = None, **detail: object) -> None:
    """Audit the identity change (which fields, never the numbers) and tell the owner in the site and by text: if it
    was not them, they know while the hold on the lost-phone path lasts. `by`: who made it, when not the owner (an
    admin's account merge, app.accounts.merge)."""
    changed = [field for field, old in zip(("real_name", "id_number"), before, strict=True)
               if old != getattr(profile, field)]
    audit.record(session, by or owner, IDENTITY_CHANGE, "user", owner.id, org_id=profile.union_id, fields=changed,
                 first=not any(before), **detail)
    events.announce(session, events.IDENTITY_CHANGED, owner.id, durable=False)  # the notifications centre
    sms.queue(session, owner.phone, _("【求学】您的求学账号登记的姓名或身份证号码刚刚被更改。"
                                      "如非本人操作，请立即修改密码并改回，或联系当地工会。"))


def identity_changed_at(session: Session, user_id: int, *, since: datetime | None = None) -> datetime | None:
    """When the account's name or ID number last changed, if that was after `since` (default: within
    IDENTITY_HOLD)."""
    since = since or utcnow() - IDENTITY_HOLD
    return session.scalar(select(audit.AuditEntry.at).where(
        audit.AuditEntry.target_kind == "user", audit.AuditEntry.target_id == str(user_id),
        audit.AuditEntry.action == IDENTITY_CHANGE, audit.AuditEntry.at > since)
        .order_by(audit.AuditEntry.at.desc()).limit(1))



def identity_hold_days(session: Session, user_id: int, now: datetime | None = None) -> tuple[str, str] | None:
    """(the day of the last identity change, the day its hold ends), Beijing, while the account is held; else None."""
    changed = identity_changed_at(session, user_id, since=(now or utcnow()) - IDENTITY_HOLD)
    if changed is None:
        return None
    return to_local(changed).strftime(DAY), to_local(changed + IDENTITY_HOLD).strftime(DAY)

def update_profile(session: Session, actor: User, owner: User, data: dict[str, Any], *,
                   password: str | None = None) -> WorkerProfile:
    """Validate every field, report all problems at once, and change nothing unless all are right. `password` is
    the owner's current one, needed to change a name or ID number on file; a wrong one is counted (the caller
    commits even when this raises Invalid: nothing else was written)."""
    require(actor, "profile.edit", owner)
    errors: dict[str, str] = {}
    real_name = (data.get("real_name") or "").strip()
    if len(real_name) > 50:
        errors["real_name"] = _("姓名最多50个字。")
    elif has_control_chars(real_name):
        errors["real_name"] = _("不能包含控制字符。")
    id_number = id_number_form(data.get("id_number"))
    if id_number:
        if not is_id_number(id_number):
            errors["id_number"] = _("身份证号码不正确：应为18位，最后一位是数字或X，且校验位要对得上。")
        elif _id_holder(session, id_number) not in (None, owner.id):
            errors["id_number"] = _id_taken()
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
    before = (owner.profile.real_name, owner.profile.id_number) if owner.profile is not None else (None, None)
    identity_changes = _check_identity(session, owner, real_name, id_number, password, errors)
    if errors:
        raise Invalid(_("请修改标出的内容，其他内容尚未保存。"), fields=errors)

    try:  # in a savepoint: what the caller wrote before stays when this write alone is refused
        with session.begin_nested():
            profile = owner.profile or WorkerProfile(user=owner)
            session.add(profile)
            profile.real_name = real_name or None
            profile.id_number = id_number or None
            profile.employer = employer or None
            profile.job_level, profile.employer_type, profile.education = job_level, employer_type, education
            profile.union_member, profile.union = union_member, union
            profile.contract_start, profile.contract_end = start, end
            session.flush()
    except IntegrityError:
        # another account saved this number after the check above (two saves at one moment): the unique index
        # refused it, and the answer is the check's own rather than a 500
        if id_number and _id_holder(session, id_number) not in (None, owner.id):
            raise Invalid(_("请修改标出的内容，其他内容尚未保存。"), fields={"id_number": _id_taken()}) from None
        raise
    if identity_changes:
        tell_identity_change(session, owner, before, profile)
    return profile


def _id_holder(session: Session, id_number: str) -> int | None:
    """The account whose profile holds `id_number` (as `id_number_form` gives it), if any."""
    return session.scalar(select(WorkerProfile.user_id).where(WorkerProfile.id_number == id_number))


def _id_taken() -> str:
    return _("该身份证号码已被其他账号使用。")
