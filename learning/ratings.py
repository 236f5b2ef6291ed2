"""The one-tap rating of a finished course (1-5 and an optional comment). Teaching quality
(programme/voice/surveys.py) counts it with the survey answers, once per person and course."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.db import insert_ignore
from app.errors import Conflict, Invalid
from app.richtext import markdown_source
from catalog.models import Resource
from learning.enrolment import enrolment_of
from learning.qa_models import CourseRating

COMMENT_MAX = 500


def author_ids(resource: Resource) -> set[int]:
    """The organisations answerable for a course: its provider and its co-authors (校企合作), invited ones too:
    an invitation is already a partnership, and accepting after rating would otherwise keep the vote."""
    return {resource.provider_id, *(row.org_id for row in resource.coauthors)}


def refuse_own_provider(user: Any, org_ids: set[int]) -> None:
    """Teaching quality is a public ranking of providers: their own staff (each account their admin appoints) rating
    their own courses had put a provider first. Checked by every rating and survey answer, whatever the path."""
    if any(m.organisation_id in org_ids and m.role != Role.worker for m in getattr(user, "memberships", ()) or ()):
        raise Conflict(_("您是这门课程（或这个项目）的提供单位或合作单位的工作人员，不能评价它。"), code="own_provider")


def rating_of(session: Session, user_id: int, resource_id: int) -> CourseRating | None:
    return session.scalar(select(CourseRating).where(CourseRating.user_id == user_id,
                                                     CourseRating.resource_id == resource_id))


def rate(session: Session, user: Any, resource_id: int, stars: Any, comment: Any = "") -> CourseRating:
    """Only after finishing (the enrolment stamped complete); rating again changes the person's one rating."""
    try:
        score = int(stars)
    except (TypeError, ValueError):
        score = 0
    text = markdown_source(comment)
    errors = {}
    if not 1 <= score <= 5:
        errors["stars"] = _("请选择1到5颗星。")
    if len(text) > COMMENT_MAX:
        errors["comment"] = _("意见最多%(n)d字。", n=COMMENT_MAX)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    if (resource := session.get(Resource, resource_id)) is not None:
        refuse_own_provider(user, author_ids(resource))
    found = enrolment_of(session, user.id, resource_id)
    if found is None or found.completed_at is None:
        raise Invalid(_("学完这门课程后才能评分。"), code="not_finished")
    # a double tap races: the unique key decides which request inserts, the other changes that one row (a read,
    # then an insert, made the second tap an IntegrityError: a 500)
    insert_ignore(session, CourseRating, {"user_id": user.id, "resource_id": resource_id, "stars": score,
                                          "comment": text}, ["user_id", "resource_id"])
    rating = rating_of(session, user.id, resource_id)
    assert rating is not None  # inserted above, or there already
    rating.stars, rating.comment = score, text
    session.flush()
    return rating
