"""Learning pages: one-tap enrolment, 我的学习 (served at /learning by main.learning), the study page of a
lesson (player or text with progress tracking and the offline queue), external-lesson confirmation,
and the quiz (take; author). Thin: read the request, call a service, commit once, render."""

from __future__ import annotations

from collections.abc import Hashable

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import person_tokens, sharedparts
from app.accounts.policy import can
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.lookup import get_or_raise
from catalog import service as catalog_service
from catalog import union_catalogs
from catalog.models import Lesson, LessonType
from learning import completion, devices, enrolment, habits, questions, quizzes, ratings, refusals

bp = Blueprint("learning", __name__, url_prefix="/learning", template_folder="templates")
# a resource's title where the viewer may read it, else its number (the question page of a withdrawn course's)
bp.add_app_template_global(union_catalogs.shown_title, "shown_title")
bp.add_app_template_global(union_catalogs.withheld_label, "withheld_label")
HEARTBEAT_SECONDS = 15


def mine_page():
    """我的学习: resources in progress with 继续学习, then the completed ones.

    On SQLite (one host) the content is kept per the learner's change token (app.person_tokens: it moves after any
    commit writing their enrolments, progress, plan or study days), the shared parts' generation (course titles and
    lessons), the Beijing day (the streak's week) and the URLs' root: opened again with nothing changed, the page
    reads no row. On PostgreSQL the site may run on several hosts with no shared disk for the tokens, and a
    heartbeat sent to another host would not move this host's: the learner's rows are read on every request."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    user_id = current_user.id
    version = mine_version(user_id)
    if version is None:
        body = _mine_body(user_id)
    else:  # everything in the key is read before the page is made: a change committed meanwhile is not hidden
        body = person_tokens.kept(("learning.mine", user_id, version, request.script_root),
                                  lambda: _mine_body(user_id))
    return render_template("learning/mine.html", body=body)


def mine_version(user_id: int) -> Hashable | None:
    """What 我的学习 is made from (the learner's change token, the shared parts' generation, the Beijing day), or
    None where no token is kept (PostgreSQL): the page above, and the whole page answered beneath Flask once kept
    (app/viewer_pages.py), are kept under it."""
    tokens = person_tokens.tokens()
    if tokens is None:
        return None
    return tokens.token(user_id), sharedparts.shared_generation(), habits.study_day(utcnow())


def _mine_body(user_id: int) -> Markup:
    """The page's content from the learner's rows, read now."""
    # the courses' titles and lessons are the same for every learner: kept until the catalog changes (one query
    # for those not kept yet; a withdrawal is a change, so a withdrawn course's withheld title shows at once)
    rows = enrolment.my_learning(db.session, user_id, outlines=lambda ids: sharedparts.shared_many(
        "learning.outline", ids, lambda missing: enrolment.learner_outlines(db.session, missing)))
    streak = habits.streak_for(db.session, user_id)
    # made from these values only: kept per the values themselves too (and the URLs' root), so rows read again
    # unchanged (PostgreSQL; a write that changed nothing shown) are not rendered again
    active, done = [r for r in rows if not r.enrolment.completed_at], [r for r in rows if r.enrolment.completed_at]
    return sharedparts.personal(("learning.mine", user_id, request.script_root, tuple(rows), streak),
                                lambda: Markup(render_template(  # noqa: S704 - an autoescaping template
                                    "learning/_mine_body.html", active=active, done=done, streak=streak)))


def _lesson_url(lesson: Lesson | None, resource_id: int, position_s: float = 0, play: bool = False) -> str:
    """`play`: the learner tapped 立即学习 / 继续学习, so the lesson starts playing without another tap."""
    if lesson is None:
        return url_for("catalog.resource", resource_id=resource_id)
    return url_for("learning.lesson", lesson_id=lesson.id, t=int(position_s) or None, play=1 if play else None)


def study_page_for_learners():
    """Enrolled learners opening a lesson from the catalog go to the study page, where progress is recorded;
    everyone else keeps the catalog's preview (registered as a before_request hook by learning.init_app)."""
    if request.endpoint != "catalog.lesson" or not current_user.is_authenticated or not request.view_args:
        return None
    resource_id, lesson_id = request.view_args.get("resource_id"), request.view_args.get("lesson_id")
    if enrolment.enrolment_of(db.session, current_user.id, resource_id) is None:
        return None
    return redirect(url_for("learning.lesson", lesson_id=lesson_id))


@bp.post("/enrol/<int:resource_id>")
@login_required
def enrol(resource_id: int):
    found, created = enrolment.enrol(db.session, current_user, resource_id,
                                     devices.device_class(request.headers.get("User-Agent")))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":  # the player enrolling on the first play
        return jsonify({"enrolled": True, "created": created})
    if created:
        flash(_("报名成功，开始学习吧。"), "success")
    lesson, position = enrolment.resume_point(found)
    return redirect(_lesson_url(lesson, resource_id, position, play=True))


