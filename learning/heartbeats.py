"""Progress heartbeats (POST /api/v1/progress): validate, fold into the learner's lesson row, stamp completion.

A heartbeat may arrive twice, late, or out of order (the offline queue replays it), and two may race for
the same row. The row is updated by compare-and-set on `version`: read, fold (learning.progress), write
WHERE version = the one read; if another request won, read again and refold. On PostgreSQL the losing
UPDATE waits for the winner's commit and then matches no row; on SQLite writers are serialized and the
re-read happens inside the write transaction. Either way no seconds are lost and nothing goes backwards.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.db import DirectStatement, insert_ignore, utcnow
from app.errors import Conflict, Invalid, LoginRequired, NotFound
from catalog.models import Lesson, LessonType
from learning import completion, progress
from learning.models import Enrolment, LearningSettings, LessonProgress

MAX_INTERVALS = 200
CLOCK_SKEW_S = 600  # phones' clocks drift; a reading span may end this far past the server's now
MAX_ATTEMPTS = 8
# learning.progress has no Flask; its messages are marked for translation here (msgid = its text).
MARKED_FOR_TRANSLATION = (_l("时间不能为负数。"), _l("观看位置超出了课程时长。"), _l("阅读位置超出了页面。"),
                          _l("观看区间的结束时间早于开始时间。"), _l("上报的观看时长超过了实际经过的时间。"),
                          _l("上报的阅读时间超出了实际可能的时间。"))


@dataclass(frozen=True)
class Heartbeat:
    lesson_id: int
    position_s: float
    watched: tuple[progress.Interval, ...]
    client_ms: int
    seq: int
    at_end: bool = False  # reading lessons: the end of the text was on screen


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _intervals(raw: Any) -> tuple[progress.Interval, ...] | None:
    if not isinstance(raw, list) or len(raw) > MAX_INTERVALS:
        return None
    spans = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        start, end = _number(pair[0]), _number(pair[1])
        if start is None or end is None:
            return None
        spans.append((start, end))
    return tuple(spans)


def parse(body: Any) -> Heartbeat:
    """Shape and types first, all fields at once; the rules that need the lesson come later."""
    if not isinstance(body, dict):
        raise Invalid(_("请求内容必须是JSON对象。"), code="bad_heartbeat")
    errors = {}
    lesson_id, seq, client = body.get("lesson_id"), body.get("seq"), _number(body.get("client_time"))
    if not isinstance(lesson_id, int) or isinstance(lesson_id, bool) or lesson_id <= 0:
        errors["lesson_id"] = _("课时编号必须是正整数。")
    position = _number(body.get("position_s"))
    if position is None:
        errors["position_s"] = _("播放位置必须是数字（秒）。")
    watched = _intervals(body.get("watched", []))
    if watched is None:
        errors["watched"] = _("观看区间必须是[开始, 结束]秒数的列表，最多%(n)d个。", n=MAX_INTERVALS)
    if client is None or client <= 0:
        errors["client_time"] = _("客户端时间必须是毫秒时间戳。")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        errors["seq"] = _("序号必须是非负整数。")
    at_end = body.get("at_end", False)
    if not isinstance(at_end, bool):
        errors["at_end"] = _("at_end 必须是 true 或 false。")
    if errors:
        raise Invalid(_("学习进度的格式不对。"), code="bad_heartbeat", fields=errors)
    return Heartbeat(lesson_id, position, watched, int(client), seq, at_end)  # type: ignore[arg-type]


def progress_row(session: Session, user_id: int, lesson: Lesson) -> LessonProgress:
    """The learner's row for the lesson, created on first use (concurrent creators leave one row)."""
    query = select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id)
    row = session.scalar(query)
    if row is None:
        now = utcnow()
        insert_ignore(session, LessonProgress, {
            "user_id": user_id, "lesson_id": lesson.id, "resource_id": lesson.resource_id, "watched": [],
            "covered_s": 0.0, "position_s": 0.0, "furthest_s": 0.0, "reached_end": False, "last_client_ms": 0,
            "last_seq": -1, "first_client_ms": 0, "max_client_ms": 0, "first_seen_at": now, "updated_at": now,
            "version": 0}, ["user_id", "lesson_id"])
        row = session.scalar(query)
    assert row is not None
    return row


