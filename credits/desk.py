"""The credit bank's queue on the staff desk (app/desk.py): recognition requests to decide, exactly the
review page's list (credits.recognition.queue)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts.models import Role
from credits import recognition


def to_decide(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(r.title, r.issuer.name, r.created_at,
                                     url_for("credits.recognition_detail", recognition_id=r.id))
                           for r in recognition.queue(session, user))


def register(app: Flask) -> None:
    desk.register(app, desk.Queue(
        "credits.recognition", _l("学分认定申请"), (Role.institution_staff, Role.union_staff, Role.admin),
        to_decide, lambda: url_for("credits.review_queue"), ("credit_recognitions",)))
