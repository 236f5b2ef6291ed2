"""Public notices (公示): selected institutions and offerings, admitted applicants, granted subsidies.

A notice is a snapshot taken when a union publishes it. People appear only masked (张*明, 138****5678),
and the masking happens here, before anything is stored, so no public page can show a full name."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.masking import mask_name, mask_phone
from app.accounts.models import Organisation, User
from app.accounts.policy import can, require
from app.errors import Invalid, NotFound
from app.lookup import get_or_raise
from app.timefmt import beijing_today
from programme.admissions.labels import ATTAINMENT_LABELS, LEVEL_LABELS
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Offering, OfferingStatus, Plan
from programme.money.models import ClaimStatus, SubsidyClaim
from programme.voice.models import Notice, NoticeKind, NoticeLine

KIND_LABELS = {NoticeKind.institutions: _l("入选院校及项目"), NoticeKind.admissions: _l("录取人员"),
               NoticeKind.subsidies: _l("补贴发放")}


def _person(user: User) -> tuple[str, str]:
    real = user.profile.real_name if user.profile is not None and user.profile.real_name else user.name
    return mask_name(real), mask_phone(user.phone)


def _lines(session: Session, plan: Plan, org: Organisation, kind: NoticeKind) -> list[NoticeLine]:
    if kind == NoticeKind.institutions:
        offerings = session.scalars(select(Offering).where(Offering.plan_id == plan.id,
                                                           Offering.status == OfferingStatus.selected)
                                    .order_by(Offering.institution_id, Offering.level, Offering.major))
        return [NoticeLine(who=o.institution.name, detail=f"{LEVEL_LABELS[o.level]} · {o.major} · {o.places}")
                for o in offerings if o.institution.is_within(org)]
    if kind == NoticeKind.admissions:
        apps = session.scalars(select(Application).where(
            Application.plan_id == plan.id, Application.status.in_((AppStatus.admitted, AppStatus.enrolled)))
            .order_by(Application.id))
        return [NoticeLine(who=_person(a.user)[0], phone=_person(a.user)[1],
                           detail=f"{a.offering.institution.name} · {LEVEL_LABELS[a.level]} · {a.offering.major}")
                for a in apps if a.county.is_within(org)]
    claims = session.scalars(select(SubsidyClaim).join(EnrolmentRecord).join(Application).where(
        Application.plan_id == plan.id, SubsidyClaim.status.in_((ClaimStatus.approved, ClaimStatus.paid)))
        .order_by(SubsidyClaim.id))
    return [NoticeLine(who=_person(c.enrolment.user)[0], phone=_person(c.enrolment.user)[1],
                       detail=f"{ATTAINMENT_LABELS[c.attainment]} · {c.amount} 元")
            for c in claims if c.enrolment.application.county.is_within(org)]


AHEAD_DAYS = 30  # a notice may be scheduled this far ahead; its objection period then starts that day


def publish(session: Session, actor: User, plan: Plan, org: Organisation, kind: str, published_on: date,
            objection_days: int = 5, *, today: date | None = None) -> Notice:
    """Snapshot what is now true in `org`'s region, masked, with an objection period of whole days, starting
    today or later (Beijing's `today`): a notice dated back had its period over before anyone saw it."""
    require(actor, "notice.publish", org)
    today = today or beijing_today()
    errors: dict[str, str] = {}
    if kind not in tuple(NoticeKind):
        errors["kind"] = _("请选择公示类别。")
    if not 1 <= objection_days <= 30:
        errors["objection_days"] = _("公示期应为1至30天。")
    if published_on < today:
        errors["published_on"] = _("公示日期不能早于今天（%(d)s），否则异议期在公示前就已过去。", d=today.isoformat())
    elif published_on > today + timedelta(days=AHEAD_DAYS):
        errors["published_on"] = _("公示日期最多提前%(n)d天。", n=AHEAD_DAYS)
    if errors:
        raise Invalid(_("公示内容有误，请按提示修改。"), fields=errors)
    notice_kind = NoticeKind(kind)
    title = _("%(org)s %(y)d 年度%(what)s公示", org=org.name, y=plan.year, what=KIND_LABELS[notice_kind])
    notice = Notice(plan_id=plan.id, org_id=org.id, kind=notice_kind, title=title, published_on=published_on,
                    objection_until=published_on + timedelta(days=objection_days - 1), created_by_id=actor.id)
    for position, line in enumerate(_lines(session, plan, org, notice_kind)):
        line.position = position
        notice.lines.append(line)
    session.add(notice)
    session.flush()
    return notice


def _visible(notice: Notice, viewer: User | None, today: date) -> bool:
    """A notice is public from its date; before it, only the staff who may publish for its union see it (to check
    it), or a notice scheduled ahead would name its people before the day the union chose."""
    return notice.published_on <= today or can(viewer, "notice.publish", notice.org)


def public(session: Session, viewer: User | None = None, *, today: date | None = None) -> list[Notice]:
    """Notices dated today or before; scheduled ones too for the staff of their union."""
    today = today or beijing_today()
    notices = session.scalars(select(Notice).order_by(Notice.published_on.desc(), Notice.id.desc()))
    return [n for n in notices if _visible(n, viewer, today)]


def get(session: Session, notice_id: int, viewer: User | None = None, *, today: date | None = None) -> Notice:
    notice = get_or_raise(session, Notice, notice_id, _("没有这份公示。"))
    if not _visible(notice, viewer, today or beijing_today()):
        raise NotFound(_("没有这份公示。"))
    return notice
