"""The learning JSON API: progress heartbeats from the player (and the offline queue replaying them), and
the learner's history as xAPI statements. Our pages send the X-CSRFToken header; errors are
`{"error": {"code", "message", "fields"}}` with stable codes (see learning.heartbeats)."""

from __future__ import annotations

import contextlib
import threading

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from app.errors import DomainError
from app.extensions import db
from learning import heartbeats, xapi

bp = Blueprint("learning_api", __name__, url_prefix="/api/v1")
COMMIT_ATTEMPTS = 3


class LoginRequired(DomainError):
    status = 401
    code = "login_required"


_sqlite_writer = threading.Lock()


def _write_turn():
    """SQLite has one writer at a time, and a writer that finds the lock taken sleeps in SQLite's busy handler
    (1, 2, 5 ... 100 ms), which is what made p99 heartbeats slow under load. Threads of this process take
    turns here instead; other processes still meet the busy timeout. PostgreSQL needs no turns."""
    return _sqlite_writer if db.engine.dialect.name == "sqlite" else contextlib.nullcontext()


def _user():
    if not current_user.is_authenticated:
        raise LoginRequired(_("请先登录。"))
    return current_user


@bp.post("/progress")
def progress():
    """{lesson_id, position_s, watched: [[start, end], ...], client_time (ms), seq, at_end?} -> the lesson's
    progress after folding it in. Replays and duplicates answer 200 and change nothing."""
    user = _user()
    beat = heartbeats.parse(request.get_json(silent=True))
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            with _write_turn():
                result = heartbeats.record(db.session, user.id, beat)
                db.session.commit()
            break
        except OperationalError:  # SQLite "database is locked" after the busy timeout: try again, then 503
            db.session.rollback()
            if attempt == COMMIT_ATTEMPTS - 1:
                raise
        except DomainError:
            db.session.rollback()
            raise
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response


def _iri(kind: str, *ids: int) -> str:
    if kind == "resource":
        return url_for("catalog.resource", resource_id=ids[0], _external=True)
    return url_for("catalog.lesson", resource_id=ids[0], lesson_id=ids[1], _external=True)


@bp.get("/me/statements")
def statements():
    """xAPI 1.0.3 StatementResult of the signed-in learner's history."""
    user = _user()
    body = {"statements": xapi.statements(db.session, user, url_for("main.index", _external=True), _iri),
            "more": ""}
    response = jsonify(body)
    response.headers["X-Experience-API-Version"] = xapi.VERSION
    response.headers["Cache-Control"] = "no-store"
    return response
