"""A worker's link to their enterprise and their consent (授权), each recorded with its time in the audit log.

The worker links themselves (picking the enterprise by name or code); the enterprise confirms or refuses, since
a link it never confirmed must not draw its subsidy or let it nominate a stranger. Consent is separate and only
the worker's: given, the enterprise sees their progress, credits and certificates; withdrawn, it sees nothing
from that moment (every page reads `consent_at` afresh). Moving to another enterprise clears the consent."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Organisation, OrgKind, User
from app.accounts.policy import require
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from programme.enterprises.models import EnterpriseLink, LinkStatus

STATUS_LABELS = {LinkStatus.requested: _l("待企业确认"), LinkStatus.confirmed: _l("企业已确认"),
                 LinkStatus.refused: _l("企业未确认")}
HISTORY_LABELS = {"enterprise.link": _l("关联企业"), "enterprise.unlink": _l("解除关联"),
                  "enterprise.consent": _l("授权企业查看学习情况"), "enterprise.consent_withdraw": _l("撤回授权"),
                  "enterprise.confirm": _l("企业确认"), "enterprise.refuse": _l("企业未确认")}
SEARCH_MAX = 20


def link_of(session: Session, worker: User) -> EnterpriseLink | None:
    return session.scalar(select(EnterpriseLink).where(EnterpriseLink.user_id == worker.id))


def find_enterprises(session: Session, text: str) -> list[Organisation]:
    """Enterprises whose name contains `text` or whose code is `text` (the worker's picker)."""
    words = text.strip()[:50]
    if not words:
        return []
    pattern = "%" + words.replace("\\", "").replace("%", "").replace("_", "") + "%"
    return list(session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.enterprise,
        or_(Organisation.name.like(pattern), func.upper(Organisation.code) == words.upper()))
        .order_by(Organisation.name).limit(SEARCH_MAX)))


def _enterprise(session: Session, code: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.code == code.strip(),
                                                      Organisation.kind == OrgKind.enterprise))
    if found is None:
        raise Invalid(_("没有这家企业，请按名称搜索后选择。"), code="no_enterprise",
                      fields={"enterprise": _("请选择企业。")})
    return found


def _record(session: Session, actor: Any, action: str, link: EnterpriseLink, **detail: Any) -> None:
    # kept under the worker's id, not the link's: a link is deleted when the worker leaves and a new one made when
    # they link again, and the worker's record must show every one of them
    audit.record(session, actor, action, "enterprise_link", link.user_id, org_id=link.enterprise_id,
                 link=link.id, **detail)


def link(session: Session, worker: User, code: str) -> EnterpriseLink:
    """The worker names their enterprise; a new one (or a refused one again) waits for the enterprise."""
    enterprise = _enterprise(session, code)
    current = link_of(session, worker)
    if current is not None and current.enterprise_id == enterprise.id and current.status != LinkStatus.refused:
        return current
    if current is None:
        current = EnterpriseLink(user_id=worker.id, enterprise_id=enterprise.id)
        session.add(current)
    else:
        current.enterprise_id = enterprise.id
    current.status, current.linked_at, current.decided_at, current.decided_by_id = (
        LinkStatus.requested, utcnow(), None, None)
    current.consent_at = None  # consent was given to the enterprise before, never to this one
    session.flush()
    _record(session, worker, "enterprise.link", current, enterprise=enterprise.code)
    return current


def unlink(session: Session, worker: User) -> None:
    """The worker leaves: the enterprise loses them, their consent with them."""
    current = link_of(session, worker)
    if current is None:
        raise NotFound(_("您还没有关联企业。"))
    _record(session, worker, "enterprise.unlink", current)
    session.delete(current)
    session.flush()


def set_consent(session: Session, worker: User, given: bool) -> EnterpriseLink:
    """Give or withdraw the enterprise's view of the worker's learning; withdrawing takes effect at once."""
    current = link_of(session, worker)
    if current is None:
        raise Conflict(_("请先关联您所在的企业。"), code="not_linked")
    if given and current.consent_at is None:
        current.consent_at = utcnow()
        _record(session, worker, "enterprise.consent", current)
    elif not given and current.consent_at is not None:
        current.consent_at = None
        _record(session, worker, "enterprise.consent_withdraw", current)
    session.flush()
    return current


def decide(session: Session, actor: User, enterprise: Organisation, link_id: int, confirm: bool) -> EnterpriseLink:
    """The enterprise confirms that the worker is theirs, or says they are not."""
    require(actor, "enterprise.manage", enterprise)
    current = session.get(EnterpriseLink, link_id)
    if current is None or current.enterprise_id != enterprise.id:
        raise NotFound(_("没有这条职工关联。"))
    if current.user_id == actor.id:  # a confirmed link draws the enterprise's top-up: never one's own
        raise Forbidden(_("不能确认或否认自己与企业的关联，请由企业的其他工作人员处理。"), code="own_link")
    current.status = LinkStatus.confirmed if confirm else LinkStatus.refused
    current.decided_at, current.decided_by_id = utcnow(), actor.id
    if not confirm:
        current.consent_at = None
    session.flush()
    _record(session, actor, "enterprise.confirm" if confirm else "enterprise.refuse", current)
    return current


def of_enterprise(session: Session, actor: User, enterprise: Organisation,
                  status: LinkStatus | None = None) -> list[EnterpriseLink]:
    """The enterprise's links (its staff only), newest first."""
    require(actor, "enterprise.manage", enterprise)
    query = select(EnterpriseLink).where(EnterpriseLink.enterprise_id == enterprise.id)
    if status is not None:
        query = query.where(EnterpriseLink.status == status)
    return list(session.scalars(query.order_by(EnterpriseLink.linked_at.desc(), EnterpriseLink.id.desc())))


def confirmed_worker(session: Session, enterprise: Organisation, user_id: int) -> User | None:
    """The worker if their link to `enterprise` is confirmed (what nominating and enrolling ask)."""
    found = session.scalar(select(EnterpriseLink).where(EnterpriseLink.enterprise_id == enterprise.id,
                                                        EnterpriseLink.user_id == user_id,
                                                        EnterpriseLink.status == LinkStatus.confirmed))
    return found.user if found is not None else None


def confirmed_ids(enterprise: Organisation) -> Select[int]:
    """`SELECT user_id` of the enterprise's confirmed workers, for `column.in_(...)`."""
    return select(EnterpriseLink.user_id).where(EnterpriseLink.enterprise_id == enterprise.id,
                                                EnterpriseLink.status == LinkStatus.confirmed)


def consenting_ids(enterprise: Organisation) -> Select[int]:
    """`SELECT user_id` of the confirmed workers who share their learning with the enterprise: the only ones whose
    studies any of its checks may count (a yes/no about one who refused tells what they study)."""
    return confirmed_ids(enterprise).where(EnterpriseLink.consent_at.is_not(None))


def history(session: Session, worker: User) -> list[audit.AuditEntry]:
    """The worker's own record of linking and consent, newest first."""
    return audit.entries(session, audit.Filter(target_kind="enterprise_link", target_id=str(worker.id)), limit=50)
