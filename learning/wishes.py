"""我想学: workers ask for a topic or trade the catalog lacks and vote (once each); the unions see the wishes of
their area ranked by votes; an institution answers a wish with one of its published courses and every wisher is
told (issue 24 item 5).

Nothing checks that the course fits the wish, so an enterprise had closed every wish with its advert, telling every
voter: answers are limited per organisation (ANSWER_MAX a day), and the area's union clears a wrong one (`clear`),
which reopens the wish. A cleared answer keeps `answered_by_id` and `answered_at` (it still counts in that
organisation's limit until another answer replaces them), and a WishClearedAnswer row per cleared organisation: none
of them may answer the wish again, however many were cleared after it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import notifications, throttle
from app.accounts import scope
from app.accounts.models import Organisation, Role
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.notifications.kinds import WISH
from app.richtext import markdown_source
from app.text import clean_text
from catalog.models import Resource
from learning.qa_models import Wish, WishClearedAnswer, WishVote

TITLE_MAX, DETAIL_MAX = 80, 500
WISH_MAX, WISH_WINDOW = 5, timedelta(days=1)
ANSWER_MAX, ANSWER_WINDOW = 5, timedelta(days=1)  # answers per organisation


def make(session: Session, user: Any, title: Any, detail: Any = "") -> Wish:
    """A new wish in the asker's union's area, with the asker's own vote."""
    name, text = clean_text(str(title or "")), markdown_source(detail)
    errors = {}
    if not name or len(name) > TITLE_MAX:
        errors["title"] = _("请写下想学的内容（最多%(n)d字）。", n=TITLE_MAX)
    if len(text) > DETAIL_MAX:
        errors["detail"] = _("说明最多%(n)d字。", n=DETAIL_MAX)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    throttle.check(session, Wish.created_at, Wish.asker_id, user.id, WISH_MAX, WISH_WINDOW, utcnow(),
                   lambda m: _("提交太频繁，请%(m)d分钟后再试。", m=m), "too_many_wishes")
    profile = getattr(user, "profile", None)
    wish = Wish(title=name, detail=text, asker_id=user.id, union_id=profile.union_id if profile else None)
    session.add(wish)
    session.flush()
    vote(session, user, wish)
    return wish


def get(session: Session, wish_id: int) -> Wish:
    wish = session.get(Wish, wish_id)
    if wish is None:
        raise NotFound(_("心愿不存在。"), code="wish_not_found")
    return wish


def vote(session: Session, user: Any, wish: Wish) -> bool:
    """One vote per person; False when they had voted already (nothing changes)."""
    try:
        with session.begin_nested():  # a double tap races; the primary key decides
            session.add(WishVote(wish_id=wish.id, user_id=user.id))
    except IntegrityError:
        return False
    wish.votes += 1
    session.flush()
    return True


def voted_ids(session: Session, user: Any) -> set[int]:
    return set(session.scalars(select(WishVote.wish_id).where(WishVote.user_id == user.id)))


def ranked(session: Session, *, open_only: bool = False, limit: int = 100) -> list[Wish]:
    """Every wish, most votes first (the workers' list)."""
    query = select(Wish).options(selectinload(Wish.resource), selectinload(Wish.union))
    if open_only:
        query = query.where(Wish.resource_id.is_(None))
    return list(session.scalars(query.order_by(Wish.votes.desc(), Wish.id).limit(limit)))


def in_area(session: Session, user: Any, *, limit: int = 200) -> list[Wish]:
    """The wishes of the unions this person is union staff of (and those below), most votes first."""
    area = scope.below_own_unions(user)
    if area is None:
        return []
    return list(session.scalars(select(Wish).join(Organisation, Organisation.id == Wish.union_id).where(area)
                                .options(selectinload(Wish.resource), selectinload(Wish.union))
                                .order_by(Wish.votes.desc(), Wish.id).limit(limit)))


def answer(session: Session, user: Any, wish: Wish, resource_id: Any) -> Wish:
    """An institution links one of its published courses; every wisher is told."""
    try:
        resource = session.get(Resource, int(resource_id))
    except (TypeError, ValueError):
        resource = None
    if resource is None or not resource.is_published:
        raise Invalid(_("请选择一门已发布的课程。"), fields={"resource": _("请选择一门已发布的课程。")})
    require(user, "wish.answer", resource)
    if wish.resource_id is not None:  # another institution took an answered wish's voters (a review's attack)
        raise Conflict(_("这个心愿已经有课程回应了。"), code="wish_answered")
    if wish.answered_by_id == resource.provider_id or session.get(  # its answer is gone: the latest, or one before
            WishClearedAnswer, (wish.id, resource.provider_id)) is not None:
        raise Conflict(_("工会已撤销本单位对这个心愿的回应，不能再次回应。"), code="wish_answer_cleared")
    throttle.check(session, Wish.answered_at, Wish.answered_by_id, resource.provider_id, ANSWER_MAX, ANSWER_WINDOW,
                   utcnow(), lambda m: _("回应太频繁，请%(m)d分钟后再试。", m=m), "too_many_wish_answers",
                   holder=Organisation)
    taken = session.execute(update(Wish).where(Wish.id == wish.id, Wish.resource_id.is_(None)).values(
        resource_id=resource.id, answered_by_id=resource.provider_id, answered_at=utcnow())
        .execution_options(synchronize_session=False))
    if cast(CursorResult[Any], taken).rowcount != 1:  # two organisations at once: one answer, its voters told once
        raise Conflict(_("这个心愿已经有课程回应了。"), code="wish_answered")
    session.refresh(wish)
    title = _("你想学的“%(w)s”有课了：《%(t)s》", w=wish.title, t=resource.title)
    for voter in session.scalars(select(WishVote.user_id).where(WishVote.wish_id == wish.id)):
        notifications.notify(session, voter, WISH, title, f"/catalog/r/{resource.id}")
    return wish


def may_clear(session: Session, user: Any, wish: Wish) -> bool:
    """Staff of the wish's union or a union above it: those whose area page (`in_area`) lists the wish (and site
    admins)."""
    if can(user, "admin.site"):
        return True
    area = scope.below_own_unions(user)
    return area is not None and wish.union_id is not None and session.scalar(
        select(Organisation.id).where(Organisation.id == wish.union_id, area)) is not None


def clear(session: Session, user: Any, wish: Wish) -> Wish:
    """The area's union takes back an answer that does not fit: the wish is open again for a real course, and the
    cleared answerer is recorded, never to answer it again (see the module's docstring). Clearing an open wish
    changes nothing."""
    if not may_clear(session, user, wish):
        raise Forbidden(_("您没有权限进行此操作。"), code="forbidden")
    if wish.resource_id is not None and wish.answered_by_id is not None:
        try:
            with session.begin_nested():  # two clears at once: the primary key keeps one row
                session.add(WishClearedAnswer(wish_id=wish.id, org_id=wish.answered_by_id))
        except IntegrityError:
            pass
    wish.resource = None
    session.flush()
    return wish


def answerable(session: Session, user: Any) -> list[Resource]:
    """The published courses this person may answer a wish with (their institutions' and enterprises')."""
    orgs = scope.org_ids_of(user, roles=(Role.institution_staff, Role.enterprise_staff))
    if not orgs:
        return []
    return [r for r in session.scalars(select(Resource).where(Resource.provider_id.in_(orgs))
                                       .order_by(Resource.title).limit(300)) if r.is_published]
