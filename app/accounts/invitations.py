"""Appointments the appointee consents to. An organisation's page appointed any registered number at once, and the
role took things from that person (a union's reviewer made a department's staff was conflicted out of the claims
resting on its records; a learner made an institution's staff could no longer rate its courses nor recover a lost
phone), while the answer told any clerk which numbers are registered. Now the organisation invites whoever holds a
number: sending reads no account, so the answer is the same for every number; the holder sees the invitation (a
message, and on their account page) and the role is granted only when they accept, through service.grant_role
with the inviter as the actor, so every check of the appointment is run again at that moment. Invitations expire,
the inviting side may withdraw them, and each actor may send only so many an hour.

Only the account that held the number when the invitation was sent may answer it (anyone who registers a number
nobody held), and an account moving off its number takes the invitations waiting there with it (they lapse):
a lost handset's next holder registering that number finds nothing to accept. The inviting side sees a declined
or lapsed invitation as it sees one nobody answered, listed until it expires: either had told it the number is
registered (and a decline, on its audit log, who holds it).

Besides staff roles, a package may register a duty of its own (a station's desk: programme.voice.point_desk):
its invitations work the same way, and its `accept` makes the appointment when the holder accepts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app import audit, throttle
from app.accounts.masking import mask_phone
from app.accounts.models import Organisation, OrgKind, Role, StaffInvitation, User
from app.accounts.policy import SYSTEM, Grant, require
from app.accounts.service import _ROLE_ORG_KIND, PHONE_RE, grant_role, normalise_phone
from app.db import hold_row, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications import kinds, notify

STAFF = "staff"  # the duty of a staff role in the organisation (a Membership)
LIFETIME = timedelta(days=14)
SEND_LIMIT, SEND_WINDOW = 30, timedelta(hours=1)  # per inviting account: a township roll-out, not a trawl
# What the inviting side sees as waiting (until it expires): answered "no" and lapsed look like no answer yet.
_WAITING = ("pending", "declined", "lapsed")


@dataclass(frozen=True)
class Duty:
    """A package's own kind of appointment. `accept(session, invitee, invitation, inviter)` runs every check of the
    appointment again as the inviter (raising Forbidden when the inviter may no longer make it) and makes it."""

    label: LazyString | str
    accept: Callable[[Session, User, StaffInvitation, Any], object]


_duties: dict[str, Duty] = {}


def register_duty(name: str, duty: Duty) -> None:
    """Called once per app by the package owning the duty (registering again replaces it)."""
    _duties[name] = duty


def duty_label(invitation: StaffInvitation) -> str:
    duty = _duties.get(invitation.duty)
    return str(duty.label) if duty is not None else ""


def sent_message() -> str:
    """The one answer to every invitation sent, whoever holds the number (or nobody yet)."""
    return _("邀请已发送：对方登录后确认即可生效。")


def invite_staff(session: Session, actor: Any, *, org: Organisation, phone: str, role: Role,
                 org_admin: bool = False, now: datetime | None = None) -> StaffInvitation:
    """Invite whoever holds `phone` to `role` in `org`. Checks what the actor may do, never who holds the number."""
    require(actor, "user.grant_role", Grant(org, role))
    if org.kind not in _ROLE_ORG_KIND.get(role, set()):
        raise Invalid(_("请修改标出的内容。"), fields={"role": _("该角色需要指定对应类型的组织。")})
    org_admin = org_admin and org.kind != OrgKind.union
    if org_admin:  # an organisation's admins are named by a site admin (as service.grant_role)
        require(actor, "admin.site")
    return send(session, actor, org=org, phone=phone, role=role, org_admin=org_admin, now=now)


def send(session: Session, actor: Any, *, org: Organisation, phone: str, duty: str = STAFF,
         duty_id: int | None = None, role: Role | None = None, org_admin: bool = False, label: str = "",
         now: datetime | None = None) -> StaffInvitation:
    """Record an invitation to whoever holds `phone` (the caller has checked the actor may appoint to this duty).
    The actor's own open one for the same appointment is returned as it is: sending twice is one invitation."""
    phone, now = normalise_phone(phone), now or utcnow()
    if not PHONE_RE.match(phone):
        raise Invalid(_("请修改标出的内容。"), fields={"phone": _("请输入11位手机号码，以1开头。")})
    if phone == getattr(actor, "phone", None):  # the actor's own number says nothing they do not know
        raise Forbidden(_("不能任命自己。"), code="self_appointment")
    if getattr(actor, "id", None) is not None:
        throttle.check(session, StaffInvitation.created_at, StaffInvitation.invited_by_id, actor.id, SEND_LIMIT,
                       SEND_WINDOW, now, lambda m: _("发出的邀请太多，请%(m)d分钟后再试。", m=m),
                       "invitation_throttled")
    found = session.scalar(select(StaffInvitation).where(
        _waiting(now), StaffInvitation.organisation_id == org.id, StaffInvitation.phone == phone,
        StaffInvitation.duty == duty, _same(StaffInvitation.duty_id, duty_id), _same(StaffInvitation.role, role),
        StaffInvitation.org_admin.is_(org_admin), _same(StaffInvitation.invited_by_id, getattr(actor, "id", None))))
    if found is not None:
        return found
    holder = session.execute(select(User.id, User.is_active_account).where(User.phone == phone)).first()
    invitation = StaffInvitation(organisation=org, duty=duty, duty_id=duty_id, role=role, org_admin=org_admin,
                                 label=label[:200], phone=phone, invited_by_id=getattr(actor, "id", None),
                                 created_at=now, expires_at=now + LIFETIME, status="pending",
                                 holder_id=holder.id if holder is not None else None)
    session.add(invitation)
    session.flush()
    audit.record(session, actor, "invitation.send", "invitation", invitation.id, org_id=org.id,
                 role=role.value if role else None, org_admin=org_admin, phone=mask_phone(phone), duty=duty)
    if holder is not None and holder.is_active_account:  # someone who registers later finds it on their account page
        notify(session, holder.id, kinds.INVITATION, _("%(where)s邀请你担任工作人员", where=label or org.name), "/me",
               body=_("请在“我的”页面接受或拒绝。"))
    return invitation


