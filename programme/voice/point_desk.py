"""Staff accounts of a station or point (item 2): the point's union invites people by phone number to be its staff,
and they are once they accept (app.accounts.invitations: naming says nothing about who is registered); on the
point's desk they see the enquiries of the point's area (the union's own and those of the townships below it),
oldest unanswered first with how long each has waited, and answer them. That is all they may do: they are not
union staff, so they cannot edit the point, verify applications or see another point's queue, and removing them
ends it at once. Teaching and exam points (an enterprise's) have no enquiry desk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.accounts import invitations
from app.accounts.models import Organisation, StaffInvitation, User
from app.accounts.policy import require
from app.errors import Conflict, NotFound
from programme.network.models import UNION_KINDS, PointStaff, ServicePoint
from programme.voice import enquiries
from programme.voice.models import Enquiry

QUEUE_SIZE = 50


@dataclass(frozen=True)
class PointEnquiry:
    """The target of "service_point.answer": an enquiry, answered at this point's desk."""

    point: ServicePoint
    enquiry: Enquiry


DUTY = "service_point"  # the invitations' duty: a seat at this point's desk (duty_id: the ServicePoint)


def name_staff(session: Session, actor: Any, point: ServicePoint, phone: str) -> StaffInvitation:
    """The point's union (or those above) invites whoever holds `phone` to the point's desk: the same answer for
    every number (a registered user's name listed at once had told any clerk who is registered)."""
    require(actor, "service_point.manage", point.org)
    if point.kind not in UNION_KINDS:
        raise Conflict(_("教学点、考试点没有咨询台，不需要指定工作人员。"), code="not_a_service_point")
    return invitations.send(session, actor, org=point.org, phone=phone, duty=DUTY, duty_id=point.id,
                            label=point.name)


def _seat(session: Session, user: User, invitation: StaffInvitation, inviter: Any) -> PointStaff:
    """The invitee accepted: seated now, as the inviter, every check of naming run again."""
    point = session.get(ServicePoint, invitation.duty_id or 0)
    if point is None:
        raise NotFound(_("没有找到这个服务站（点）。"))
    require(inviter, "service_point.manage", point.org)
    if point.kind not in UNION_KINDS:
        raise Conflict(_("教学点、考试点没有咨询台，不需要指定工作人员。"), code="not_a_service_point")
    if any(row.user_id == user.id for row in point.staff):
        raise Conflict(_("此人已经是这里的工作人员。"), code="already_staff")
    row = PointStaff(point=point, user=user, named_by_id=getattr(inviter, "id", None))
    session.add(row)
    session.flush()
    audit.record(session, inviter, "service_point.staff_add", "service_point", point.id, org_id=point.org_id,
                 user_id=user.id)
    return row


def register_duty() -> None:
    """Called when the app registers the staff pages: invitations to a desk are accepted through `_seat`."""
    invitations.register_duty(DUTY, invitations.Duty(label=_l("服务站（点）咨询台工作人员"), accept=_seat))


def invited(session: Session, point: ServicePoint) -> list[StaffInvitation]:
    """The point's open invitations (its staff page lists them with the masked number typed)."""
    return invitations.pending_at(session, point.org, duty=DUTY, duty_id=point.id)


def withdraw_invitation(session: Session, actor: Any, point: ServicePoint, invitation_id: int) -> None:
    require(actor, "service_point.manage", point.org)
    invitations.withdraw(session, actor, invitation_id, org=point.org, duty=DUTY, duty_id=point.id)


def remove_staff(session: Session, actor: Any, point: ServicePoint, staff_id: int) -> None:
    require(actor, "service_point.manage", point.org)
    row = next((r for r in point.staff if r.id == staff_id), None)
    if row is None:
        raise NotFound(_("没有找到这位工作人员。"))
    point.staff.remove(row)
    session.flush()
    audit.record(session, actor, "service_point.staff_remove", "service_point", point.id, org_id=point.org_id,
                 user_id=row.user_id)


def points_of(session: Session, user: User) -> list[ServicePoint]:
    """The open stations and points this user is staff of (their desks)."""
    return list(session.scalars(select(ServicePoint).join(PointStaff).where(
        PointStaff.user_id == user.id, ServicePoint.active.is_(True)).order_by(ServicePoint.name)))


def desk_point(session: Session, actor: Any, point_id: int) -> ServicePoint:
    point = session.get(ServicePoint, point_id)
    if point is None:
        raise NotFound(_("没有找到这个服务站（点）。"))
    require(actor, "service_point.desk", point)
    return point


def queue(session: Session, actor: Any, point: ServicePoint, *, answered: bool = False) -> list[Enquiry]:
    """The enquiries of the point's area: unanswered ones oldest first (what waits longest comes first), or the
    latest answered ones."""
    require(actor, "service_point.desk", point)
    query = select(Enquiry).join(Enquiry.org).where(Organisation.path.startswith(point.area.path))
    if answered:
        query = query.where(Enquiry.answer.is_not(None)).order_by(Enquiry.answered_at.desc(), Enquiry.id.desc())
    else:
        query = query.where(Enquiry.answer.is_(None)).order_by(Enquiry.created_at, Enquiry.id)
    return list(session.scalars(query.limit(QUEUE_SIZE)))


def enquiry_at(session: Session, actor: Any, point: ServicePoint, enquiry_id: int) -> Enquiry:
    """One enquiry of the point's area; any other is "not found" (never revealing another area's questions)."""
    enquiry = session.get(Enquiry, enquiry_id)
    require(actor, "service_point.desk", point)
    if enquiry is None or not enquiry.org.is_within(point.area):
        raise NotFound(_("没有找到这条咨询。"))
    return enquiry


def answer(session: Session, actor: Any, point: ServicePoint, enquiry: Enquiry, text: str) -> Enquiry:
    """A desk answers what nobody has answered yet (checked in the write itself, so two desks answering at once
    cannot both pass): a volunteer replaced the county union's answer before."""
    require(actor, "service_point.answer", PointEnquiry(point, enquiry))
    return enquiries.write_answer(session, actor, enquiry, text, first_only=True)
