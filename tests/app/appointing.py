"""Appointing as the pages do it now: the organisation invites a number, its holder accepts (the appointment is made
then, as the inviter, every check run again). For tests that need someone appointed through the services."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.accounts import invitations
from app.accounts.models import Membership, Organisation, Role, StaffInvitation, User
from app.extensions import db
from tests.conftest import post_form


def appointed(actor: Any, org: Organisation, phone: str, role: Role, org_admin: bool = False) -> Membership:
    invitation = invitations.invite_staff(db.session, actor, org=org, phone=phone, role=role, org_admin=org_admin)
    return invitations.accept(db.session, holder(invitation.phone), invitation.id)  # type: ignore[return-value]


def holder(phone: str) -> User:
    found = db.session.scalar(select(User).where(User.phone == phone))
    assert found is not None, phone
    return found


def accepted(invitation: StaffInvitation) -> object:
    """The holder of the invited number accepts (a desk invitation, as programme.voice.point_desk.name_staff sends)."""
    return invitations.accept(db.session, holder(invitation.phone), invitation.id)


def accept_invitation(client: Any, decision: str = "accept") -> Any:
    """The signed-in person answers the first invitation on their account page, as they would."""
    page = client.get("/me").get_data(as_text=True)
    found = re.search(r'action="(/orgs/invitations/\d+)"', page)
    assert found, "no invitation on the account page"
    answered = post_form(client, found.group(1), {"decision": decision}, source="/me")
    assert answered.status_code == 302, answered.get_data(as_text=True)
    return answered
