"""Learners whose heartbeats the trust rules refused again and again (counted on each enrolment by
learning.heartbeats), for the staff of the organisation running the course and for site admins to review."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.accounts import scope
from app.accounts.policy import can, is_admin
from app.errors import Forbidden
from catalog.models import Resource
from learning.models import Enrolment

REVIEW_AFTER = 3  # refusals on one enrolment before the learner is listed: one or two happen to honest phones
LISTED = 500


def listed(session: Session, actor: Any, least: int = REVIEW_AFTER) -> list[Enrolment]:
    """Enrolments with at least `least` refusals in the courses `actor` may review, most refused first."""
    if not is_admin(actor) and not scope.acts_for_any(actor, "progress.review"):
        raise Forbidden(_("您没有权限进行此操作。"), code="forbidden")
    found = session.scalars(
        select(Enrolment).where(Enrolment.refusals >= least)
        .options(joinedload(Enrolment.resource).joinedload(Resource.provider), joinedload(Enrolment.user))
        .order_by(Enrolment.refusals.desc(), Enrolment.last_refused_at.desc()).limit(LISTED)).all()
    return [row for row in found if can(actor, "progress.review", row.resource.provider)]
