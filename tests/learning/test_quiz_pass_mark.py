"""A quiz's pass mark ("答对 p% 及格") is decided on exact numbers, the rounded score only shown: a review found
2 of 3 right (66.7%, shown 67) passing a 67% mark, completing the course and banking its credits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.policy import SYSTEM
from app.extensions import db
from credits.models import Certificate, CreditRecord
from learning import completion, enrolment, quizzes
from tests import factories

THREE = "一？\n*对\n错\n\n二？\n*对\n错\n\n三？\n*对\n错"


def _count(model, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.user_id == user_id)) or 0


def test_two_of_three_right_does_not_pass_a_67_percent_mark(short_course):
    quiz = quizzes.save_quiz(db.session, SYSTEM, short_course, {"title": "课后测验", "pass_mark": "67",
                                                                "questions": THREE})
    user = factories.user("worker")
    enrolment.enrol(db.session, user, short_course.id)
    completion.confirm_external(db.session, user.id, short_course.lessons[0])  # every lesson done: the quiz is left
    db.session.commit()
    attempt = quizzes.submit(db.session, user.id, quiz, ["0", "0", "1"])  # 2 of 3 right: 66.7%
    db.session.commit()
    assert (attempt.passed, attempt.score) == (False, 66)  # shown rounded down: it agrees with the pass
    assert enrolment.enrolment_of(db.session, user.id, short_course.id).completed_at is None
    assert _count(Certificate, user.id) == 0 and _count(CreditRecord, user.id) == 0
    assert quizzes.submit(db.session, user.id, quiz, ["0", "0", "0"]).passed
    db.session.commit()
    assert enrolment.enrolment_of(db.session, user.id, short_course.id).completed_at is not None
    assert _count(Certificate, user.id) == 1 and _count(CreditRecord, user.id) == 1


@pytest.mark.parametrize(("total", "right", "pass_mark", "passed"), [
    (3, 2, 66, True),    # 66.7% >= 66
    (3, 1, 34, False),   # 33.3%, shown 33
    (3, 1, 33, True),
    (7, 5, 72, False),   # 71.4%, shown 71
    (7, 5, 71, True),
    (7, 6, 86, False),   # 85.7%, shown 85
    (7, 7, 100, True),
])
def test_the_pass_is_the_exact_share_right(learner, total, right, pass_mark, passed):
    questions = "\n\n".join(f"第{n}题？\n*对\n错" for n in range(1, total + 1))
    quiz = quizzes.save_quiz(db.session, SYSTEM, learner.resource, {"title": "测验", "pass_mark": str(pass_mark),
                                                                     "questions": questions})
    attempt = quizzes.submit(db.session, learner.user.id, quiz, ["0"] * right + ["1"] * (total - right))
    assert attempt.passed is passed
    assert attempt.score == 100 * right // total  # rounded down: never above the share that decided the pass
