"""What the catalog's resource page shows about learning, as template globals (catalog never imports learning):
`enrol_box(resource, lessons, can_author, generation)` -> the box's HTML (learning/_enrol.html), which asks
`learning_box(resource, lessons, can_author, progress)` -> enrolled or not, how far, where 继续学习 goes; and the
page's part that is the viewer's own when it is answered beneath Flask (`resource_own`)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from flask import current_app, render_template, request, url_for
from markupsafe import Markup

from app import person_tokens, sharedparts
from app.extensions import csrf, db
from app.sharedparts import MISSING
from app.viewer_pages import Own, Viewer, note_piece
from app.web import current_user_or_none
from catalog.models import LessonType
from catalog.views import kept_lessons, kept_rights
from learning import enrolment
from learning.completion import required_of


def _first_lesson_url(resource: Any, lessons: Sequence[Any]) -> str:
    """Where a visitor lands after signing in from 立即学习: the first video lesson, playing (its first play
    enrols); for a course that starts otherwise, back to this page."""
    if lessons and lessons[0].type == LessonType.video:
        return url_for("learning.lesson", lesson_id=lessons[0].id, play=1)
    return url_for("catalog.resource", resource_id=resource.id)


def _state_key(user_id: int, token: int) -> Hashable:
    """Where a learner's state is kept (`_enrolled_state`) under their change token."""
    return "learning.state", user_id, token


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
    courses, lessons = person_tokens.kept(_state_key(user_id, tokens.token(user_id)),
                                          lambda: enrolment.learner_state(db.session, user_id))
    return resource_id in courses, courses.get(resource_id), lessons


class Progress(NamedTuple):
    """What the enrol box shows of a learner's progress in a course."""
    enrolled: bool
    completed: bool
    done: int  # required lessons completed
    total: int  # required lessons


def _progress(enrolled: bool, completed_at: datetime | None, completed: frozenset[int],
              lessons: Sequence[Any]) -> Progress:
    if not enrolled:
        return Progress(False, False, 0, 0)
    required = required_of(lessons)
    return Progress(True, completed_at is not None, sum(1 for lesson in required if lesson.id in completed),
                    len(required))


def learning_box(resource: Any, lessons: Sequence[Any], can_author: bool = False,
                 progress: Progress | None = None) -> dict[str, Any]:
    """`resource`: what the page shows of it (its id, whether published); `lessons`: its lessons in order, rows or
    `catalog.service.LessonOutline`s (id, type, required), which the page keeps with its shared part;
    `can_author`: whether the viewer may edit it (the page asked the policy: "resource.edit"); `progress`: the
    signed-in learner's, when the caller has it (`enrol_box`)."""
    box = {"enrolled": False, "completed": False, "published": resource.is_published, "can_author": can_author}
    user = current_user_or_none()  # the user itself, not through the proxy
    if user is None:
        return {**box, "first_url": _first_lesson_url(resource, lessons)}
    enrolled, completed, done, total = progress or _progress(*_enrolled_state(user.id, resource.id), lessons)
    if not enrolled:
        return box
    return {**box, "enrolled": True, "completed": completed, "done": done, "total": total}


def enrol_box(resource: Any, lessons: Sequence[Any], can_author: bool = False, generation: Any = None) -> Markup:
    """The enrol box's HTML. For a signed-in learner on a kept page (`generation`: what the page's shared part was
    made under, read before it) it is made from exactly what it shows: the resource under that generation, the
    viewer's right to author it, the learner's `Progress` (from their state kept per change token), the session's
    form token and the language. So it is kept by those values (app.sharedparts.personal) with the form token cut
    out, the same for every learner as far along: a page opened again, or another learner's, renders none of it
    (the box was a tenth of a kept resource page's CPU, bench/README.md), and a resource's page answered beneath
    Flask (`resource_own`) puts this session's token back. Anyone else's is rendered every time."""

    def render(progress: Progress | None) -> Markup:  # the template's own output, autoescaped
        return Markup(render_template("learning/_enrol.html", resource=resource, lessons=lessons,  # noqa: S704
                                      can_edit=can_author, progress=progress))

    user, tokens = current_user_or_none(), person_tokens.tokens()
    if user is None or tokens is None or generation is None:
        return render(None)
    progress = _progress(*_enrolled_state(user.id, resource.id), lessons)
    form = csrf.token()  # this session's (a session without a value gets one), signed with the current key
    key = _box_key(resource.id, generation, can_author, progress, request.script_root)
    parts = sharedparts.personal(key, lambda: tuple(render(progress).split(form)))
    return note_piece(_with_token(parts, form))


def _with_token(parts: tuple[str, ...], form: str) -> Markup:
    """A kept box (its HTML cut around the form token) with this session's form token put back."""
    return Markup.escape(form).join(parts)


def _box_key(resource_id: int, generation: Hashable, can_author: bool, progress: Progress, root: str) -> Hashable:
    return "learning.enrol_box", resource_id, generation, can_author, progress, root


def resource_own(viewer: Viewer) -> Own | None:
    """A published resource's page answered beneath Flask (app/viewer_pages.py): the page is the same for every
    viewer with the same rights on it (the key), but for the enrol box, the learner's own piece, made from what
    `enrol_box` keeps: the resource's lessons as its page keeps them, the learner's state under their change
    token, the box for their progress, and the session's form token. None (Flask answers, nothing kept): on
    PostgreSQL (no change tokens), for a session without a form value; no key before Flask has asked the policy
    about this standing and resource, no pieces while one of them is not kept (Flask answers, keeping them)."""
    tokens, field = person_tokens.tokens(), current_app.config["WTF_CSRF_FIELD_NAME"]
    if tokens is None or field not in viewer.session:
        return None
    resource_id = viewer.args["resource_id"]
    token = tokens.token(viewer.user_id)  # read before the state, as `_enrolled_state` reads it
    rights = kept_rights(viewer.user_id, viewer.rest, resource_id, viewer.generation, viewer.locale)
    if rights is None:
        return Own(None, None)  # Flask's view asks the policy, keeping the answer
    lessons = kept_lessons(resource_id, viewer.host_url, viewer.locale)
    state = person_tokens.peek(_state_key(viewer.user_id, token), viewer.locale)
    form = csrf.reusable(viewer.session[field])
    if lessons is None or state is MISSING or form is None:
        return Own(rights, None)
    courses, completed = state
    progress = _progress(resource_id in courses, courses.get(resource_id), completed, lessons)
    parts = current_app.extensions["personal_parts"].peek(  # as sharedparts.personal keeps it
        (_box_key(resource_id, viewer.generation, rights.edit, progress, viewer.root), viewer.locale))
    return Own(rights, None if parts is MISSING else (str(_with_token(parts, form)),))