def _ms(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1)).total_seconds() * 1000)


@dataclass(frozen=True)
class LessonFacts:
    """What the rules need of a lesson (duck-types catalog's Lesson for completion.lesson_complete)."""

    id: int
    type: LessonType
    duration_s: int
    resource_id: int


@dataclass(frozen=True)
class Snapshot:
    """The progress row as read, for one compare-and-set attempt."""

    id: int
    watched: list
    covered_s: float
    position_s: float
    furthest_s: float
    reached_end: bool
    last_client_ms: int
    last_seq: int
    first_client_ms: int
    max_client_ms: int
    first_seen_at: datetime
    completed_at: datetime | None
    version: int


SNAPSHOT = [getattr(LessonProgress, name) for name in Snapshot.__dataclass_fields__]


@functools.cache
def _statements() -> dict[str, Any]:
    """Built once with bound parameters: constructing SQL expressions was a large share of a heartbeat's time."""
    uid, lid = bindparam("uid"), bindparam("lid")
    context = (select(Lesson.id, Lesson.type, Lesson.duration_s, Lesson.resource_id,
                      Enrolment.id.label("enrolment_id"), Enrolment.enrolled_at,
                      Enrolment.completed_at.label("resource_completed_at"),
                      LearningSettings.completion_ratio, LearningSettings.min_read_s,
                      User.session_version, User.is_active_account, UserSession.id.label("session_id"),
                      *(column.label(f"row_{column.key}") for column in SNAPSHOT))
               .select_from(User)
               .outerjoin(UserSession, and_(UserSession.id == bindparam("sid"), UserSession.user_id == uid))
               .outerjoin(Lesson, Lesson.id == lid)
               .outerjoin(Enrolment, and_(Enrolment.resource_id == Lesson.resource_id, Enrolment.user_id == uid))
               .outerjoin(LearningSettings, LearningSettings.resource_id == Lesson.resource_id)
               .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == uid))
               .where(User.id == uid))
    rows, enrolments = LessonProgress.__table__, Enrolment.__table__  # Core: no ORM synchronisation needed
    fields = [name for name in Snapshot.__dataclass_fields__ if name not in ("id", "first_seen_at")] + ["updated_at"]
    cas = (update(rows).where(rows.c.id == bindparam("row_id"), rows.c.version == bindparam("old_version"))
           .values({name: bindparam(f"v_{name}", type_=rows.c[name].type) for name in fields}))
    cms, seq = bindparam("cms"), bindparam("seq")
    resume = (update(enrolments)
              .where(enrolments.c.id == bindparam("eid"),
                     or_(enrolments.c.last_client_ms < cms,
                         and_(enrolments.c.last_client_ms == cms, enrolments.c.last_seq < seq)))
              .values(last_lesson_id=bindparam("v_lesson"), last_position_s=bindparam("v_position"),
                      last_client_ms=cms, last_seq=seq, last_active_at=bindparam("v_now")))
    snapshot = select(*SNAPSHOT).where(LessonProgress.user_id == uid, LessonProgress.lesson_id == lid)
    return {name: DirectStatement(statement) for name, statement in
            (("context", context), ("snapshot", snapshot), ("cas", cas), ("resume", resume))}


# These run on the session's connection without the ORM (no identity map is needed) or SQLAlchemy's execution
# layer (see app.db.DirectStatement): a heartbeat's SQL is most of its cost.
def _read(conn: Connection, name: str, params: dict[str, Any]) -> Any:
    """The statement's one row, or None."""
    found = _statements()[name].rows(conn, params)
    return found[0] if found else None


def _write(conn: Connection, name: str, params: dict[str, Any]) -> int:
    """How many rows the statement changed."""
    return _statements()[name].rowcount(conn, params)


