"""What the catalog's resource page shows about learning, as template globals (catalog never imports learning):
`enrol_box(resource, lessons, can_author, generation)` -> the box's HTML (learning/_enrol.html), which asks
`learning_box(resource, lessons, can_author)` -> enrolled or not, how far, where 继续学习 goes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app, render_template, request, session, url_for
from markupsafe import Markup

from app import person_tokens
from app.extensions import csrf, db
from app.web import current_user_or_none
from catalog.models import LessonType
from learning import enrolment
from learning.completion import required_of


def _first_lesson_url(resource: Any, lessons: Sequence[Any]) -> str:
    """Where a visitor lands after signing in from 立即学习: the first video lesson, playing (its first play
    enrols); for a course that starts otherwise, back to this page."""
    if lessons and lessons[0].type == LessonType.video:
        return url_for("learning.lesson", lesson_id=lessons[0].id, play=1)
    return url_for("catalog.resource", resource_id=resource.id)


def _enrolled_state(user_id: int, resource_id: int) -> tuple[bool, datetime | None, frozenset[int]]:
    """Enrolled or not, when completed, and the lessons completed (of every resource: the box counts this one's).
    On SQLite, from the learner's state kept per their change token (app.person_tokens: it moves after any commit
    writing their enrolments or lesson progress, whoever wrote them), one entry per learner whatever they browse:
    a page opened with nothing of theirs changed reads no row. On PostgreSQL (no tokens) this resource's, read."""
    tokens = person_tokens.tokens()
    if tokens is None:
        enrolled, completed_at, completed = enrolment.enrolled_state(db.session, user_id, resource_id)
        return enrolled, completed_at, frozenset(completed)
    # the token is read before the rows: a change committed meanwhile moves it past this key
    courses, lessons = person_tokens.kept(("learning.state", user_id, tokens.token(user_id)),
                                          lambda: enrolment.learner_state(db.session, user_id))
    return resource_id in courses, courses.get(resource_id), lessons


def learning_box(resource: Any, lessons: Sequence[Any], can_author: bool = False) -> dict[str, Any]:
    """`resource`: what the page shows of it (its id, whether published); `lessons`: its lessons in order, rows or
    `catalog.service.LessonOutline`s (id, type, required), which the page keeps with its shared part;
    `can_author`: whether the viewer may edit it (the page asked the policy: "resource.edit")."""
    box = {"enrolled": False, "completed": False, "published": resource.is_published, "can_author": can_author}
    user = current_user_or_none()  # the user itself, not through the proxy
    if user is None:
        return {**box, "first_url": _first_lesson_url(resource, lessons)}
    enrolled, completed_at, completed = _enrolled_state(user.id, resource.id)
    if not enrolled:
        return box
    required = required_of(lessons)
    done = sum(1 for lesson in required if lesson.id in completed)
    return {**box, "enrolled": True, "completed": completed_at is not None, "done": done, "total": len(required)}


def enrol_box(resource: Any, lessons: Sequence[Any], can_author: bool = False, generation: Any = None) -> Markup:
    """The enrol box's HTML. For a signed-in learner on a kept page (`generation`: what the page's shared part was
    made under, read before it) it is kept per learner's change token, resource, rights, the session's form token
    and language (app.person_tokens, among small pieces), so a page opened again with nothing of theirs changed
    renders none of it (the box was a tenth of a kept resource page's CPU, bench/README.md); anyone else's is
    rendered every time."""

    def render() -> Markup:  # the template's own output, autoescaped
        return Markup(render_template("learning/_enrol.html", resource=resource, lessons=lessons,  # noqa: S704
                                      can_edit=can_author))

    user, tokens = current_user_or_none(), person_tokens.tokens()
    has_form_value = current_app.config["WTF_CSRF_FIELD_NAME"] in session
    if user is None or tokens is None or generation is None or not has_form_value:
        return render()  # a session without a form value gets one while rendering: never another session's
    # the learner's token is read before the box's rows (learning_box reads them under it), so a change meanwhile
    # moves it on; the form's token (this session's, signed with the current key) is the one the box holds
    key = ("learning.enrol_box", user.id, tokens.token(user.id), resource.id, generation, can_author, csrf.token(),
           request.script_root)
    return person_tokens.kept(key, render, piece=True)
