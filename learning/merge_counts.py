"""Counts kept beside their rows (a wish's votes, an answer's helpful marks, a question's or answer's reports) when
an account merge drops a twin row (app.accounts.merge.REPLACING): the person keeps one vote, and the count says
one. Without this a merged person kept two votes on a wish, invisibly, in the ranking it sorts; and two enrolments
in one course counted as two learners in the catalog's 报名人数 (its "enrolled" sort)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from catalog.models import Resource
from learning.qa_models import Answer, Question, Wish


def _wish_vote(session: Session, row: dict[str, Any]) -> None:
    session.execute(update(Wish).where(Wish.id == row["wish_id"], Wish.votes > 0).values(votes=Wish.votes - 1))


def _answer_mark(session: Session, row: dict[str, Any]) -> None:
    session.execute(update(Answer).where(Answer.id == row["answer_id"], Answer.helpful > 0)
                    .values(helpful=Answer.helpful - 1))


def _report(session: Session, row: dict[str, Any]) -> None:
    model: Any = Question if row["kind"] == "question" else Answer
    session.execute(update(model).where(model.id == row["item_id"], model.reports > 0)
                    .values(reports=model.reports - 1))


def _enrolment(session: Session, row: dict[str, Any]) -> None:
    session.execute(update(Resource).where(Resource.id == row["resource_id"], Resource.enrolment_count > 0)
                    .values(enrolment_count=Resource.enrolment_count - 1))


HOOKS = {"enrolments": _enrolment, "learning_wish_votes": _wish_vote, "lesson_answer_marks": _answer_mark,
         "lesson_qa_reports": _report}