def _context(conn: Connection, user_id: int, lesson_id: int, session_version: str | None) -> Any:
    """Account, lesson, enrolment, rules and progress row in one query: a heartbeat is the hottest write path.
    With `session_version` (from the signed cookie: "<version>:<session id>") the account must still be active and
    on that version, and that session not logged out."""
    version, _sep, sid = (session_version or "").partition(":")
    found = _read(conn, "context", {"uid": user_id, "lid": lesson_id, "sid": sid})
    if found is None or (session_version is not None and (not found.is_active_account or found.session_id is None
                                                           or str(found.session_version) != version)):
        raise LoginRequired(_("请先登录。"))
    if found.id is None:
        raise NotFound(_("课时不存在。"), code="lesson_not_found")
    if found.enrolment_id is None:
        raise Conflict(_("请先报名学习这门课程。"), code="not_enrolled")
    return found


def _snapshot(session: Session, conn: Connection, user_id: int, lesson: LessonFacts) -> Snapshot:
    """The learner's row, created on first use."""
    params = {"uid": user_id, "lid": lesson.id}
    row = _read(conn, "snapshot", params)
    if row is None:
        progress_row(session, user_id, lesson)  # type: ignore[arg-type]
        row = _read(conn, "snapshot", params)
    return Snapshot(*row)


def _check(lesson: LessonFacts, beat: Heartbeat, row: Snapshot, state: progress.Progress, enrolled_ms: int,
           now: datetime) -> None:
    """Refuse what no real player (or reader) could have sent."""
    if lesson.type == LessonType.reading:
        error = progress.check_reading(beat.position_s, beat.watched, enrolled_ms / 1000 - CLOCK_SKEW_S,
                                       _ms(now) / 1000 + CLOCK_SKEW_S)
    elif lesson.type == LessonType.external:
        error = None
    else:
        if lesson.duration_s <= 0:
            raise Conflict(_("这个课时还没有时长，暂时不能记录进度。"), code="no_duration")
        error = progress.check_heartbeat(beat.position_s, beat.watched, lesson.duration_s, None)
        if error is None and progress.covered(state.watched) > row.covered_s + 1e-9:
            first = min(row.first_client_ms or beat.client_ms, beat.client_ms)
            client_span = (max(row.max_client_ms, beat.client_ms) - first) / 1000
            server_span = (now - row.first_seen_at).total_seconds()
            if not progress.within_wall_clock(progress.covered(state.watched), max(client_span, server_span)):
                error = progress.HeartbeatError("too_much_watched", "上报的观看时长超过了实际经过的时间。")
    if error is not None:
        message = _(error.message)  # its msgid is in MARKED_FOR_TRANSLATION
        raise Invalid(message, code=error.code, fields={"watched": message})


def _fold_and_write(conn: Connection, lesson: LessonFacts, beat: Heartbeat, row: Snapshot, enrolled_ms: int,
                    rules: completion.Rules) -> tuple[bool, bool, Snapshot]:
    """One compare-and-set attempt: (written or nothing to write, lesson newly complete, the row after)."""
    now = utcnow()
    before = progress.Progress(tuple(map(tuple, row.watched)), row.position_s, row.furthest_s,  # type: ignore[arg-type]
                               (row.last_client_ms, row.last_seq))
    state = progress.fold(before, progress.Beat(beat.position_s, beat.watched, (beat.client_ms, beat.seq)))
    _check(lesson, beat, row, state, enrolled_ms, now)
    reached_end = row.reached_end or beat.at_end
    done = row.completed_at is None and completion.lesson_complete(lesson, state.watched, reached_end, rules)
    if state == before and reached_end == row.reached_end and not done:
        return True, False, row  # a duplicate or an older replay: nothing changes
    values: dict[str, Any] = {
        "watched": [list(span) for span in state.watched], "covered_s": progress.covered(state.watched),
        "position_s": state.position_s, "furthest_s": state.furthest_s, "reached_end": reached_end,
        "last_client_ms": state.order[0], "last_seq": state.order[1],
        "first_client_ms": min(row.first_client_ms or beat.client_ms, beat.client_ms),
        "max_client_ms": max(row.max_client_ms, beat.client_ms),
        "completed_at": now if done else row.completed_at, "version": row.version + 1}
    params = {f"v_{name}": value for name, value in values.items()}
    written = _write(conn, "cas", {"row_id": row.id, "old_version": row.version, "v_updated_at": now, **params})
    return bool(written), done and bool(written), Snapshot(id=row.id, first_seen_at=row.first_seen_at, **values)


