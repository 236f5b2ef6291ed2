"""Nominations (生源发动、推荐组织): an enterprise recommends its confirmed workers for one offering of the year's
menu. A nomination does not apply for anyone: the worker sees it on their programme page with the offering to
apply to (eligibility and the choice stay theirs), and the county union verifying the worker's application sees
which enterprise recommended them. It gives no priority and skips no check. It lasts while the worker is the
enterprise's confirmed worker: one who unlinked, moved or was refused is not shown as recommended by it (read
afresh, like consent), and the enterprise's own list is only what it did."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.errors import Invalid
from app.sanitize import clean_text
from programme.admissions.models import Application, Offering, OfferingStatus
from programme.enterprises import links
from programme.enterprises.models import EnterpriseLink, LinkStatus, Nomination, NominationStatus

NOTE_MAX = 200


def nominate(session: Session, actor: User, enterprise: Organisation, user_ids: Sequence[int], offering: Offering,
             note: str = "") -> list[Nomination]:
    """Recommend each chosen worker; every one is checked first, and one refused refuses them all."""
    require(actor, "enterprise.manage", enterprise)
    note = clean_text(note)
    errors: dict[str, str] = {}
    if offering.status != OfferingStatus.selected:
        errors["offering"] = _("该项目不在本年度报读目录中。")
    if len(note) > NOTE_MAX:
        errors["note"] = _("推荐理由最多%(n)d字。", n=NOTE_MAX)
    if not user_ids:
        errors["ids"] = _("请先勾选要推荐的职工。")
    workers = []
    for user_id in dict.fromkeys(user_ids):
        worker = links.confirmed_worker(session, enterprise, user_id)
        if worker is None:
            errors[f"user-{user_id}"] = _("第%(id)d号职工不是本企业已确认的职工。", id=user_id)
        elif (found := _existing(session, enterprise, user_id, offering)) and found.status == NominationStatus.open:
            errors[f"user-{user_id}"] = _("%(name)s已经推荐过这个项目。", name=worker.name)
        else:
            workers.append(worker)
    if errors:
        raise Invalid(_("推荐没有保存，请按提示修改。"), code="nomination_invalid", fields=errors)
    return [_save(session, actor, enterprise, worker, offering, note) for worker in workers]


def _existing(session: Session, enterprise: Organisation, user_id: int, offering: Offering) -> Nomination | None:
    return session.scalar(select(Nomination).where(Nomination.enterprise_id == enterprise.id,
                                                   Nomination.user_id == user_id,
                                                   Nomination.offering_id == offering.id))


def _save(session: Session, actor: User, enterprise: Organisation, worker: User, offering: Offering,
          note: str) -> Nomination:
    item = _existing(session, enterprise, worker.id, offering)
    if item is None:
        item = Nomination(enterprise_id=enterprise.id, user_id=worker.id, offering_id=offering.id)
        session.add(item)
    item.status, item.note, item.nominated_by_id = NominationStatus.open, note, actor.id
    session.flush()
    audit.record(session, actor, "enterprise.nominate", "nomination", item.id, org_id=enterprise.id,
                 worker=worker.id, offering=offering.id)
    return item


def withdraw(session: Session, actor: User, enterprise: Organisation, nomination_id: int) -> Nomination:
    require(actor, "enterprise.manage", enterprise)
    item = session.get(Nomination, nomination_id)
    if item is None or item.enterprise_id != enterprise.id:
        raise Invalid(_("没有这条推荐。"), code="no_nomination")
    item.status = NominationStatus.withdrawn
    session.flush()
    audit.record(session, actor, "enterprise.nomination_withdraw", "nomination", item.id, org_id=enterprise.id)
    return item


def of_enterprise(session: Session, actor: User, enterprise: Organisation) -> list[Nomination]:
    require(actor, "enterprise.manage", enterprise)
    return list(session.scalars(select(Nomination).where(Nomination.enterprise_id == enterprise.id)
                                .order_by(Nomination.nominated_at.desc(), Nomination.id.desc())))


def _in_effect() -> Select[Nomination]:
    """Open recommendations whose worker the enterprise still confirms as its own (one link a worker)."""
    return select(Nomination).join(EnterpriseLink, and_(EnterpriseLink.user_id == Nomination.user_id,
                                                        EnterpriseLink.enterprise_id == Nomination.enterprise_id,
                                                        EnterpriseLink.status == LinkStatus.confirmed)) \
        .where(Nomination.status == NominationStatus.open)


def for_worker(session: Session, worker: User) -> list[Nomination]:
    """The recommendations in effect the worker has, for their programme page."""
    return list(session.scalars(_in_effect().where(Nomination.user_id == worker.id)
                                .order_by(Nomination.nominated_at.desc())))


def for_application(session: Session, application: Application) -> list[Nomination]:
    """The recommendations in effect behind an application (same worker, same offering): shown to the union."""
    return list(session.scalars(_in_effect().where(Nomination.user_id == application.user_id,
                                                   Nomination.offering_id == application.offering_id)))
