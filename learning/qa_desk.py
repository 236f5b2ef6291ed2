"""Learning's queue on the staff desk (app/desk.py): questions on the institution's courses no teacher answered
yet, with their age (the list of /learning/questions)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts.models import Role
from learning import questions


def unanswered(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(f"{q.resource.title} · {q.lesson.title}", q.resource.provider.name
                                     if q.resource.provider else "", q.created_at,
                                     url_for("learning_qa.question", question_id=q.id))
                           for q in questions.unanswered(session, user))


def register(app: Flask) -> None:
    desk.register(app, desk.Queue("learning.questions", _l("待回答的提问"),
                                  (Role.institution_staff, Role.enterprise_staff), unanswered,
                                  lambda: url_for("learning_qa.waiting"), ("lesson_questions",)))
