"""校企合作: a resource written by an institution and an enterprise together. The provider's staff invite the other
organisation (an enterprise for an institution's resource, an institution for an enterprise's); its staff accept;
from then on both are named on the resource page and in its JSON-LD, and both organisations' staff may edit it (the
policy's `resource.edit` asks the accepted co-authors, so every path into editing follows). The provider removes a
co-author, or the co-author leaves; either way its staff lose the resource at once."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import audit, outbox
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from catalog.models import Resource, ResourceCoauthor, ResourceStatus
from catalog.service import ensure_editable

# 校企: the provider's kind -> the kind its co-author must be
PARTNER_KIND = {OrgKind.institution: OrgKind.enterprise, OrgKind.enterprise: OrgKind.institution}


def invite(session: Session, actor: Any, resource: Resource, org_code: str) -> ResourceCoauthor:
    """The provider's staff invite an enterprise (for an institution's resource) or an institution (for an
    enterprise's) by its code."""
    require(actor, "resource.coauthor_invite", resource)
    ensure_editable(resource)  # the names on a submitted or published resource are the ones reviewed
    org = session.scalar(select(Organisation).where(Organisation.code == (org_code or "").strip()))
    wanted = PARTNER_KIND.get(resource.provider.kind)
    if org is None or wanted is None or org.kind != wanted:
        message = _("请填写合作企业的代码。") if wanted == OrgKind.enterprise else _("请填写合作院校的代码。")
        raise Invalid(_("请修改标出的内容。"), fields={"org": message})
    if any(row.org_id == org.id for row in resource.coauthors):
        raise Conflict(_("已经邀请过这个单位了。"), code="already_invited")
    row = ResourceCoauthor(resource=resource, org=org, invited_by_id=getattr(actor, "id", None), invited_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, "resource.coauthor_invite", "resource", resource.id, org_id=org.id)
    return row


def get(session: Session, row_id: int) -> ResourceCoauthor:
    row = session.get(ResourceCoauthor, row_id)
    if row is None:
        raise NotFound(_("没有找到这个合作邀请。"))
    return row


def accept(session: Session, actor: Any, row: ResourceCoauthor) -> ResourceCoauthor:
    """The invited organisation's staff accept: from now on they edit the resource with the provider."""
    require(actor, "resource.coauthor_accept", row)
    ensure_editable(row.resource)
    if row.accepted_at is not None:
        raise Conflict(_("已经接受过了。"), code="already_accepted")
    row.accepted_at, row.accepted_by_id = utcnow(), getattr(actor, "id", None)
    _changed(session, row.resource)
    audit.record(session, actor, "resource.coauthor_accept", "resource", row.resource_id, org_id=row.org_id)
    return row


def remove(session: Session, actor: Any, row: ResourceCoauthor) -> None:
    """The provider removes a co-author (or withdraws an invitation), or the co-author leaves; not while the resource
    waits for review, whose reviewers' conflicts its co-authors decide (a review found a co-author's clerk with a union
    role leaving a submitted course and selecting it). Leaving a published one takes a name off, so it stays open."""
    require(actor, "resource.coauthor_remove", row)
    resource = row.resource
    if resource.status == ResourceStatus.submitted:
        raise Conflict(_("资源正在审核中，暂时不能变更合作单位，请先撤回。"), code="not_editable")
    resource.coauthors.remove(row)
    _changed(session, resource)
    audit.record(session, actor, "resource.coauthor_remove", "resource", resource.id, org_id=row.org_id)


def _changed(session: Session, resource: Resource) -> None:
    """The names on the resource changed: its page, JSON-LD and search document follow."""
    resource.updated_at = utcnow()
    session.flush()
    outbox.emit(session, "resource", resource.id)


def invitations_for(session: Session, orgs: list[Organisation]) -> list[ResourceCoauthor]:
    """Open invitations to these organisations, oldest first (the 我的资源 page shows them to accept)."""
    if not orgs:
        return []
    return list(session.scalars(select(ResourceCoauthor).where(
        ResourceCoauthor.org_id.in_([o.id for o in orgs]), ResourceCoauthor.accepted_at.is_(None))
        .options(selectinload(ResourceCoauthor.resource)).order_by(ResourceCoauthor.invited_at)))
