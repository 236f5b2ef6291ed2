"""Workplace mentors (企业导师) for the 双导师 pairing: an enterprise names its own staff accounts as mentors for a
resource or a pathway its workers study, beside the institution's teachers. The resource page shows the pair, and
`mentors_for` gives the people a later Q&A should notify."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Membership, Organisation, Role, User
from app.accounts.policy import require
from app.errors import Conflict, Invalid, NotFound
from app.sanitize import clean_text
from catalog.models import Resource, ResourceStatus
from credits.models import Pathway, PathwayItem
from learning.models import Enrolment
from programme.enterprises import links
from programme.partnership.models import WorkplaceMentor

TITLE_MAX = 50


@dataclass(frozen=True)
class MentorInput:
    user_id: int
    resource_id: int | None = None
    pathway_id: int | None = None
    title: str = ""


def staff_of(session: Session, enterprise: Organisation) -> list[User]:
    """The enterprise's staff accounts: who may be named its mentors."""
    return list(session.scalars(select(User).join(Membership).where(
        Membership.organisation_id == enterprise.id, Membership.role == Role.enterprise_staff).order_by(User.name)))


def _workers_study(session: Session, enterprise: Organisation, data: MentorInput) -> bool:
    """One of the workers the enterprise confirmed (programme/enterprises/links.py) is enrolled in the resource, or
    in a course of the pathway: a stranger to a course had named itself its mentor, shown as 校企双导师 and
    answering its learners' questions in the enterprise's name. Only workers who consent to share their progress
    count: otherwise the yes/no of naming a mentor told the enterprise what a worker who refused studies."""
    on_target = Enrolment.resource_id == data.resource_id if data.resource_id is not None else \
        Enrolment.resource_id.in_(select(PathwayItem.resource_id).where(PathwayItem.pathway_id == data.pathway_id))
    consenting = links.consenting_ids(enterprise)
    return session.scalar(select(Enrolment.id).where(on_target, Enrolment.user_id.in_(consenting))
                          .limit(1)) is not None


def _checked(session: Session, enterprise: Organisation, data: MentorInput) -> tuple[User, str]:
    errors: dict[str, str] = {}
    code: str | None = None
    user = next((u for u in staff_of(session, enterprise) if u.id == data.user_id), None)
    if user is None:
        errors["user_id"] = _("请选择本企业的工作人员。")
    if (data.resource_id is None) == (data.pathway_id is None):
        errors["target"] = _("请填写一门课程（资源编号）或选择一条学分路径，二选一。")
    elif data.resource_id is not None:
        resource = session.get(Resource, data.resource_id)
        if resource is None or resource.status != ResourceStatus.published:
            errors["target"] = _("没有找到这门已发布的课程。")
    else:
        pathway = session.get(Pathway, data.pathway_id)
        if pathway is None or not pathway.active:
            errors["target"] = _("没有找到这条学分路径。")
    if "target" not in errors and not _workers_study(session, enterprise, data):
        errors["target"] = _(
            "本企业已确认并授权查看学习情况的职工中还没有人报名这门课程（或这条学分路径中的课程），不能为它指定企业导师。")
        code = "no_worker_studies"
    title = clean_text(data.title)
    if len(title) > TITLE_MAX:
        errors["title"] = _("最多%(n)d字。", n=TITLE_MAX)
    if errors:
        raise Invalid(_("请修改标出的内容。"), code=code, fields=errors)
    assert user is not None
    return user, title


def name_mentor(session: Session, actor: Any, enterprise: Organisation, data: MentorInput) -> WorkplaceMentor:
    """The enterprise's staff name one of its staff accounts as a mentor for a published resource or a pathway."""
    require(actor, "mentor.manage", enterprise)
    user, title = _checked(session, enterprise, data)
    if session.scalar(select(WorkplaceMentor.id).where(
            WorkplaceMentor.enterprise_id == enterprise.id, WorkplaceMentor.user_id == user.id,
            WorkplaceMentor.resource_id.is_(data.resource_id) if data.resource_id is None
            else WorkplaceMentor.resource_id == data.resource_id,
            WorkplaceMentor.pathway_id.is_(data.pathway_id) if data.pathway_id is None
            else WorkplaceMentor.pathway_id == data.pathway_id)):
        raise Conflict(_("已经指定过了。"), code="already_mentor")
    mentor = WorkplaceMentor(enterprise=enterprise, user=user, resource_id=data.resource_id,
                             pathway_id=data.pathway_id, title=title, named_by_id=getattr(actor, "id", None))
    session.add(mentor)
    session.flush()
    audit.record(session, actor, "mentor.name", "user", user.id, org_id=enterprise.id,
                 resource_id=data.resource_id, pathway_id=data.pathway_id)
    return mentor


