"""Institution declarations (院校申报) and their selection (遴选).

An institution declares academic offerings (专科 / 高起本 / 专升本) and training projects for a year;
province or city union staff, or staff of the education and HR departments, select or reject each with a
comment. Selected offerings make up the public 报读 menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, User
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.lookup import get_or_raise
from app.sanitize import strip_markup
from programme.admissions.eligibility import Level
from programme.admissions.models import Offering, OfferingKind, OfferingStatus, Plan

MODES = ("业余", "函授", "网络")
SKILL_LEVELS = ("初级工", "中级工", "高级工", "技师", "高级技师")


@dataclass
class OfferingInput:
    kind: str = "academic"
    level: str = ""        # academic level; ignored for training
    major: str = ""        # major, or the skill of a training project
    mode: str = ""         # study mode; the skill level for training
    years: int = 0
    tuition_yuan: int = 0
    discount_yuan: int = 0
    scholarships: str = ""
    places: int = 0


def _validate(data: OfferingInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.kind not in tuple(OfferingKind):
        errors["kind"] = _("请选择学历教育或技能培训。")
    academic = data.kind == OfferingKind.academic
    if academic and data.level not in tuple(Level):
        errors["level"] = _("请选择层次：专科、高起本或专升本。")
    if not data.major.strip() or len(data.major) > 200:
        errors["major"] = _("请填写专业或培训工种（200字以内）。")
    if academic and data.mode not in MODES:
        errors["mode"] = _("请选择学习形式：业余、函授或网络。")
    if not academic and data.mode not in SKILL_LEVELS:
        errors["mode"] = _("请选择培训等级。")
    if academic and not 1 <= data.years <= 6:
        errors["years"] = _("学制应为1至6年。")
    if data.tuition_yuan < 0:
        errors["tuition_yuan"] = _("学费不能为负数。")
    if not 0 <= data.discount_yuan <= max(data.tuition_yuan, 0):
        errors["discount_yuan"] = _("学费减免应在0与学费之间。")
    if data.places <= 0:
        errors["places"] = _("招生名额应为正整数。")
    return errors


def declare(session: Session, actor: User, plan: Plan, institution: Organisation, data: OfferingInput) -> Offering:
    require(actor, "offering.declare", institution)
    if institution.kind != OrgKind.institution:
        raise Invalid(_("只有院校可以申报。"), fields={"institution": _("不是院校。")})
    errors = _validate(data)
    if errors:
        raise Invalid(_("申报内容有误，请按提示修改。"), fields=errors)
    academic = data.kind == OfferingKind.academic
    offering = Offering(
        plan_id=plan.id, institution_id=institution.id, kind=OfferingKind(data.kind),
        level=data.level if academic else "training", major=data.major.strip(), mode=data.mode,
        years=data.years if academic else 0, tuition_yuan=data.tuition_yuan, discount_yuan=data.discount_yuan,
        scholarships=strip_markup(data.scholarships.strip()), places=data.places)
    session.add(offering)
    session.flush()
    return offering


def review(session: Session, actor: User, offering: Offering, decision: str, comment: str) -> Offering:
    """Select or reject; a rejection needs a reason the institution can act on."""
    require(actor, "offering.review", offering)
    if decision not in ("select", "reject"):
        raise Invalid(_("请选择入选或不入选。"), fields={"decision": _("请选择。")})
    comment = strip_markup(comment.strip())
    if decision == "reject" and not comment:
        raise Invalid(_("不入选时请写明理由。"), fields={"comment": _("请填写理由。")})
    status = OfferingStatus.selected if decision == "select" else OfferingStatus.rejected
    # conditional on the status still being `declared` (as applications._move): of two reviewers deciding at once,
    # the second is told rather than overwriting the first's decision unseen
    done = cast(CursorResult[Any], session.execute(
        update(Offering).where(Offering.id == offering.id, Offering.status == OfferingStatus.declared)
        .values(status=status, review_comment=comment, reviewed_by_id=actor.id, reviewed_at=utcnow())
        .execution_options(synchronize_session=False))).rowcount
    session.refresh(offering)
    if done != 1:
        raise Conflict(_("该申报已经审核过。"), code="already_reviewed")
    return offering


def get(session: Session, offering_id: int) -> Offering:
    return get_or_raise(session, Offering, offering_id, _("没有这个项目。"))


def visible_to(actor: User | None, offering: Offering) -> bool:
    """Selected offerings are public; the others only to their reviewers and their own institution."""
    return offering.status == OfferingStatus.selected or (actor is not None and (
        can(actor, "offering.review", offering) or can(actor, "offering.declare", offering.institution)))


def menu(session: Session, plan: Plan) -> list[Offering]:
    """The public 报读 menu: selected offerings, academic first, by level and major."""
    return list(session.scalars(select(Offering).where(Offering.plan_id == plan.id,
                                                       Offering.status == OfferingStatus.selected)
                                .order_by(Offering.kind, Offering.level, Offering.major)))


def of_institutions(session: Session, plan: Plan, orgs: list[Organisation]) -> list[Offering]:
    return list(session.scalars(select(Offering).where(
        Offering.plan_id == plan.id, Offering.institution_id.in_([o.id for o in orgs])).order_by(Offering.id.desc())))


def pending(session: Session, plan: Plan) -> list[Offering]:
    return list(session.scalars(select(Offering).where(Offering.plan_id == plan.id,
                                                       Offering.status == OfferingStatus.declared)
                                .order_by(Offering.id)))


def to_review(session: Session, actor: User, plan: Plan) -> list[Offering]:
    """The declarations of `plan` the actor may select (the review page and the staff desk list these)."""
    return [o for o in pending(session, plan) if can(actor, "offering.review", o)]
