"""Supervision notices (督办): a union sends one to a lagging unit below it about a plan year, with a date to
answer by; the unit's own staff answer in the site (once), and both sides see the exchange. The receiving
unit's unanswered notices are a queue on its staff desk."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app import audit, notifications
from app.accounts.models import Membership, Organisation, Role
from app.accounts.policy import can, is_admin, orgs_for, require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.notifications.kinds import SUPERVISION
from app.timefmt import beijing_today
from programme.admissions import plans
from programme.admissions.models import Plan
from programme.reporting.models import Supervision

MAX_TEXT = 2000


def _text(raw: str, field: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise Invalid(_("请填写内容。"), fields={field: _("请填写此项。")})
    if len(text) > MAX_TEXT:
        raise Invalid(_("内容过长。"), fields={field: _("最多%(n)d字。", n=MAX_TEXT)})
    return text


def _sender(session: Session, actor: Any, to_org: Organisation) -> Organisation:
    """The actor's own union nearest above `to_org` (an admin without one sends as the province)."""
    above = [o for o in orgs_for(actor, Role.union_staff) if o.id != to_org.id and to_org.is_within(o)]
    if above:
        return max(above, key=lambda o: len(o.path))
    if is_admin(actor):
        return plans.province(session)
    raise NotFound(_("找不到您所在的上级工会。"))


def send(session: Session, actor: Any, plan: Plan, to_org: Organisation, text: str,
         due_on: date | None) -> Supervision:
    require(actor, "performance.manage", to_org)
    body = _text(text, "text")
    if due_on is None or due_on < beijing_today():
        raise Invalid(_("请填写今天或以后的回复期限。"), fields={"due_on": _("日期有误")})
    notice = Supervision(plan_id=plan.id, from_org_id=_sender(session, actor, to_org).id, to_org_id=to_org.id,
                         text=body, due_on=due_on, sent_by_id=actor.id, sent_at=utcnow(), answer="")
    session.add(notice)
    session.flush()
    audit.record(session, actor, "supervision.send", "supervision", notice.id, org_id=to_org.id, year=plan.year)
    title = _("督办：请于%(d)s前回复", d=due_on.isoformat())
    for staff_id in session.scalars(select(Membership.user_id).where(
            Membership.organisation_id == to_org.id, Membership.role == Role.union_staff).distinct()):
        notifications.notify(session, staff_id, SUPERVISION, title, f"/supervision/{notice.id}")
    return notice


def get(session: Session, actor: Any, notice_id: int) -> Supervision:
    """A notice its receiver's staff or a union above the receiver may read; others get NotFound."""
    notice = session.get(Supervision, notice_id)
    if notice is None or not (can(actor, "performance.answer", notice) or can(actor, "report.view", notice.to_org)):
        raise NotFound(_("没有这条督办。"))
    return notice


def answer(session: Session, actor: Any, notice: Supervision, text: str) -> Supervision:
    """The receiving unit's answer, once: of two clerks answering at once, the second is told rather than replacing
    the first's answer unseen."""
    require(actor, "performance.answer", notice)
    body = _text(text, "answer")
    done = cast(CursorResult[Any], session.execute(
        update(Supervision).where(Supervision.id == notice.id, Supervision.answered_at.is_(None))
        .values(answer=body, answered_by_id=actor.id, answered_at=utcnow())
        .execution_options(synchronize_session=False))).rowcount
    session.refresh(notice)
    if done != 1:
        raise Conflict(_("这条督办已经回复过了。"), code="already_answered")
    audit.record(session, actor, "supervision.answer", "supervision", notice.id, org_id=notice.to_org_id)
    if notice.sent_by_id is not None:
        notifications.notify(session, notice.sent_by_id, SUPERVISION, _("督办已回复"), f"/supervision/{notice.id}")
    return notice


def received(session: Session, actor: Any, open_only: bool = False) -> list[Supervision]:
    """Notices to the unions the actor is staff of, the oldest unanswered first."""
    own = [o.id for o in orgs_for(actor, Role.union_staff)]
    if not own:
        return []
    query = select(Supervision).where(Supervision.to_org_id.in_(own))
    if open_only:
        query = query.where(Supervision.answered_at.is_(None))
    return list(session.scalars(query.order_by(Supervision.answered_at.is_not(None), Supervision.sent_at)))


def sent_below(session: Session, actor: Any, org: Organisation, plan: Plan) -> list[Supervision]:
    """The year's notices to the unions directly below `org` (what its dashboard shows), newest first."""
    require(actor, "report.view", org)
    below = [c.id for c in org.children]
    if not below:
        return []
    return list(session.scalars(select(Supervision).where(Supervision.plan_id == plan.id,
                                                          Supervision.to_org_id.in_(below))
                                .order_by(Supervision.sent_at.desc())))