def remove_mentor(session: Session, actor: Any, mentor_id: int) -> None:
    mentor = session.get(WorkplaceMentor, mentor_id)
    if mentor is None:
        raise NotFound(_("没有找到这位企业导师。"))
    require(actor, "mentor.manage", mentor.enterprise)
    session.delete(mentor)
    session.flush()
    audit.record(session, actor, "mentor.remove", "user", mentor.user_id, org_id=mentor.enterprise_id)


def of_enterprise(session: Session, enterprise: Organisation) -> list[WorkplaceMentor]:
    return list(session.scalars(select(WorkplaceMentor).where(WorkplaceMentor.enterprise_id == enterprise.id)
                                .order_by(WorkplaceMentor.id)))


def _for_resource(session: Session, resource_id: int) -> list[WorkplaceMentor]:
    """Mentors named for the resource itself, or for a pathway that counts it, while they are still staff of the
    enterprise that named them: one whose role was removed (they left) no longer answers in its name."""
    on_pathways = select(PathwayItem.pathway_id).where(PathwayItem.resource_id == resource_id)
    still_staff = select(Membership.id).where(Membership.user_id == WorkplaceMentor.user_id,
                                              Membership.organisation_id == WorkplaceMentor.enterprise_id,
                                              Membership.role == Role.enterprise_staff).exists()
    return list(session.scalars(select(WorkplaceMentor).where(or_(
        WorkplaceMentor.resource_id == resource_id, WorkplaceMentor.pathway_id.in_(on_pathways)), still_staff)
        .order_by(WorkplaceMentor.id)))


def mentored_resources(session: Session) -> frozenset[int]:
    """Every resource with a mentor (named for it, or for a pathway that counts it), in one query: a page kept
    per resource asks this set before asking `pair_of` (most resources have none)."""
    named = select(WorkplaceMentor.resource_id).where(WorkplaceMentor.resource_id.is_not(None))
    on_pathways = select(PathwayItem.resource_id).join(
        WorkplaceMentor, WorkplaceMentor.pathway_id == PathwayItem.pathway_id)
    return frozenset(session.scalars(named.union(on_pathways)))


def mentors_for(session: Session, resource_id: int) -> list[User]:
    """The workplace mentors of a resource (named for it, or for a pathway that counts it), each once: whom a
    question about the resource should reach."""
    found: dict[int, User] = {}
    for mentor in _for_resource(session, resource_id):
        found.setdefault(mentor.user_id, mentor.user)
    return list(found.values())


def answerers(session: Session, resource_id: int) -> dict[int, int]:
    """The mentors of a resource with the enterprise each answers for: learning's co-answerers of its public
    questions (registered by programme's init_app)."""
    found: dict[int, int] = {}
    for mentor in _for_resource(session, resource_id):
        found.setdefault(mentor.user_id, mentor.enterprise_id)
    return found


@dataclass(frozen=True)
class MentorShown:
    name: str
    title: str
    enterprise: str


def pair_of(session: Session, resource: Any, mentored: Container[int] | None = None) -> dict[str, Any]:
    """The 双导师 pair on the resource page: the institution's teachers and the enterprises' mentors (none asked for
    when `mentored`, the `mentored_resources`, leaves the resource out)."""
    shown: dict[tuple[int, int], MentorShown] = {}
    for mentor in _for_resource(session, resource.id) if mentored is None or resource.id in mentored else []:
        shown.setdefault((mentor.user_id, mentor.enterprise_id),
                         MentorShown(mentor.user.name, mentor.title, mentor.enterprise.name))
    return {"teachers": list(resource.teachers), "mentors": list(shown.values())}
