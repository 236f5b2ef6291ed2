"""Accounts that stay with their owner: registration with an SMS code, password reset by code, and moving an
account to a new phone number (both numbers verified by code, or, when the old one is gone, union staff
checking the ID card). Registration and reset answer the same whether a number has an account or not: only
the SMS to that number says which, so nobody learns it without holding the phone."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, sms
from app.accounts import codes, invitations, profiles, service, sessions
from app.accounts.codes import DEFAULT, Limits
from app.accounts.device_cookies import Device
from app.accounts.masking import mask_phone
from app.accounts.models import Organisation, PhoneChangeRequest, User
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.lookup import get_or_raise
from app.text import id_number_form


def _valid_phone(phone: str, field: str = "phone") -> str:
    phone = service.normalise_phone(phone)
    if not service.PHONE_RE.match(phone):
        raise Invalid(_("请输入11位手机号码，以1开头。"), fields={field: _("请输入11位手机号码，以1开头。")})
    return phone


def _owner(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def send_register_code(session: Session, phone: str, *, source: str = "", limits: Limits = DEFAULT,
                       now: datetime | None = None) -> None:
    """"验证码已发送" either way; a number that has an account is told so by SMS, with no code."""
    phone = _valid_phone(phone)
    if _owner(session, phone) is None:
        codes.send(session, phone=phone, purpose="register", source=source, limits=limits, now=now,
                   text=lambda code: _("【求学】注册验证码 %(code)s，%(m)d分钟内有效，请勿告诉他人。", code=code,
                                       m=limits.ttl.seconds // 60))
    else:
        codes.send(session, phone=phone, purpose="register", text=None, source=source, limits=limits, now=now)
        sms.queue(session, phone,
                  _("【求学】此号码已注册求学账号，请直接登录；忘记密码可在登录页点“忘记密码”用验证码重设。"))


def register_with_code(session: Session, *, phone: str, code: str, password: str, source: str = "",
                       referred_by: Organisation | None = None, limits: Limits = DEFAULT,
                       now: datetime | None = None) -> User:
    """A worker's own account: the number proven by its code, a password, nothing else (the profile is asked when
    a programme application needs it)."""
    phone = _valid_phone(phone)
    errors: dict[str, str] = {}
    service._check_password(password, errors)  # before the code is spent
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    codes.check(session, phone=phone, purpose="register", code=code, source=source, limits=limits, now=now)
    return service.register(session, phone=phone, password=password, referred_by=referred_by)


def send_reset_code(session: Session, phone: str, *, source: str = "", limits: Limits = DEFAULT,
                    now: datetime | None = None, device: Device | None = None) -> None:
    """`device`: the asker's device cookie; a known device of the account is not refused for texts others asked
    for (codes._throttle_sending)."""
    phone = _valid_phone(phone)
    if _owner(session, phone) is not None:
        codes.send(session, phone=phone, purpose="reset", source=source, limits=limits, now=now, device=device,
                   text=lambda code: _("【求学】重设密码验证码 %(code)s，%(m)d分钟内有效。如非本人操作请忽略。",
                                       code=code, m=limits.ttl.seconds // 60))
    else:
        codes.send(session, phone=phone, purpose="reset", text=None, source=source, limits=limits, now=now,
                   device=device)  # never a known device of this number (it has no account): answered alike
        sms.queue(session, phone, _("【求学】此号码还没有求学账号，可以直接免费注册。"))


def reset_password(session: Session, *, phone: str, code: str, password: str, source: str = "",
                   limits: Limits = DEFAULT, now: datetime | None = None) -> User:
    """A new password for the holder of the number; every signed-in session of the account ends."""
    phone = _valid_phone(phone)
    errors: dict[str, str] = {}
    service._check_password(password, errors)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    codes.check(session, phone=phone, purpose="reset", code=code, source=source, limits=limits, now=now)
    user = _owner(session, phone)
    if user is None or not user.is_active:  # a code is only ever issued for an active account's number
        raise Invalid(_("验证码不正确。"), code="code_wrong", fields={"code": _("验证码不正确。")})
    user.password_hash = service._hash(password)
    sessions.end_all(session, user, reason="password_reset")
    return user


def _free(session: Session, phone: str, user: User | None = None, field: str = "new_phone") -> None:
    owner = _owner(session, phone)
    if owner is not None and owner is not user:
        message = _("该手机号已被其他账号使用。")
        raise Conflict(message, code="phone_taken", fields={field: message})


def send_change_codes(session: Session, user: User, new_phone: str, *, source: str = "",
                      limits: Limits = DEFAULT, now: datetime | None = None) -> None:
    """A code to the current number and one to the new number: holding both moves the account."""
    new_phone = _valid_phone(new_phone, "new_phone")
    if new_phone == user.phone:
        raise Invalid(_("新号码与当前号码相同。"), fields={"new_phone": _("新号码与当前号码相同。")})
    codes.send(session, phone=user.phone, purpose="phone_old", source=source, limits=limits, now=now,
               text=lambda code: _change_text(code, limits))
    _send_to_new(session, new_phone, "phone_new", user, source, limits, now)


def _change_text(code: str, limits: Limits) -> str:
    return _("【求学】更换手机号验证码 %(code)s，%(m)d分钟内有效，请勿告诉他人。", code=code,
             m=limits.ttl.seconds // 60)


def _send_to_new(session: Session, phone: str, purpose: str, user: User | None, source: str, limits: Limits,
                 now: datetime | None) -> None:
    """The new number's code; a number another account holds is told so by SMS, with no code, and the answer is
    the same "验证码已发送": whether a number is registered is never told to whoever asks (a reviewer counted 60
    numbers in a row from one address)."""
    owner = _owner(session, phone)
    if owner is None or owner is user:
        codes.send(session, phone=phone, purpose=purpose, source=source, limits=limits, now=now,
                   text=lambda code: _change_text(code, limits))
    else:
        codes.send(session, phone=phone, purpose=purpose, text=None, source=source, limits=limits, now=now)
        sms.queue(session, phone, _("【求学】有人想把另一个求学账号改用此号码，未能更改；此号码的账号不受影响。"))


def change_phone(session: Session, user: User, *, new_phone: str, old_code: str, new_code: str,
                 source: str = "", limits: Limits = DEFAULT, now: datetime | None = None) -> None:
    """The account, its credits and certificates stay; only the number it signs in with changes. Every signed-in
    session ends, as when staff move it (the caller starts a new one for this device): whoever signed in with the
    old number (a handset passed on with its SIM, a shared password) must not stay in an account tied to a number
    they never held."""
    new_phone = _valid_phone(new_phone, "new_phone")
    codes.check(session, phone=user.phone, purpose="phone_old", code=old_code, field="old_code", source=source,
                limits=limits, now=now)
    codes.check(session, phone=new_phone, purpose="phone_new", code=new_code, field="new_code", source=source,
                limits=limits, now=now)
    _free(session, new_phone, user)  # after the codes: only the new number's holder learns it was taken since
    _move(session, user, user, new_phone, method="codes")
    sessions.end_all(session, user, reason="phone_changed")


def _move(session: Session, actor: object, user: User, new_phone: str, **detail: object) -> None:
    """The number changes; the old one is told by SMS, so that an account moved by someone else (a staff member who
    approved a stranger's request) does not go unnoticed while its owner still holds that phone. Invitations waiting
    on the old number lapse: they were the owner's, not the next holder's (a lost handset)."""
    old = user.phone
    user.phone = new_phone
    session.flush()
    invitations.lapse_for_number(session, old)
    sms.queue(session, old, _("【求学】您的求学账号已改用手机号 %(new)s 登录，本号码不能再登录。如非本人操作，"
                              "请尽快联系当地工会。", new=mask_phone(new_phone)))
    audit.record(session, actor, "user.phone_change", "user", user.id,
                 org_id=user.profile.union_id if user.profile else None,
                 old=mask_phone(old), new=mask_phone(new_phone), **detail)


def send_staff_change_code(session: Session, new_phone: str, *, source: str = "", limits: Limits = DEFAULT,
                           now: datetime | None = None) -> None:
    """The first step when the old number is gone: prove the new one."""
    _send_to_new(session, _valid_phone(new_phone, "new_phone"), "phone_staff", None, source, limits, now)


def file_staff_change(session: Session, *, old_phone: str, new_phone: str, code: str, source: str = "",
                      limits: Limits = DEFAULT, now: datetime | None = None) -> PhoneChangeRequest | None:
    """A request for union staff: the new number proven by code; the ID card is checked in person.

    Once the new number is proven the answer is the same (None when nothing was filed), so that holding one SIM
    does not tell which old numbers are registered; what happened is told only by SMS to the old number's account."""
    old_phone, new_phone = _valid_phone(old_phone, "old_phone"), _valid_phone(new_phone, "new_phone")
    codes.check(session, phone=new_phone, purpose="phone_staff", code=code, source=source, limits=limits, now=now)
    _free(session, new_phone)
    user = _owner(session, old_phone)
    if user is None or not user.is_active:
        return None  # no account to tell: a number nobody registered is not texted
    if user.profile is None or not user.profile.id_number:
        sms.queue(session, old_phone, _("【求学】有人申请把您的求学账号改用手机号 %(new)s，但账号没有登记身份证号码，"
                                        "工作人员无法核实，申请未能提交。如是本人申请，请联系站点管理员。",
                                        new=mask_phone(new_phone)))
        return None
    request = PhoneChangeRequest(user=user, old_phone=old_phone, new_phone=new_phone)
    session.add(request)
    session.flush()
    # the owner, if they still hold the old phone, can object before staff decide
    sms.queue(session, old_phone, _("【求学】有人申请把您的求学账号改用手机号 %(new)s，工作人员核对身份证后才会更换。"
                                    "如非本人申请，请尽快联系当地工会。", new=mask_phone(new_phone)))
    return request


def pending_requests(session: Session, actor: User) -> list[PhoneChangeRequest]:
    rows = session.scalars(select(PhoneChangeRequest).where(PhoneChangeRequest.status == "pending")
                           .order_by(PhoneChangeRequest.id))
    return [r for r in rows if can(actor, "account.verify_phone", r.user)]


def get_request(session: Session, request_id: int) -> PhoneChangeRequest:
    return get_or_raise(session, PhoneChangeRequest, request_id, _("没有找到这条申请。"))


def identity_hold(session: Session, user: User, now: datetime | None = None) -> str | None:
    """Why the account cannot be moved by ID card now, or None: its name or ID number changed within
    profiles.IDENTITY_HOLD. An ID card checks out against whatever the profile says, so someone who changed the profile
    (at a computer where the owner stayed signed in) must not be able to walk in with their own card."""
    if (held := profiles.identity_hold_days(session, user.id, now)) is None:
        return None
    day, until = held
    return _("该账号登记的姓名或身份证号码于%(day)s更改过，更改后%(n)d天内不能凭身份证更换手机号"
             "（以防他人先改资料再冒领账号）。请于%(until)s以后再办理，或请本人联系站点管理员。",
             day=day, n=profiles.IDENTITY_HOLD.days, until=until)


def decide_staff_change(session: Session, actor: User, request: PhoneChangeRequest, *, approve: bool,
                        id_number: str = "", note: str = "", now: datetime | None = None) -> None:
    """Approve only when the ID card the staff member holds matches the profile and the profile's identity has not
    changed lately (`identity_hold`); every other session of the account ends (whoever has the old phone is signed
    out). Both outcomes are audited."""
    user = request.user
    require(actor, "account.verify_phone", user)
    if request.status != "pending":
        raise Conflict(_("这条申请已经处理过了。"))
    if approve and (held := identity_hold(session, user, now)) is not None:
        raise Conflict(held, code="identity_recent", fields={"id_number": held})
    if approve:
        on_file = id_number_form(user.profile.id_number if user.profile else None)
        typed = id_number_form(id_number)
        if not typed or typed != on_file:
            message = _("身份证号码与账号登记的不一致，不能更换。")
            raise Invalid(message, code="id_mismatch", fields={"id_number": message})
        _free(session, request.new_phone, user)
        _move(session, actor, user, request.new_phone, method="staff", request=request.id)
        sessions.end_all(session, user, reason="phone_changed")
    else:
        audit.record(session, actor, "user.phone_change_refused", "user", user.id,
                     org_id=user.profile.union_id if user.profile else None, request=request.id)
    request.status = "approved" if approve else "refused"
    request.decided_at, request.decided_by_id, request.note = utcnow(), actor.id, (note or "")[:500]
    session.flush()