def _move_resume_point(conn: Connection, enrolment_id: int, beat: Heartbeat) -> None:
    """继续学习 follows the newest heartbeat; an older one (replayed, or from another device) never moves it."""
    _write(conn, "resume", {"eid": enrolment_id, "cms": beat.client_ms, "seq": beat.seq, "v_lesson": beat.lesson_id,
                            "v_position": beat.position_s, "v_now": utcnow()})


@dataclass(frozen=True)
class Prepared:
    """What `prepare` read for one heartbeat, for `apply` to write."""

    user_id: int
    beat: Heartbeat
    lesson: LessonFacts
    rules: completion.Rules
    enrolled_ms: int
    enrolment_id: int
    resource_completed: bool
    row: Snapshot | None  # None on the learner's first heartbeat for the lesson: `apply` creates the row


def prepare(session: Session, user_id: int, beat: Heartbeat, session_version: str | None = None) -> Prepared:
    """The reading half of a heartbeat: account, lesson, enrolment, rules and progress row. Given the login
    session's version, it refuses (401) a session ended since by a password change or a disabled account."""
    conn = session.connection()
    found = _context(conn, user_id, beat.lesson_id, session_version)
    lesson = LessonFacts(found.id, found.type, found.duration_s, found.resource_id)
    rules = completion.Rules(found.completion_ratio, found.min_read_s) if found.completion_ratio is not None \
        else completion.Rules()
    enrolled_ms = _ms(found.enrolled_at)
    # Phones with a wrong clock: keep the order they report, but inside [enrolment, now].
    beat = Heartbeat(beat.lesson_id, beat.position_s, beat.watched,
                     min(max(beat.client_ms, enrolled_ms), _ms(utcnow())), beat.seq, beat.at_end)
    row = Snapshot(*(getattr(found, f"row_{name}") for name in Snapshot.__dataclass_fields__)) \
        if found.row_id is not None else None
    return Prepared(user_id, beat, lesson, rules, enrolled_ms, found.enrolment_id,
                    found.resource_completed_at is not None, row)


def apply(session: Session, prepared: Prepared) -> dict[str, Any]:
    """The writing half: fold the heartbeat into the row read by `prepare` and write it by compare-and-set
    (re-reading and refolding if the row changed since); returns what the player shows. A first heartbeat's row
    is created here, with the writes: on SQLite, inside the write transaction, not among the reads before it."""
    conn = session.connection()
    p = prepared
    row = p.row or _snapshot(session, conn, p.user_id, p.lesson)
    for _attempt in range(MAX_ATTEMPTS):
        written, done, after = _fold_and_write(conn, p.lesson, p.beat, row, p.enrolled_ms, p.rules)
        if written:
            break
        row = _snapshot(session, conn, p.user_id, p.lesson)  # another request won the race: refold on what it wrote
    else:
        raise Conflict(_("学习进度正忙，请稍后重试。"), code="busy")
    _move_resume_point(conn, p.enrolment_id, p.beat)
    resource_done = completion.check_resource(session, p.user_id, p.lesson.resource_id) if done else False
    return {"lesson_id": p.lesson.id, "seq": p.beat.seq, "position_s": after.position_s,
            "furthest_s": after.furthest_s, "covered_s": after.covered_s, "duration_s": p.lesson.duration_s,
            "complete": after.completed_at is not None, "resource_complete": resource_done or p.resource_completed}


def record(session: Session, user_id: int, beat: Heartbeat, session_version: str | None = None) -> dict[str, Any]:
    """Fold one heartbeat into the learner's progress (`prepare`, then `apply`); returns what the player shows."""
    return apply(session, prepare(session, user_id, beat, session_version))
