"""The learning JSON API: progress heartbeats from the player (and the offline queue replaying them), and
the learner's history as xAPI statements. Our pages send the X-CSRFToken header; errors are
`{"error": {"code", "message", "fields"}}` with stable codes (see learning.heartbeats)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.accounts.views import session_user
from app.errors import LoginRequired
from app.extensions import db
from app.i18n import locale_code
from app.observability import metrics
from app.pagination import int_arg
from app.web import current_user_required
from learning import heartbeats, xapi

bp = Blueprint("learning_api", __name__, url_prefix="/api/v1")


# an error learning.heartbeat_path met once it had counted or written: Flask answers it (no client can set this key)
ANSWER_ERROR = "qiuxue.heartbeat_error"


@bp.before_request
def answer_from_heartbeat_path() -> None:
    """Raise the error learning.heartbeat_path met (a refusal, the rate limit, a locked database) for the error
    handlers to answer as they answer the view's, with every hook of the lean path; the view does not run again."""
    error = request.environ.pop(ANSWER_ERROR, None)
    if isinstance(error, Exception):
        raise error


@bp.post("/progress")
def progress() -> Response:
    """{lesson_id, position_s, watched: [[start, end], ...], client_time (ms), seq, at_end?, sent_time? (ms)} ->
    the lesson's progress after folding it in. Replays and duplicates answer 200 and change nothing. Most
    heartbeats are answered beneath Flask by learning.heartbeat_path, with the same checks and `record`."""
    who = session_user()
    if who is None:
        raise LoginRequired(_("请先登录。"))
    uid, version = who
    beat = heartbeats.parse(request.get_json(silent=True))
    response = current_app.response_class(record(uid, version, beat, locale_code()), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def record(uid: int, version: str, beat: heartbeats.Heartbeat, locale: str) -> str:
    """The heartbeat handed to its writer, counted in the metrics; returns the JSON the player gets. Needs an app
    context."""

    def read(session: Session) -> heartbeats.Prepared:  # the session check is part of its first query
        return heartbeats.prepare(session, uid, beat, version)

    writer = current_app.extensions["heartbeat_writer"]  # chosen by database (learning.group_writer.init_app)
    try:
        result = writer.run(read, heartbeats.apply, locale)
    except heartbeats.Refused:
        metrics.HEARTBEATS.labels("refused").inc()
        raise
    metrics.HEARTBEATS.labels("accepted").inc()
    # numbers and booleans only: dumped directly, without jsonify's provider (sorting, indent check, its own
    # Response set-up; 0.1 ms of a heartbeat's request thread measured under load)
    return json.dumps(result, separators=(",", ":"))


def _iri(kind: str, *ids: int) -> str:
    if kind == "resource":
        return url_for("catalog.resource", resource_id=ids[0], _external=True)
    return url_for("catalog.lesson", resource_id=ids[0], lesson_id=ids[1], _external=True)


STATEMENTS_PER_PAGE, STATEMENTS_MAX_PAGE = 100, 500


@bp.get("/me/statements")
def statements() -> Response:
    """xAPI 1.0.3 StatementResult of the signed-in learner's history, oldest first, `limit` per page (100 unless
    asked, at most 500); `more` is the URL of the next page, empty on the last."""
    user = current_user_required()
    limit = int_arg(request.args, "limit", STATEMENTS_PER_PAGE, 1, STATEMENTS_MAX_PAGE)
    start = int_arg(request.args, "from", 0, 0, 10**9)
    history = xapi.statements(db.session, user, url_for("main.index", _external=True), _iri)
    page = history[start:start + limit]
    following: dict[str, Any] = {"limit": limit, "from": start + limit}  # `from` is a Python keyword
    more = url_for(".statements", **following) if start + limit < len(history) else ""
    response = jsonify({"statements": page, "more": more})
    response.headers["X-Experience-API-Version"] = xapi.VERSION
    response.headers["Cache-Control"] = "no-store"
    return response
