"""Pages of the learners' voice: questions and answers on a lesson, the teachers' queue of unanswered questions,
the rating of a finished course and the 我想学 wish list. Thin: read the form, call a service, commit, redirect."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from app import desk
from app.accounts import scope
from app.accounts.models import Role
from app.accounts.policy import can
from app.errors import Invalid
from app.extensions import db
from app.lookup import get_or_raise
from catalog.models import Lesson
from learning import questions, ratings, wishes

bp = Blueprint("learning_qa", __name__, url_prefix="/learning", template_folder="templates")


def _done(message: str, to: str) -> WerkzeugResponse:
    db.session.commit()
    flash(message, "success")
    return redirect(to)


def _refused(err: Invalid, to: str) -> WerkzeugResponse:
    db.session.rollback()
    flash(err.message if not err.fields else " ".join(err.fields.values()), "error")
    return redirect(to)


@bp.post("/lessons/<int:lesson_id>/questions")
@login_required
def ask(lesson_id: int) -> WerkzeugResponse:
    lesson = get_or_raise(db.session, Lesson, lesson_id, _("课时不存在。"))
    back = url_for("learning.lesson", lesson_id=lesson_id) + "#questions"
    try:
        found = questions.ask(db.session, current_user, lesson, request.form.get("body"),
                              private=request.form.get("private") == "1")
    except Invalid as err:
        return _refused(err, back)
    return _done(_("已提问，老师回答后会通知你。"), url_for("learning_qa.question", question_id=found.id))


@bp.get("/questions/<int:question_id>")
@login_required
def question(question_id: int) -> str:
    found = questions.visible_question(db.session, current_user, question_id)
    return render_template("learning/question.html", question=found,
                           answers=questions.answers_shown(current_user, found),
                           teacher=questions.may_answer(db.session, current_user, found),
                           moderator=can(current_user, "qa.moderate", found.resource))


@bp.post("/questions/<int:question_id>/answers")
@login_required
def answer(question_id: int) -> WerkzeugResponse:
    found = questions.visible_question(db.session, current_user, question_id)
    back = url_for("learning_qa.question", question_id=question_id)
    try:
        questions.answer(db.session, current_user, found, request.form.get("body"))
    except Invalid as err:
        return _refused(err, back)
    return _done(_("已回答，提问的学员会收到通知。"), back)


@bp.post("/answers/<int:answer_id>/helpful")
@login_required
def helpful(answer_id: int) -> WerkzeugResponse:
    found = questions.visible_answer(db.session, current_user, answer_id)
    back = url_for("learning_qa.question", question_id=found.question_id)
    try:
        marked = questions.mark_helpful(db.session, current_user, found)
    except Invalid as err:
        return _refused(err, back)
    return _done(_("谢谢，已标记为有帮助。") if marked else _("你已经标记过了。"), back)


@bp.post("/<any(questions, answers):kind>/<int:item_id>/report")
@login_required
def report(kind: str, item_id: int) -> WerkzeugResponse:
    item = (questions.visible_question if kind == "questions" else questions.visible_answer)(
        db.session, current_user, item_id)
    questions.report(db.session, current_user, kind[:-1], item)
    back = item.id if kind == "questions" else item.question_id  # type: ignore[union-attr]
    return _done(_("已举报，工作人员会处理。"), url_for("learning_qa.question", question_id=back))


@bp.post("/<any(questions, answers):kind>/<int:item_id>/hide")
@login_required
def hide(kind: str, item_id: int) -> WerkzeugResponse:
    item = (questions.visible_question if kind == "questions" else questions.visible_answer)(
        db.session, current_user, item_id)
    questions.hide(db.session, current_user, item, request.form.get("show") != "1")
    back = item.id if kind == "questions" else item.question_id  # type: ignore[union-attr]
    return _done(_("已更新。"), url_for("learning_qa.question", question_id=back))


@bp.get("/questions")
@login_required
def waiting() -> str:
    """The teachers' queue: unanswered questions on their institution's courses, oldest first, with their age."""
    return render_template("learning/questions_waiting.html", rows=questions.unanswered(db.session, current_user),
                           age_days=desk.age_days)


@bp.post("/r/<int:resource_id>/rating")
@login_required
def rate(resource_id: int) -> WerkzeugResponse:
    back = request.form.get("back") or url_for("main.learning")
    back = back if back.startswith("/") and not back.startswith("//") else url_for("main.learning")
    try:
        ratings.rate(db.session, current_user, resource_id, request.form.get("stars"), request.form.get("comment"))
    except Invalid as err:
        return _refused(err, back)
    return _done(_("谢谢你的评分！"), back)


@bp.get("/wishes")
@login_required
def wish_list() -> str:
    staff = bool(scope.orgs_of(current_user, roles=(Role.institution_staff, Role.enterprise_staff)))
    return render_template("learning/wishes.html", wishes=wishes.ranked(db.session),
                           voted=wishes.voted_ids(db.session, current_user),
                           courses=wishes.answerable(db.session, current_user) if staff else [],
                           union_staff=Role.union_staff in scope.roles_of(current_user))


@bp.post("/wishes")
@login_required
def wish_new() -> WerkzeugResponse:
    try:
        wishes.make(db.session, current_user, request.form.get("title"), request.form.get("detail"))
    except Invalid as err:
        return _refused(err, url_for("learning_qa.wish_list"))
    return _done(_("已提交，其他学员可以为它投票。"), url_for("learning_qa.wish_list"))


@bp.post("/wishes/<int:wish_id>/vote")
@login_required
def wish_vote(wish_id: int) -> WerkzeugResponse:
    voted = wishes.vote(db.session, current_user, wishes.get(db.session, wish_id))
    return _done(_("已投票。") if voted else _("你已经投过票了。"), url_for("learning_qa.wish_list"))


@bp.post("/wishes/<int:wish_id>/answer")
@login_required
def wish_answer(wish_id: int) -> WerkzeugResponse:
    try:
        wishes.answer(db.session, current_user, wishes.get(db.session, wish_id), request.form.get("resource"))
    except Invalid as err:
        return _refused(err, url_for("learning_qa.wish_list"))
    return _done(_("已回应，想学的学员会收到通知。"), url_for("learning_qa.wish_list"))


@bp.post("/wishes/<int:wish_id>/clear")
@login_required
def wish_clear(wish_id: int) -> WerkzeugResponse:
    """The area's union takes back an answer that does not fit (wishes.clear: the wish is open again)."""
    wishes.clear(db.session, current_user, wishes.get(db.session, wish_id))
    return _done(_("已撤销这个回应，心愿重新开放。"), url_for("learning_qa.wish_area"))


@bp.get("/wishes/area")
@login_required
def wish_area() -> str:
    """Union staff: the wishes of their area, most votes first."""
    return render_template("learning/wishes_area.html", wishes=wishes.in_area(db.session, current_user))
