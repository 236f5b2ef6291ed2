"""Objections to public notices (公示异议): during a notice's objection period a signed-in person may object
to it (to the whole notice or one line); the publishing union (or a union above it) records whether the
objection is upheld or dismissed with a reply, which the objector sees on the site as a new reply, as with
enquiries. Filing is throttled like enquiries: rows counted per person in a sliding window.

Objectors are never shown on public pages: the notice page lists no objections at all, and staff see the
objector's name masked."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from app import throttle
from app.accounts import scope
from app.accounts.models import Organisation, User
from app.accounts.policy import can, is_admin, require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.sanitize import clean_text
from programme.voice.models import Notice, Objection, ObjectionStatus

TEXT_MIN, TEXT_MAX = 5, 2000
REPLY_MAX = 2000
STATUS_LABELS = {ObjectionStatus.open: _l("待处理"), ObjectionStatus.upheld: _l("异议成立"),
                 ObjectionStatus.dismissed: _l("异议不成立")}


def period_open(notice: Notice, today: date) -> bool:
    return notice.published_on <= today <= notice.objection_until


def _throttle(session: Session, objector: User, max_count: int, window: timedelta, now: datetime) -> None:
    throttle.check(session, Objection.created_at, Objection.objector_id, objector.id, max_count, window, now,
                   lambda m: _("提交异议太频繁了，请%(m)d分钟后再试。", m=m), "objection_throttled")


def file(session: Session, objector: User, notice: Notice, *, text: str, line: str = "", today: date,
         max_count: int = 5, window: timedelta = timedelta(hours=1), now: datetime | None = None) -> Objection:
    """Check the period, then every field, then the rate; store the objection (open, no reply yet)."""
    if today > notice.objection_until:
        raise Conflict(_("异议期已于 %(d)s 结束，不再受理异议。如有问题请通过咨询联系发布单位。",
                         d=notice.objection_until.isoformat()), code="objection_closed")
    if today < notice.published_on:
        raise Conflict(_("公示尚未开始，异议期自 %(d)s 起。", d=notice.published_on.isoformat()),
                       code="objection_not_open")
    errors: dict[str, str] = {}
    text = clean_text(text)
    if len(text) < TEXT_MIN:
        errors["text"] = _("请写明异议内容和理由（至少%(n)d个字）。", n=TEXT_MIN)
    elif len(text) > TEXT_MAX:
        errors["text"] = _("异议内容最多%(n)d字。", n=TEXT_MAX)
    chosen = None
    if str(line or "").strip():
        chosen = next((x for x in notice.lines if str(x.id) == str(line).strip()), None)
        if chosen is None:
            errors["line"] = _("请选择本公示中的一行，或针对整份公示。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    now = now or utcnow()
    _throttle(session, objector, max_count, window, now)
    item = Objection(notice_id=notice.id, line_id=chosen.id if chosen else None, objector_id=objector.id, text=text,
                     created_at=now)
    session.add(item)
    session.flush()
    return item


def get(session: Session, actor: Any, objection_id: int) -> Objection:
    """One objection, for its objector and the unions that may resolve it; others are told it is not there."""
    found = session.get(Objection, objection_id)
    if found is None or actor is None or not (
            found.objector_id == getattr(actor, "id", None) or can(actor, "notice.resolve", found)):
        raise NotFound(_("没有找到这条异议。"))
    return found


def resolve(session: Session, actor: Any, objection: Objection, decision: str, reply: str, *,
            now: datetime | None = None) -> Objection:
    """Record the union's finding once: upheld or dismissed, with a reply the objector will see."""
    require(actor, "notice.resolve", objection)
    errors: dict[str, str] = {}
    if decision not in (ObjectionStatus.upheld, ObjectionStatus.dismissed):
        errors["decision"] = _("请选择异议成立或不成立。")
    reply = clean_text(reply)
    if not reply:
        errors["reply"] = _("请填写答复内容。")
    elif len(reply) > REPLY_MAX:
        errors["reply"] = _("答复最多%(n)d字。", n=REPLY_MAX)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    # conditional on the objection still being open (as declarations.review): of two clerks resolving at once, the
    # second is told rather than replacing the first's finding and reply unseen
    done = cast(CursorResult[Any], session.execute(
        update(Objection).where(Objection.id == objection.id, Objection.status == ObjectionStatus.open)
        .values(status=ObjectionStatus(decision), reply=reply, resolved_by_id=getattr(actor, "id", None),
                resolved_at=now or utcnow(), reply_seen=False)
        .execution_options(synchronize_session=False))).rowcount
    session.refresh(objection)
    if done != 1:
        raise Conflict(_("这条异议已经处理过。"), code="already_resolved")
    return objection


def for_staff(session: Session, actor: User, status: str = "open") -> list[Objection]:
    """Objections to notices of the actor's unions or any union below them; open ones oldest first."""
    query = select(Objection).join(Notice, Notice.id == Objection.notice_id).join(
        Organisation, Organisation.id == Notice.org_id)
    if not is_admin(actor):
        own_unions = scope.below_own_unions(actor)
        if own_unions is None:
            return []
        query = query.where(own_unions)
    if status == "open":
        query = query.where(Objection.status == ObjectionStatus.open).order_by(Objection.created_at, Objection.id)
    else:
        query = query.where(Objection.status != ObjectionStatus.open).order_by(Objection.resolved_at.desc(),
                                                                               Objection.id.desc())
    return list(session.scalars(query.limit(200)))


def mine(session: Session, user: User) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.objector_id == user.id)
                                .order_by(Objection.created_at.desc(), Objection.id.desc())))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Objection).where(
        Objection.objector_id == user.id, Objection.reply_seen.is_(False))) or 0


def mark_seen(session: Session, user: User) -> None:
    """The objector has opened the list of their objections: every reply on it is read."""
    for item in session.scalars(select(Objection).where(Objection.objector_id == user.id,
                                                        Objection.reply_seen.is_(False))):
        item.reply_seen = True
    session.flush()
