"""Applications to study (报读申请): a worker applies to a selected offering (academic or training); the county union
verifies identity and membership, which takes one of the county's places; the institution admits and
opens the enrolment record (学籍). Withdrawing or refusing gives the place back.

Status changes are conditional UPDATEs on the current status, so two staff acting on the same
application at once cannot both succeed (and cannot take two places)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import notifications
from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.db import hold_row, utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.lookup import get_or_raise
from app.notifications.kinds import APPLICATION
from app.timefmt import beijing_today, local_day
from programme.admissions import profiles, quotas
from programme.admissions.models import (
    ACADEMIC,
    Application,
    AppStatus,
    EnrolmentRecord,
    Offering,
    OfferingKind,
    OfferingStatus,
    Plan,
)

OPEN = (AppStatus.applied, AppStatus.verified, AppStatus.admitted)
STATUS_LABELS = {AppStatus.applied: _l("已提交，待县级工会审核"), AppStatus.verified: _l("工会已审核，待院校录取"),
                 AppStatus.admitted: _l("已录取，待注册学籍"), AppStatus.enrolled: _l("已注册学籍"),
                 AppStatus.rejected: _l("未通过"), AppStatus.withdrawn: _l("已撤回")}


def get(session: Session, application_id: int) -> Application:
    return get_or_raise(session, Application, application_id, _("没有这份报读申请。"))


def get_enrolment(session: Session, enrolment_id: int) -> EnrolmentRecord:
    return get_or_raise(session, EnrolmentRecord, enrolment_id, _("没有这条学籍记录。"))


def apply(session: Session, worker: User, offering: Offering, today: date) -> Application:
    """Check the window, the offering and every eligibility rule; then file the application."""
    plan = offering.plan
    if offering.status != OfferingStatus.selected:
        raise Invalid(_("该项目不在本年度报读目录中。"), code="not_on_menu")
    if not plan.opens_on <= today <= plan.closes_on:
        raise Invalid(_("报读时间为 %(a)s 至 %(b)s。", a=plan.opens_on.isoformat(), b=plan.closes_on.isoformat()),
                      code="closed")
    profile = worker.profile  # the identity the county checks: one person, one place (a second account had none)
    if profile is None or not (profile.real_name or "").strip() or not profile.id_number:
        message = _("请先在个人资料中填写真实姓名和身份证号码。")
        raise Invalid(message, code="identity_missing", fields={"id_number": message})
    verdict = profiles.verdict(worker, offering.level, plan.notice_date)
    if not verdict.eligible:
        failed = {r.rule: r.message for r in verdict.rules if not r.passed}
        raise Invalid(_("暂不符合资助条件：%(why)s", why="；".join(failed.values())), code="not_eligible",
                      fields=failed)
    county = profiles.county_of(worker)
    academic = offering.kind == OfferingKind.academic
    if academic:
        _check_one_academic_place(session, worker, plan.id, plan.year)
    application = Application(plan_id=plan.id, user_id=worker.id, offering_id=offering.id, county_id=county.id,
                              level=offering.level, active_level=ACADEMIC if academic else offering.level,
                              status=AppStatus.applied)
    try:
        with session.begin_nested():
            session.add(application)
    except IntegrityError:
        raise Conflict(_one_academic_message() if academic else
                       _("您本年度已经报读了同一层次的项目，每人每年每个层次只能报读一个。"),
                       code="already_applied") from None
    return application


def _one_academic_message() -> str:
    return _("您本年度已经报读了一个学历教育项目，每人每年只能报读一个学历层次（专科、高起本或专升本）。")


def _check_one_academic_place(session: Session, worker: User, plan_id: int, year: int) -> None:
    """The policy funds people, not places per level (每年资助1万人): one live academic application a year, whatever
    its level (the unique key on active_level = ACADEMIC holds it when two arrive at once; rows filed before that
    key kept their level, so the check here reads the offering's kind). A training project may sit beside it.
    A worker still studying for an earlier year's academic place (enrolled, not graduated) takes no second one."""
    live = session.scalar(select(Application.id).join(Offering, Offering.id == Application.offering_id).where(
        Application.plan_id == plan_id, Application.user_id == worker.id, Application.active_level.is_not(None),
        Offering.kind == OfferingKind.academic).limit(1))
    if live is not None:
        raise Conflict(_one_academic_message(), code="already_applied")
    studying = session.scalar(
        select(Application.id).join(Offering, Offering.id == Application.offering_id)
        .join(EnrolmentRecord, EnrolmentRecord.application_id == Application.id).where(
            Application.user_id == worker.id, Application.plan_id.in_(select(Plan.id).where(Plan.year < year)),
            Application.status == AppStatus.enrolled, Offering.kind == OfferingKind.academic,
            EnrolmentRecord.graduated_on.is_(None)).limit(1))
    if studying is not None:
        raise Conflict(_("您还在就读往年报读的学历教育项目，毕业后才能再报读学历教育项目。"), code="still_studying")


def _move(session: Session, application: Application, from_: tuple[AppStatus, ...], **values: Any) -> None:
    done = cast(CursorResult[Any], session.execute(update(Application).where(Application.id == application.id,
                                                                             Application.status.in_(from_))
                                                   .values(**values).execution_options(synchronize_session=False))).rowcount
    if done != 1:
        raise Conflict(_("这份申请的状态已经变化，请刷新后再试。"), code="stale")
    session.refresh(application)


def verify(session: Session, actor: User, application: Application, approve: bool, note: str = "") -> Application:
    """County check of identity and membership; approval takes a county place or fails with quota_full."""
    require(actor, "application.verify", application)
    if not approve and not note.strip():
        raise Invalid(_("不通过时请写明理由。"), fields={"note": _("请填写理由。")})
    if approve:
        with session.begin_nested():  # a full county leaves the application untouched
            quotas.take_place(session, application.plan_id, application.county_id)
            _move(session, application, (AppStatus.applied,), status=AppStatus.verified, verified_at=utcnow(),
                  verified_by_id=actor.id, holds_quota=True)
    else:
        _move(session, application, (AppStatus.applied,), status=AppStatus.rejected, verified_at=utcnow(),
              verified_by_id=actor.id, active_level=None, closed_at=utcnow(), note=note.strip())
        _tell(session, application, _("你的报读申请未通过审核"), note.strip())
    return application


def _tell(session: Session, application: Application, title: str, body: str = "") -> None:
    """The applicant hears of a decision in the site, on their phone and by text (a decision must reach them)."""
    notifications.notify(session, application.user_id, APPLICATION, title, "/programme/mine", body)


def _check_offering_places(session: Session, offering_id: int) -> None:
    """An institution admits no more than the places it declared. The offering row is held first so that two
    admissions at once count one after the other: on SQLite both had counted a free last place before either wrote
    (4 admitted on 1 place)."""
    hold_row(session, Offering, offering_id)
    places = session.scalar(select(Offering.places).where(Offering.id == offering_id))
    taken = session.scalar(select(func.count(Application.id)).where(
        Application.offering_id == offering_id, Application.status.in_((AppStatus.admitted, AppStatus.enrolled)))) or 0
    if places is not None and taken >= places:
        raise Conflict(_("本专业的%(n)d个招生名额已录满。", n=places), code="offering_full")


def admit(session: Session, actor: User, application: Application, approve: bool, note: str = "") -> Application:
    """The institution admits to its own offering only; a refusal gives the county place back."""
    require(actor, "application.admit", application)
    if not approve and not note.strip():
        raise Invalid(_("不录取时请写明理由。"), fields={"note": _("请填写理由。")})
    if approve:
        _check_offering_places(session, application.offering_id)
        _move(session, application, (AppStatus.verified,), status=AppStatus.admitted, admitted_at=utcnow(),
              admitted_by_id=actor.id)
        _tell(session, application, _("你已被录取，请按学校通知报到"))
    else:
        _move(session, application, (AppStatus.verified,), status=AppStatus.rejected, admitted_at=utcnow(),
              admitted_by_id=actor.id, active_level=None, closed_at=utcnow(), note=note.strip(), holds_quota=False)
        quotas.release_place(session, application.plan_id, application.county_id)
        _tell(session, application, _("你的报读申请未被录取"), note.strip())
    return application


def check_enrolment_date(application: Application, enrolled_on: date) -> None:
    """A claim counts results attained on or after enrolled_on (claim_checks), so the date may not reach back past
    the notice or the admission (an older certificate would count), nor ahead of today (no graduation could then
    be recorded). An application not yet admitted is taken as admitted today (an import admits and enrols at once).
    """
    if enrolled_on < application.plan.notice_date:
        message = _("入学日期不能早于本年度招生通知（%(d)s）。", d=application.plan.notice_date.isoformat())
        raise Invalid(message, code="enrolled_too_early", fields={"enrolled_on": message})
    today = beijing_today()
    admitted = local_day(application.admitted_at) if application.admitted_at is not None else today
    if enrolled_on < admitted:
        message = _("入学日期不能早于录取日期（%(d)s）。", d=admitted.isoformat())
        raise Invalid(message, code="enrolled_before_admission", fields={"enrolled_on": message})
    if enrolled_on > today:
        message = _("入学日期不能晚于今天（北京时间）。")
        raise Invalid(message, code="future_date", fields={"enrolled_on": message})


def enrol(session: Session, actor: User, application: Application, student_number: str,
          enrolled_on: date) -> EnrolmentRecord:
    require(actor, "application.admit", application)
    number = student_number.strip()
    if not number or len(number) > 50:
        raise Invalid(_("请填写学号（50字以内）。"), fields={"student_number": _("请填写学号。")})
    check_enrolment_date(application, enrolled_on)
    _move(session, application, (AppStatus.admitted,), status=AppStatus.enrolled)
    record = EnrolmentRecord(application_id=application.id, user_id=application.user_id, student_number=number,
                             enrolled_on=enrolled_on)
    session.add(record)
    session.flush()
    return record


def graduate(session: Session, actor: User, application: Application, graduated_on: date) -> EnrolmentRecord:
    """The institution records graduation on the enrolment record (data exchange may do the same)."""
    require(actor, "application.admit", application)
    record = application.enrolment
    if record is None:
        raise Conflict(_("尚未注册学籍，不能登记毕业。"), code="not_enrolled")
    if graduated_on < record.enrolled_on:
        raise Invalid(_("毕业日期不能早于注册日期。"), fields={"graduated_on": _("日期有误。")})
    if graduated_on > beijing_today():
        raise Invalid(_("毕业日期不能晚于今天（北京时间）。"), code="future_date",
                      fields={"graduated_on": _("日期有误。")})
    # recorded once (a claim may rest on it), by a conditional UPDATE: of two clerks entering different dates at
    # once, the second is told rather than overwriting the first's date unseen
    done = cast(CursorResult[Any], session.execute(
        update(EnrolmentRecord).where(EnrolmentRecord.id == record.id, or_(
            EnrolmentRecord.graduated_on.is_(None), EnrolmentRecord.graduated_on == graduated_on))
        .values(graduated_on=graduated_on).execution_options(synchronize_session=False))).rowcount
    session.refresh(record)
    if done != 1:
        raise Conflict(_("毕业日期已经登记（%(d)s），不能修改。", d=str(record.graduated_on)),
                       code="already_graduated")
    return record


def withdraw(session: Session, worker: User, application: Application) -> Application:
    """The worker changes their mind before enrolment; the county place (if taken) is freed."""
    if application.user_id != worker.id:
        raise Forbidden(_("只能撤回自己的申请。"))
    # Held, then read: a county verification committing between the worker's page load and this UPDATE takes a
    # place that a holds_quota read before it would not see (the place was lost for the year).
    hold_row(session, Application, application.id)
    held = bool(session.scalar(select(Application.holds_quota).where(Application.id == application.id)))
    _move(session, application, OPEN, status=AppStatus.withdrawn, active_level=None, closed_at=utcnow(),
          holds_quota=False)
    if held:
        quotas.release_place(session, application.plan_id, application.county_id)
    return application


def steps(application: Application) -> list[tuple[str, object]]:
    """The worker's timeline: each step with its date, or None while it is still ahead."""
    record = application.enrolment
    items: list[tuple[str, object]] = [(_("提交申请"), application.applied_at),
                                       (_("县级工会审核"), application.verified_at),
                                       (_("院校录取"), application.admitted_at),
                                       (_("注册学籍"), record.enrolled_on if record else None)]
    if application.status in (AppStatus.rejected, AppStatus.withdrawn):
        items.append((str(STATUS_LABELS[application.status]), application.closed_at))
    return items


def mine(session: Session, worker: User) -> list[Application]:
    return list(session.scalars(select(Application).where(Application.user_id == worker.id)
                                .order_by(Application.id.desc())))


def for_unions(session: Session, unions: list[Organisation], status: AppStatus | None = None) -> list[Application]:
    """Applications from counties within the given unions, for their staff to verify or follow."""
    if not unions:
        return []
    query = select(Application).join(Organisation, Organisation.id == Application.county_id)
    query = query.where(or_(*[Organisation.path.startswith(u.path) for u in unions]))
    if status is not None:
        query = query.where(Application.status == status)
    return list(session.scalars(query.order_by(Application.id)))


def for_institutions(session: Session, institutions: list[Organisation]) -> list[Application]:
    if not institutions:
        return []
    return list(session.scalars(select(Application).join(Offering).where(
        Offering.institution_id.in_([i.id for i in institutions]),
        Application.status.in_((AppStatus.verified, AppStatus.admitted, AppStatus.enrolled)))
        .order_by(Application.id)))


def to_admit(session: Session, institutions: list[Organisation]) -> list[Application]:
    """Verified applications waiting for the institution's admission decision (the staff desk counts these)."""
    return [a for a in for_institutions(session, institutions) if a.status == AppStatus.verified]
