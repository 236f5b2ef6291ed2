"""Limits counted, then inserted, held against requests sent at the same moment (a review): 8 quiz attempts at once
all got a score past the 5-a-day limit (each score tells how many answers were right), and 12 questions at once all
passed the 5-an-hour throttle, each notifying every teacher. The count now waits for the learner's row
(app.db.hold_row), so the sixth request counts the five before it. A barrier after the count pins the interleaving
racing requests hit: every request has counted before any inserts (with the hold, the first waits it out alone)."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import func, select

from app import throttle
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.errors import TooManyRequests
from app.extensions import db as _db
from app.notifications.models import Notification
from catalog.models import Lesson
from learning import questions, quizzes
from learning.models import Quiz, QuizAttempt
from learning.qa_models import Question
from tests import factories
from tests.programme.helpers import at_once

QUESTIONS = "安全电压一般不超过多少伏？\n*36伏\n110伏\n220伏\n\n触电后第一步？\n*切断电源\n直接用手拉开"


def _wait_after(monkeypatch, owner, name: str, together: int) -> None:
    """`owner.name` runs, then waits (up to 2 s) until `together` requests have run it."""
    all_counted, original = threading.Barrier(together, timeout=2), getattr(owner, name)

    def count_then_wait(*args, **kwargs):
        original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            all_counted.wait()

    monkeypatch.setattr(owner, name, count_then_wait)


def test_quiz_attempts_sent_at_once_get_five_scores_a_day(app, learner, monkeypatch):
    quiz = quizzes.save_quiz(_db.session, SYSTEM, learner.resource, {"title": "测验", "pass_mark": "100",
                                                                      "questions": QUESTIONS})
    _db.session.commit()
    quiz_id, user_id = quiz.id, learner.user.id
    _wait_after(monkeypatch, quizzes, "_limit_attempts", 8)

    def attempt(i: int):
        found = _db.session.get(Quiz, quiz_id)
        return lambda: quizzes.submit(_db.session, user_id, found, [str(i % 3), str(i % 2)])  # a guess each

    outcomes = at_once(app, 8, attempt)
    with app.app_context():
        scored = _db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz_id, QuizAttempt.user_id == user_id))
    assert scored == quizzes.ATTEMPTS_PER_DAY
    assert sorted(outcomes) == ["ok"] * 5 + ["quiz_attempts_used"] * 3, outcomes


def test_questions_posted_at_once_pass_five_an_hour_and_tell_the_teacher_five_times(app, learner, monkeypatch):
    teacher = factories.user("institution_staff", name="王老师")
    _db.session.commit()
    uid, lid, tid = learner.user.id, learner.resource.lessons[0].id, teacher.id
    _wait_after(monkeypatch, throttle, "check", 12)
    refused: list[str] = []

    def ask(i: int):
        user, lesson = _db.session.get(User, uid), _db.session.get(Lesson, lid)

        def act() -> None:
            try:
                questions.ask(_db.session, user, lesson, f"第{i}个问题")
            except TooManyRequests as err:  # the page's 429: nothing of this request is kept
                _db.session.rollback()
                refused.append(err.code)
        return act

    at_once(app, 12, ask)
    with app.app_context():
        asked = _db.session.scalar(select(func.count()).select_from(Question).where(Question.asker_id == uid))
        told = _db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == tid))
    assert (asked, told) == (questions.ASK_MAX, questions.ASK_MAX)
    assert refused == ["too_many_questions"] * 7