@bp.get("/r/<int:resource_id>/continue")
@login_required
def resume(resource_id: int):
    """继续学习: the exact lesson and second of the newest heartbeat, from any device."""
    found = enrolment.enrolment_of(db.session, current_user.id, resource_id)
    if found is None:
        return redirect(url_for("catalog.resource", resource_id=resource_id))
    lesson, position = enrolment.resume_point(found)
    return redirect(_lesson_url(lesson, resource_id, position, play=True))


@bp.get("/lessons/<int:lesson_id>")
@login_required
def lesson(lesson_id: int):
    current = get_or_raise(db.session, Lesson, lesson_id, _("课时不存在。"))
    resource = catalog_service.visible_resource(db.session, current_user, current.resource_id)
    found = enrolment.enrolment_of(db.session, current_user.id, resource.id)
    if found is None and not (current.type == LessonType.video and resource.is_published):
        flash(_("请先报名，学习进度才会被记录。"), "info")
        return redirect(url_for("catalog.resource", resource_id=resource.id))
    # Not enrolled in a published video course: the page shows the lesson and the first play enrols.
    states = enrolment.lesson_states(db.session, current_user.id, resource.id)
    state = states.get(current.id)
    start = request.args.get("t", type=float)
    resume = start if start is not None and start >= 0 else (state.position_s if state else 0)
    index = resource.lessons.index(current)
    quiz = quizzes.quiz_of(db.session, resource.id)
    return render_template(
        "learning/lesson.html", resource=resource, lesson=current, state=state, states=states, resume=resume,
        enrolment=found, interval=HEARTBEAT_SECONDS, quiz=quiz if quiz and quiz.questions else None,
        rules=completion.rules_for(db.session, resource.id),
        lesson_questions=questions.on_lesson(db.session, current_user, current),
        my_rating=ratings.rating_of(db.session, current_user.id, resource.id) if found and found.completed_at else None,
        # ?play=1 (after 立即学习 / 继续学习) plays at once only when enrolled: a link must not enrol anyone
        # without a tap, so the not-enrolled learner's tap on ▶ is the one that enrols.
        autoplay=found is not None and request.args.get("play") == "1",
        previous=resource.lessons[index - 1] if index > 0 else None,
        following=resource.lessons[index + 1] if index + 1 < len(resource.lessons) else None)


@bp.post("/lessons/<int:lesson_id>/confirm")
@login_required
def confirm(lesson_id: int):
    current = get_or_raise(db.session, Lesson, lesson_id, _("课时不存在。"))
    if enrolment.enrolment_of(db.session, current_user.id, current.resource_id) is None:
        raise NotFound(_("请先报名学习这门课程。"), code="not_enrolled")
    completion.confirm_external(db.session, current_user.id, current)
    db.session.commit()
    flash(_("已记录：本课已完成。"), "success")
    return redirect(url_for("learning.lesson", lesson_id=lesson_id))


@bp.route("/r/<int:resource_id>/quiz", methods=["GET", "POST"])
@login_required
def quiz(resource_id: int):
    resource = catalog_service.visible_resource(db.session, current_user, resource_id)
    found = quizzes.quiz_of(db.session, resource_id)
    if found is None or not found.questions:
        raise NotFound(_("这门课程没有测验。"), code="quiz_not_found")
    errors, attempt = {}, None
    if request.method == "POST":
        answers = [request.form.get(f"q{i}", "") for i in range(1, len(found.questions) + 1)]
        try:
            attempt = quizzes.submit(db.session, current_user.id, found, answers)
            db.session.commit()
        except Invalid as err:
            db.session.rollback()
            flash(err.message, "error")
            errors = err.fields
    return render_template("learning/quiz.html", resource=resource, quiz=found, attempt=attempt, errors=errors,
                           enrolled=enrolment.enrolment_of(db.session, current_user.id, resource_id) is not None)


@bp.route("/r/<int:resource_id>/quiz/edit", methods=["GET", "POST"])
@login_required
def edit_quiz(resource_id: int):
    resource = catalog_service.get_resource(db.session, resource_id)
    if not can(current_user, "resource.edit", resource):
        raise NotFound(_("资源不存在或已被删除。"))
    found = quizzes.quiz_of(db.session, resource_id)
    rules = completion.rules_for(db.session, resource_id)
    values = {"title": found.title if found else _("课后测验"), "pass_mark": str(found.pass_mark if found else 60),
              "questions": quizzes.as_text(found), "completion_percent": "%g" % (rules.completion_ratio * 100),
              "min_read_s": str(rules.min_read_s)}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {key: request.form.get(key, "") for key in values}
        try:
            quizzes.save_settings(db.session, current_user, resource, values)
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("learning.edit_quiz", resource_id=resource_id))
        except (Invalid, Conflict) as err:  # a published resource's: shown locked below, what was typed kept
            db.session.rollback()
            flash(err.message, "error")
            errors, status = err.fields, err.status
    return render_template("learning/quiz_edit.html", resource=resource, values=values, errors=errors,
                           locked=not completion.may_change_rules(current_user, resource)), status


@bp.get("/review/refusals")
@login_required
def refused():
    """Staff: learners whose progress heartbeats were refused repeatedly (a forged or broken player), by course."""
    return render_template("learning/refusals.html", rows=refusals.listed(db.session, current_user),
                           least=refusals.REVIEW_AFTER)