def _open(now: datetime) -> ColumnElement[bool]:
    return (StaffInvitation.status == "pending") & (StaffInvitation.expires_at > now)


def _waiting(now: datetime) -> ColumnElement[bool]:
    return StaffInvitation.status.in_(_WAITING) & (StaffInvitation.expires_at > now)


def _addressed_to(user: User) -> ColumnElement[bool]:
    """The user's number, and sent while they held it or while nobody did (not to whoever held it before)."""
    return (StaffInvitation.phone == user.phone) & (
        StaffInvitation.holder_id.is_(None) | (StaffInvitation.holder_id == user.id))


def _same(column: Any, value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value  # type: ignore[no-any-return]


def pending_for(session: Session, user: User, now: datetime | None = None) -> list[StaffInvitation]:
    """The open invitations the user may answer, oldest first."""
    return list(session.scalars(select(StaffInvitation).where(_open(now or utcnow()), _addressed_to(user))
                                .order_by(StaffInvitation.created_at, StaffInvitation.id)))


def pending_at(session: Session, org: Organisation, *, duty: str = STAFF, duty_id: int | None = None,
               now: datetime | None = None) -> list[StaffInvitation]:
    """The invitations of an organisation (or of one of its duties) still waiting as far as it may know, oldest
    first: pages show each with the masked number typed, the same whether anyone holds it, declined or lapsed."""
    return list(session.scalars(select(StaffInvitation).where(
        _waiting(now or utcnow()), StaffInvitation.organisation_id == org.id, StaffInvitation.duty == duty,
        _same(StaffInvitation.duty_id, duty_id)).order_by(StaffInvitation.created_at, StaffInvitation.id)))


def _held(session: Session, invitation_id: int) -> StaffInvitation | None:
    """The invitation, its row held to the end of the transaction (two answers at once are taken one by one)."""
    hold_row(session, StaffInvitation, invitation_id)
    return session.get(StaffInvitation, invitation_id, populate_existing=True)


def _own_open(session: Session, user: User, invitation_id: int, now: datetime) -> StaffInvitation:
    invitation = _held(session, invitation_id)
    if invitation is None or invitation.phone != user.phone or invitation.holder_id not in (None, user.id):
        # another number's, or sent to the account that held this number before: as if there were none
        raise NotFound(_("没有找到这个邀请。"), code="invitation_not_found")
    if invitation.status != "pending" or invitation.expires_at <= now:
        raise Conflict(_("这个邀请已失效（已过期、已撤回或已处理）。"), code="invitation_closed")
    return invitation


def accept(session: Session, user: User, invitation_id: int, now: datetime | None = None) -> object:
    """The holder of the number accepts: the appointment is made now, as the inviter, with every check run again
    (the inviter may have lost the right, the holder may since have become a reviewer the role would conflict)."""
    now = now or utcnow()
    invitation = _own_open(session, user, invitation_id, now)
    # NULL: sent by the operator at the command line (an inviter's account going takes its invitations with it)
    inviter = SYSTEM if invitation.invited_by_id is None else session.get(User, invitation.invited_by_id)
    made: object
    try:
        if invitation.duty == STAFF and invitation.role is not None:
            made = grant_role(session, user, invitation.role, invitation.organisation, actor=inviter,
                              org_admin=invitation.org_admin)
        elif (duty := _duties.get(invitation.duty)) is not None:
            made = duty.accept(session, user, invitation, inviter)
        else:
            raise Conflict(_("这个邀请已失效（已过期、已撤回或已处理）。"), code="invitation_closed")
    except Forbidden:
        raise Conflict(_("发出邀请的人已无权任命，这个邀请已失效。"), code="inviter_not_allowed") from None
    _close(session, user, invitation, "accepted", now)
    audit.record(session, user, "invitation.accept", "invitation", invitation.id, org_id=invitation.organisation_id,
                 role=invitation.role.value if invitation.role else None, duty=invitation.duty)
    return made


def decline(session: Session, user: User, invitation_id: int, now: datetime | None = None) -> None:
    """The holder says no, and the inviting side is not told: the invitation stays listed to it until it expires,
    and the decline is on the site's log only (on the organisation's it named the holder of a trawled number)."""
    now = now or utcnow()
    invitation = _own_open(session, user, invitation_id, now)
    _close(session, user, invitation, "declined", now)
    audit.record(session, user, "invitation.decline", "invitation", invitation.id, org=invitation.organisation_id,
                 role=invitation.role.value if invitation.role else None, duty=invitation.duty)


def _close(session: Session, user: User, invitation: StaffInvitation, status: str, now: datetime) -> None:
    invitation.status, invitation.decided_at, invitation.user_id = status, now, user.id
    session.flush()


def lapse_for_number(session: Session, phone: str, *, reason: str = "number_moved",
                     now: datetime | None = None) -> int:
    """The account holding `phone` leaves it (moved to a new number, merged away): the invitations waiting on the
    number lapse, so that its next holder (whoever has a lost handset) cannot accept what was meant for the owner.
    The inviting side goes on seeing them as unanswered until they expire (ending them early would tell it the
    number was registered). Returns how many lapsed."""
    waiting = session.scalars(select(StaffInvitation.id).where(StaffInvitation.status == "pending",
                                                               StaffInvitation.phone == phone)).all()
    lapsed = 0
    for invitation_id in waiting:
        invitation = _held(session, invitation_id)  # an answer given meanwhile stands (and this one waits for it)
        if invitation is not None and invitation.status == "pending":
            invitation.status, invitation.decided_at, invitation.lapse_reason = "lapsed", now or utcnow(), reason
            lapsed += 1
    session.flush()
    return lapsed


def withdraw(session: Session, actor: Any, invitation_id: int, *, org: Organisation, duty: str = STAFF,
             duty_id: int | None = None, now: datetime | None = None) -> None:
    """The inviting side takes back an open invitation. A staff invitation: whoever may appoint that role there
    (an admin's seat: a site admin, as it was named); a duty's: the package checks the actor first."""
    invitation = _held(session, invitation_id)
    if invitation is None or (invitation.organisation_id, invitation.duty, invitation.duty_id) != (
            org.id, duty, duty_id):
        raise NotFound(_("没有找到这个邀请。"), code="invitation_not_found")
    if duty == STAFF and invitation.role is not None:
        require(actor, "user.grant_role", Grant(org, invitation.role))
        if invitation.org_admin:
            require(actor, "admin.site")
    # a declined or lapsed one is withdrawn as an unanswered one is: the inviting side cannot tell them apart
    if invitation.status not in _WAITING or invitation.expires_at <= (now or utcnow()):
        raise Conflict(_("这个邀请已失效（已过期、已撤回或已处理）。"), code="invitation_closed")
    invitation.status, invitation.decided_at = "withdrawn", now or utcnow()
    session.flush()
    audit.record(session, actor, "invitation.withdraw", "invitation", invitation.id, org_id=org.id,
                 role=invitation.role.value if invitation.role else None, phone=mask_phone(invitation.phone),
                 duty=duty)
