"""Resource operations: create and edit drafts, and the publishing workflow
(submit -> select | return; unpublish; withdraw). Each takes a session and plain values, asks the policy,
validates everything first, records every status change, writes an outbox "resource" row so search
re-indexes it, flushes, and leaves the commit to the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app import events, kept_rows, outbox
from app.accounts import scope
from app.accounts.models import Organisation
from app.accounts.policy import SYSTEM, can, require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.lookup import get_or_raise
from catalog.categories import load_menu
from catalog.models import (
    Category,
    Lesson,
    LessonType,
    Resource,
    ResourceAudience,
    ResourceCoauthor,
    ResourceIndustry,
    ResourceKind,
    ResourceStatus,
    ResourceTeacher,
    ResourceTransition,
    Tag,
)
from catalog.schemas import ResourceData, validate_resource

EDITABLE = frozenset({ResourceStatus.draft, ResourceStatus.returned, ResourceStatus.unpublished,
                      ResourceStatus.withdrawn})
MICRO_COURSE_MAX_S = 15 * 60
Row = dict[str, Any]
ResourceSnapshot = tuple[Row, Row, list[Row] | None]  # the resource's columns, its provider's, its lessons'


def actor_name(actor: Any) -> str:
    return _("系统") if actor is SYSTEM or actor is None else str(getattr(actor, "name", ""))[:50]


def record(session: Session, resource: Resource, actor: Any, action: str, to_status: ResourceStatus,
           comment: str = "") -> ResourceTransition:
    """Append a history row and move the resource to its new status."""
    transition = ResourceTransition(
        resource=resource, action=action, from_status=None if action in ("create", "import") else resource.status,
        to_status=to_status, actor_id=getattr(actor, "id", None), actor_name=actor_name(actor),
        comment=comment, at=utcnow())
    session.add(transition)
    resource.status = to_status
    resource.status_comment = comment if action in ("return", "unpublish", "withdraw") else ""
    return transition


def get_resource(session: Session, resource_id: int) -> Resource:
    return get_or_raise(session, Resource, resource_id, _("资源不存在或已被删除。"))


def editable_resource(session: Session, actor: Any, resource_id: int) -> Resource:
    """The resource, when the actor may edit it (its form, cover and lessons); NotFound or Forbidden otherwise."""
    resource = get_resource(session, resource_id)
    require(actor, "resource.edit", resource)
    return resource


def visible_resource(session: Session, user: Any, resource_id: int) -> Resource:
    """A published resource for anyone; others only for those who may see them (never revealing they exist)."""
    resource = loaded_resource(session, resource_id)
    if resource is None or (not resource.is_published and not can(user, "resource.view", resource)):
        raise NotFound(_("资源不存在或已被删除。"))
    return resource


def loaded_resource(session: Session, resource_id: int) -> Resource | None:
    """A resource with everything its page shows (one query and nine `selectinload`s), whoever may see it."""
    return session.scalar(select(Resource).where(Resource.id == resource_id).options(
        selectinload(Resource.provider), selectinload(Resource.categories), selectinload(Resource.teachers),
        selectinload(Resource.coauthors),
        selectinload(Resource.tags), selectinload(Resource.industries), selectinload(Resource.audiences),
        selectinload(Resource.units), selectinload(Resource.lessons)))


def snapshot(resource: Resource, lessons: bool = True) -> ResourceSnapshot:
    """What `restore` needs to rebuild a resource for its page without a query (its columns, its provider's and,
    with `lessons`, its lessons'): plain values, kept in app/sharedparts.py until the catalog changes."""
    return (kept_rows.columns_of(resource), kept_rows.columns_of(resource.provider),
            [kept_rows.columns_of(lesson) for lesson in resource.lessons] if lessons else None)


def restore(session: Session, kept: ResourceSnapshot) -> Resource:
    """The resource of a `snapshot`, in `session` as if just loaded with its provider (and its lessons, when
    kept; otherwise they load on first use, as usual)."""
    columns, provider, lessons = kept
    present = session.identity_map.get(identity_key(Resource, columns["id"]))
    resource = kept_rows.attach(session, Resource, columns)
    if present is None:
        set_committed_value(resource, "provider", kept_rows.attach(session, Organisation, provider))
        if lessons is not None:
            set_committed_value(resource, "lessons", [kept_rows.attach(session, Lesson, row) for row in lessons])
    return resource


class LessonOutline(NamedTuple):
    """What a page's per-person part needs of a lesson (the enrol box: how many to complete, the first to play),
    kept as plain values with the shared parts instead of a row per lesson restored on each request."""

    id: int
    type: LessonType
    required: bool


def outline(lessons: list[Lesson]) -> tuple[LessonOutline, ...]:
    return tuple(LessonOutline(lesson.id, lesson.type, lesson.required) for lesson in lessons)


def tags_by_name(session: Session, names: list[str], cache: dict[str, Tag] | None = None) -> list[Tag]:
    """Existing tags by name, creating the missing ones."""
    cache = {} if cache is None else cache
    missing = [n for n in names if n not in cache]
    if missing:
        for tag in session.scalars(select(Tag).where(Tag.name.in_(missing))):
            cache[tag.name] = tag
    for name in names:
        if name not in cache:
            cache[name] = Tag(name=name)
            session.add(cache[name])
    return [cache[n] for n in names]


def _apply(session: Session, resource: Resource, data: ResourceData) -> None:
    resource.title, resource.kind, resource.summary = data.title, data.kind, data.summary
    resource.description_html, resource.description_md = data.description_html, data.description_md
    resource.credits, resource.hours = data.credits, data.hours
    resource.external_url, resource.language, resource.licence = data.external_url, data.language, data.licence
    resource.categories = list(session.scalars(select(Category).where(Category.id.in_(data.category_ids))))
    resource.industries = [ResourceIndustry(industry=i) for i in data.industries]
    resource.audiences = [ResourceAudience(audience=a) for a in data.audiences]
    resource.teachers = [ResourceTeacher(name=n, title=t, position=i) for i, (n, t) in enumerate(data.teachers)]
    resource.tags = tags_by_name(session, data.tags)


def _validated(session: Session, raw: dict[str, Any]) -> ResourceData:
    data, errors = validate_resource(raw, load_menu(session))
    if data is None:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    return data


def create_resource(session: Session, actor: Any, provider: Organisation, raw: dict[str, Any]) -> Resource:
    """A new draft for `provider`, from form-like values (see catalog.schemas)."""
    require(actor, "resource.create", provider)
    data = _validated(session, raw)
    resource = Resource(provider=provider, status=ResourceStatus.draft, created_by_id=getattr(actor, "id", None))
    session.add(resource)
    _apply(session, resource, data)
    record(session, resource, actor, "create", ResourceStatus.draft)
    session.flush()
    outbox.emit(session, "resource", resource.id)
    return resource


def ensure_editable(resource: Resource) -> None:
    if resource.status not in EDITABLE:
        raise Conflict(_("已提交或已发布的资源不能直接修改，请先撤回。"), code="not_editable")


WRITING_STEPS = ("create", "import", "edit", "submit")  # steps that make a person an author (the policy's conflicts)


def editing(actor: Any, resource: Resource) -> None:
    """Every change to a resource's content (its form, lessons, cover, media): the actor may edit it, it is editable,
    and the actor is remembered as one of its writers."""
    require(actor, "resource.edit", resource)
    ensure_editable(resource)
    note_writer(resource, actor)


def note_writer(resource: Resource, actor: Any) -> None:
    """An "edit" step in the resource's history, once per person: whoever wrote part of it never reviews it (the
    policy's `_own_resource`), even when a colleague submits it or after their organisation leaves its co-authors.
    A review found a co-author's clerk with a union role rewriting a course, leaving, and selecting it."""
    actor_id = getattr(actor, "id", None)
    if actor_id is None or any(step.actor_id == actor_id and step.action in WRITING_STEPS
                               for step in resource.transitions):
        return
    resource.transitions.append(ResourceTransition(
        action="edit", from_status=resource.status, to_status=resource.status, actor_id=actor_id,
        actor_name=actor_name(actor), comment="", at=utcnow()))


def update_resource(session: Session, actor: Any, resource: Resource, raw: dict[str, Any]) -> Resource:
    editing(actor, resource)
    _apply(session, resource, _validated(session, raw))
    resource.updated_at = utcnow()
    session.flush()
    outbox.emit(session, "resource", resource.id)
    return resource


# Checks of lesson media that other packages register at init (media: is each lesson's asset ready to play?).
# Each gets the session and the video lessons that have an asset, and returns those that cannot play yet.
# The catalog never imports media; on its own it knows only whether a video lesson has an asset at all.
MediaCheck = Callable[[Session, list[Lesson]], list[Lesson]]
MEDIA_CHECKS: list[MediaCheck] = []


def register_media_check(check: MediaCheck) -> None:
    if check not in MEDIA_CHECKS:
        MEDIA_CHECKS.append(check)


def unplayable_lessons(resource: Resource) -> list[Lesson]:
    """Video lessons with no video, or with one not ready to play (still transcoding, failed, cancelled)."""
    videos = [lesson for lesson in resource.lessons if lesson.type == LessonType.video]
    missing = {id(lesson) for lesson in videos if lesson.media_asset_id is None}
    session = object_session(resource)
    with_media = [lesson for lesson in videos if lesson.media_asset_id is not None]
    if session is not None and with_media:
        for check in MEDIA_CHECKS:
            missing.update(id(lesson) for lesson in check(session, with_media))
    return [lesson for lesson in videos if id(lesson) in missing]


def publishing_problems(resource: Resource) -> list[str]:
    """What keeps a resource from going public, as sentences for the provider."""
    problems = []
    unplayable = unplayable_lessons(resource)
    if unplayable:
        problems.append(_("这些视频课时还没有可以播放的视频：%(titles)s。请上传视频并等转码完成后再提交。",
                          titles="、".join(f"《{lesson.title}》" for lesson in unplayable)))
    if not resource.summary:
        problems.append(_("请填写简介。"))
    if not resource.categories:
        problems.append(_("请至少选择一个目录分类。"))
    lessons = resource.lessons
    if not lessons and not resource.external_url:
        problems.append(_("请添加课时，或填写外部链接。"))
    if resource.kind == ResourceKind.micro_course and lessons:
        if len(lessons) != 1:
            problems.append(_("微课只能有一个课时。"))
        elif (lessons[0].duration_s or 0) > MICRO_COURSE_MAX_S:
            problems.append(_("微课时长不能超过15分钟。"))
    if resource.kind == ResourceKind.course and lessons and any(lesson.unit_id is None for lesson in lessons):
        problems.append(_("网络课程的每个课时都要放在某一章下。"))
    return problems


def _expect(resource: Resource, allowed: set[ResourceStatus] | frozenset[ResourceStatus]) -> None:
    if resource.status not in allowed:
        raise Conflict(_("资源当前状态不允许这个操作。"), code="bad_status")


def _reason(comment: str, field: str = "comment") -> str:
    comment = (comment or "").strip()
    if not comment or len(comment) > 1000:
        raise Invalid(_("请填写原因（最多1000字）。"), fields={field: _("请填写原因（最多1000字）。")})
    return comment


def submit(session: Session, actor: Any, resource: Resource, comment: str = "") -> Resource:
    require(actor, "resource.submit", resource)
    _expect(resource, EDITABLE)
    problems = publishing_problems(resource)
    if problems:
        raise Invalid(" ".join(problems), code="not_ready")
    record(session, resource, actor, "submit", ResourceStatus.submitted, (comment or "").strip()[:1000])
    return _done(session, resource)


def submission(resource: Resource) -> int | None:
    """Which submission a reviewer is looking at: its latest "submit" step (a withdrawal, an edit and a new submission
    make another)."""
    return max((step.id for step in resource.transitions if step.action == "submit" and step.id is not None),
               default=None)


def review(session: Session, actor: Any, resource: Resource, decision: str, comment: str = "",
           seen: int | None = None) -> Resource:
    """遴选: "select" publishes into the open directory; "return" sends it back with a comment. `seen`: the submission
    (`submission`) the reviewer's page showed; a decision on another is refused, so nothing is published unseen (the
    author withdrew, changed and resubmitted it between the reviewer's opening the page and deciding)."""
    require(actor, "resource.review", resource)
    _expect(resource, {ResourceStatus.submitted})
    if seen is not None and seen != submission(resource):
        raise Conflict(_("这个资源在您打开审核页后被撤回、修改并重新提交了，请重新查看内容后再审核。"),
                       code="resubmitted")
    if decision == "select":
        problems = publishing_problems(resource)
        if problems:
            raise Invalid(" ".join(problems), code="not_ready")
        record(session, resource, actor, "select", ResourceStatus.published, (comment or "").strip()[:1000])
        republished = resource.published_at is not None
        resource.published_at = utcnow()
        if republished:  # its learners hear of the change (learning listens; the catalog never imports it)
            session.flush()
            events.announce(session, events.RESOURCE_REPUBLISHED, resource.id, durable=False)
    elif decision == "return":
        record(session, resource, actor, "return", ResourceStatus.returned, _reason(comment))
    else:
        raise Invalid(_("请选择审核结果。"), fields={"decision": _("请选择审核结果。")})
    return _done(session, resource)


def unpublish(session: Session, actor: Any, resource: Resource, reason: str) -> Resource:
    require(actor, "resource.unpublish", resource)
    _expect(resource, {ResourceStatus.published})
    record(session, resource, actor, "unpublish", ResourceStatus.unpublished, _reason(reason))
    return _done(session, resource)


def withdraw(session: Session, actor: Any, resource: Resource, reason: str) -> Resource:
    require(actor, "resource.withdraw", resource)
    _expect(resource, {ResourceStatus.submitted, ResourceStatus.published})
    record(session, resource, actor, "withdraw", ResourceStatus.withdrawn, _reason(reason))
    return _done(session, resource)


def _done(session: Session, resource: Resource) -> Resource:
    resource.updated_at = utcnow()
    session.flush()
    outbox.emit(session, "resource", resource.id)
    return resource


def history(session: Session, resource: Resource) -> list[ResourceTransition]:
    return list(session.scalars(select(ResourceTransition).where(ResourceTransition.resource_id == resource.id)
                                .order_by(ResourceTransition.id)))


def review_queue(session: Session, actor: Any) -> list[Resource]:
    """Submitted resources this user may review, oldest first."""
    query = (select(Resource).where(Resource.status == ResourceStatus.submitted)
             .options(selectinload(Resource.provider), selectinload(Resource.transitions))
             .order_by(Resource.updated_at))
    return [r for r in session.scalars(query) if can(actor, "resource.review", r)]


def provider_orgs(actor: Any) -> list[Organisation]:
    """The organisations this user authors resources for (their own staff memberships)."""
    return scope.orgs_of(actor, action="resource.create")


def resources_of(session: Session, orgs: list[Organisation]) -> list[Resource]:
    """The resources these organisations provide or co-author (校企合作, accepted), latest change first."""
    if not orgs:
        return []
    coauthored = select(ResourceCoauthor.resource_id).where(
        ResourceCoauthor.org_id.in_([o.id for o in orgs]), ResourceCoauthor.accepted_at.is_not(None))
    return list(session.scalars(select(Resource).where(
        or_(Resource.provider_id.in_([o.id for o in orgs]), Resource.id.in_(coauthored)))
        .options(selectinload(Resource.provider)).order_by(Resource.updated_at.desc())))
