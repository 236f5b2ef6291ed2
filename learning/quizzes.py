"""Multiple-choice quizzes: authored by the resource's provider (policy `resource.edit`), taken by enrolled
learners. A pass is required before the resource completes; every attempt is kept.

Authoring uses one plain-text format, one question per block separated by a blank line, the right choice
marked with `*`:

    安全电压一般不超过多少伏？
    *36伏
    110伏
    220伏
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import hold_row, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.text import is_digits
from catalog.models import Resource
from learning import completion
from learning.enrolment import enrolment_of
from learning.models import Quiz, QuizAttempt, QuizQuestion

MAX_QUESTIONS = 50
MAX_CHOICES = 6


def quiz_of(session: Session, resource_id: int) -> Quiz | None:
    return session.scalar(select(Quiz).where(Quiz.resource_id == resource_id))


def parse_questions(text: str) -> tuple[list[tuple[str, list[str], int]], list[str]]:
    """(questions, problems): every problem found at once, numbered as the author sees them."""
    blocks = [b for b in (block.strip() for block in text.replace("\r\n", "\n").split("\n\n")) if b]
    questions, problems = [], []
    for number, block in enumerate(blocks, 1):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        prompt, options = lines[0], lines[1:]
        marked = [i for i, option in enumerate(options) if option.startswith("*")]
        choices = [option.lstrip("*").strip() for option in options]
        if not 2 <= len(choices) <= MAX_CHOICES or not all(choices):
            problems.append(_("第%(n)d题需要2到%(m)d个选项。", n=number, m=MAX_CHOICES))
        elif len(marked) != 1:
            problems.append(_("第%(n)d题要用 * 标出唯一的正确选项。", n=number))
        elif len(prompt) > 1000 or any(len(c) > 300 for c in choices):
            problems.append(_("第%(n)d题的题目或选项太长。", n=number))
        else:
            questions.append((prompt, choices, marked[0]))
    if not blocks:
        problems.append(_("请至少写一道题。"))
    if len(blocks) > MAX_QUESTIONS:
        problems.append(_("最多%(n)d道题。", n=MAX_QUESTIONS))
    return questions, problems


def as_text(quiz: Quiz | None) -> str:
    if quiz is None:
        return ""
    return "\n\n".join("\n".join([q.text, *(("*" if i == q.answer else "") + c for i, c in enumerate(q.choices))])
                       for q in quiz.questions)


def save_quiz(session: Session, actor: Any, resource: Resource, raw: dict[str, str]) -> Quiz:
    """Create or replace the quiz (validate everything first, then write; who may: completion.may_change_rules)."""
    completion.require_rules_change(actor, resource)
    errors: dict[str, str] = {}
    title = (raw.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("请填写测验名称（200字以内）。")
    try:
        pass_mark = int(raw.get("pass_mark", ""))
        if not 1 <= pass_mark <= 100:
            raise ValueError
    except ValueError:
        errors["pass_mark"] = _("及格线请填写1到100之间的整数（百分比）。")
    questions, problems = parse_questions(raw.get("questions", ""))
    if problems:
        errors["questions"] = " ".join(problems)
    if errors:
        raise Invalid(_("测验有误，请按提示修改。"), fields=errors)
    quiz = quiz_of(session, resource.id) or Quiz(resource_id=resource.id)
    quiz.title, quiz.pass_mark = title, pass_mark
    quiz.questions = [QuizQuestion(position=i, text=q, choices=c, answer=a) for i, (q, c, a) in enumerate(questions)]
    session.add(quiz)
    session.flush()
    return quiz


def save_settings(session: Session, actor: Any, resource: Resource, values: dict[str, str]) -> None:
    """The authoring page: completion rules and the quiz, every field's problem reported at once (the
    caller rolls back on Invalid). An empty question box leaves the quiz as it is."""
    completion.require_rules_change(actor, resource)
    errors: dict[str, str] = {}
    steps: list[Callable[[], object]] = [
        lambda: completion.save_rules(session, actor, resource, values.get("completion_percent", ""),
                                      values.get("min_read_s", ""))]
    if values.get("questions", "").strip():
        steps.append(lambda: save_quiz(session, actor, resource, values))
    for step in steps:
        try:
            step()
        except Invalid as err:
            errors.update(err.fields)
    if errors:
        raise Invalid(_("有几处需要修改，请按提示修改。"), fields=errors)


ATTEMPTS_PER_DAY = 5


def _limit_attempts(session: Session, user_id: int, quiz: Quiz) -> None:
    """At most ATTEMPTS_PER_DAY scored attempts a learner a quiz in any 24 hours: with the score shown after each,
    changing one answer at a time passed a ten-question quiz in 31 tries knowing nothing (a review's attack). The
    learner's row is held until commit first: 31 attempts sent at once had all counted "none yet" before any insert."""
    hold_row(session, User, user_id)
    tried = session.scalar(select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user_id,
        QuizAttempt.at > utcnow() - timedelta(days=1))) or 0
    if tried >= ATTEMPTS_PER_DAY:
        raise Conflict(_("24小时内已经测验%(n)d次了，请明天再来试试。", n=ATTEMPTS_PER_DAY), code="quiz_attempts_used")


def submit(session: Session, user_id: int, quiz: Quiz, answers: list[str]) -> QuizAttempt:
    """Score an attempt; passing may complete the resource."""
    if enrolment_of(session, user_id, quiz.resource_id) is None:
        raise Conflict(_("请先报名学习这门课程。"), code="not_enrolled")
    completion.require_published(session, quiz.resource_id)
    if not quiz.questions:
        raise NotFound(_("这个测验还没有题目。"), code="quiz_empty")
    _limit_attempts(session, user_id, quiz)
    answers = [*answers, *[""] * len(quiz.questions)][:len(quiz.questions)]  # one answer per question
    chosen, missing = [], []
    for number, (question, answer) in enumerate(zip(quiz.questions, answers, strict=True), 1):
        picked = int(answer) if is_digits(answer) and len(answer) <= 3 else -1  # int() of 5,000 digits: a 500
        if not 0 <= picked < len(question.choices):
            missing.append(str(number))
        chosen.append(picked)
    if missing:
        raise Invalid(_("请回答第%(n)s题。", n="、".join(missing)), code="unanswered",
                      fields={f"q{n}": _("请选择一个答案。") for n in missing})
    right = sum(1 for q, a in zip(quiz.questions, chosen, strict=True) if q.answer == a)
    # the pass is decided on exact numbers, and the score shown rounded down so that it agrees with it: rounded to
    # the nearest, 2 of 3 (66.7%, shown 67) passed a 67% mark
    attempt = QuizAttempt(quiz_id=quiz.id, user_id=user_id, answers=chosen,
                          score=100 * right // len(quiz.questions),
                          passed=100 * right >= quiz.pass_mark * len(quiz.questions))
    session.add(attempt)
    session.flush()
    if attempt.passed:
        completion.check_resource(session, user_id, quiz.resource_id)
    return attempt
