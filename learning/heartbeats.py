"""Progress heartbeats (POST /api/v1/progress): validate (learning.heartbeat_input), pay for the new seconds from
the learner's clock (learning.pace), fold them into the learner's lesson row, stamp completion.

A heartbeat may arrive twice, late, or out of order (the offline queue replays it), and two may race for
the same row. The row is updated by compare-and-set on `version`: read, fold (learning.progress), write
WHERE version = the one read; if another request won, read again and refold. On PostgreSQL the losing
UPDATE waits for the winner's commit and then matches no row; on SQLite writers are serialized and the
re-read happens inside the write transaction. Either way no seconds are lost and nothing goes backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import Conflict, Invalid, LoginRequired, NotFound
from catalog.models import LessonType, ResourceStatus
from learning import completion, habits, pace, progress, progress_store
from learning.completion import progress_row
from learning.heartbeat_input import Heartbeat, parse
from learning.progress_store import Snapshot

__all__ = ["Heartbeat", "Prepared", "Refused", "apply", "parse", "prepare", "progress_row", "record"]

CLOCK_SKEW_S = 600  # phones' clocks drift; a reading span may end this far past the server's now
MAX_ATTEMPTS = 8
# learning.progress has no Flask; its messages are marked for translation here (msgid = its text).
MARKED_FOR_TRANSLATION = (_l("时间不能为负数。"), _l("观看位置超出了课程时长。"), _l("阅读位置超出了页面。"),
                          _l("观看区间的结束时间早于开始时间。"), _l("上报的观看时长超过了实际经过的时间。"),
                          _l("上报的阅读时间超出了实际可能的时间。"),
                          _l("上报的观看时长超过了最高倍速下实际经过的时间。"), _l("外部课程不记录观看进度。"))


def _ms(at: datetime) -> int:
    return int((at - datetime(1970, 1, 1)).total_seconds() * 1000)


@dataclass(frozen=True)
class LessonFacts:
    """What the rules need of a lesson (duck-types catalog's Lesson for completion.lesson_complete)."""

    id: int
    type: LessonType
    duration_s: int
    resource_id: int


class Refused(Invalid):
    """A heartbeat no real player could have sent. The refusal is counted on the learner's enrolment in the same
    transaction (for staff to review), so the caller commits it, unlike other errors."""


def _context(conn: Connection, user_id: int, lesson_id: int, session_version: str | None) -> Any:
    """Account, lesson, enrolment, rules, progress row and clock in one query: a heartbeat is the hottest write
    path. With `session_version` (from the signed cookie: "<version>:<session id>") the account must still be
    active and on that version, and that session not logged out."""
    version, _sep, sid = (session_version or "").partition(":")
    found = progress_store.read_context(conn, user_id, lesson_id, sid)
    if found is None or (session_version is not None and (not found.is_active_account or found.session_id is None
                                                           or str(found.session_version) != version)):
        raise LoginRequired(_("请先登录。"))
    if found.id is None:
        raise NotFound(_("课时不存在。"), code="lesson_not_found")
    if found.enrolment_id is None:
        raise Conflict(_("请先报名学习这门课程。"), code="not_enrolled")
    if found.resource_status != ResourceStatus.published:  # withdrawn or unpublished: what was saved stays
        raise Conflict(_("这个资源已下架，暂时不能记录学习进度。"), code="not_published")
    return found


def _snapshot(conn: Connection, user_id: int, lesson: LessonFacts) -> Snapshot:
    """The learner's row, created on first use."""
    row = progress_store.read_snapshot(conn, user_id, lesson.id)
    if row is None:
        progress_store.create(conn, "row", completion.new_progress(user_id, lesson, utcnow()))  # type: ignore[arg-type]
        row = progress_store.read_snapshot(conn, user_id, lesson.id)
    assert row is not None  # created just above, in this transaction
    return row


def _clock(conn: Connection, user_id: int, first: pace.Clock) -> tuple[pace.Clock, int]:
    """The learner's clock and its version, created (at `first`) on their first heartbeat."""
    found = progress_store.read_clock(conn, user_id)
    if found is None:
        progress_store.create(conn, "clock", {"user_id": user_id, "cursor_ms": first.cursor_ms,
                                              "spare_s": first.spare_s, "version": 0})
        found = progress_store.read_clock(conn, user_id)
    return pace.Clock(found.cursor_ms, found.spare_s), found.version


def _check(lesson: LessonFacts, beat: Heartbeat, row: Snapshot, state: progress.Progress, enrolled_ms: int,
           now: datetime) -> progress.HeartbeatError | None:
    """What no real player (or reader) could have sent, for this lesson alone."""
    if lesson.type == LessonType.reading:
        return progress.check_reading(beat.position_s, beat.watched, enrolled_ms / 1000 - CLOCK_SKEW_S,
                                      _ms(now) / 1000 + CLOCK_SKEW_S)
    if lesson.duration_s <= 0:
        raise Conflict(_("这个课时还没有时长，暂时不能记录进度。"), code="no_duration")
    error = progress.check_heartbeat(beat.position_s, beat.watched, lesson.duration_s, None)
    if error is None and progress.covered(state.watched) > row.covered_s + 1e-9:
        first = min(row.first_client_ms or beat.client_ms, beat.client_ms)
        client_span = (max(row.max_client_ms, beat.client_ms) - first) / 1000
        server_span = (now - row.first_seen_at).total_seconds()
        if not progress.within_wall_clock(progress.covered(state.watched), max(client_span, server_span)):
            error = progress.HeartbeatError("too_much_watched", "上报的观看时长超过了实际经过的时间。")
    return error


NOT_TRACKED = progress.HeartbeatError("not_tracked", "外部课程不记录观看进度。")
TOO_FAST = progress.HeartbeatError("too_fast", "上报的观看时长超过了最高倍速下实际经过的时间。")
READ_TOO_FAST = progress.HeartbeatError("too_fast", "上报的阅读时间超出了实际可能的时间。")


def _refuse(conn: Connection, enrolment_id: int, error: progress.HeartbeatError, now: datetime) -> Refused:
    """Count the refusal on the enrolment and return the error to raise."""
    progress_store.count_refusal(conn, enrolment_id, error.code, now)
    message = _(error.message)  # its msgid is in MARKED_FOR_TRANSLATION
    return Refused(message, code=error.code, fields={"watched": message})


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
    at_ms: int  # when the watching it reports ended, in the server's time (learning.pace.moment)
    clock: pace.Clock
    clock_version: int | None  # None before the learner's first heartbeat: `apply` creates the clock


def prepare(session: Session, user_id: int, beat: Heartbeat, session_version: str | None = None) -> Prepared:
    """The reading half of a heartbeat: account, lesson, enrolment, rules, progress row and clock. Given the login
    session's version, it refuses (401) a session ended since by a password change or a disabled account."""
    conn = session.connection()
    found = _context(conn, user_id, beat.lesson_id, session_version)
    lesson = LessonFacts(found.id, found.type, found.duration_s, found.resource_id)
    rules = completion.Rules(found.completion_ratio, found.min_read_s) if found.completion_ratio is not None \
        else completion.Rules()
    enrolled_ms, now_ms = _ms(found.enrolled_at), _ms(utcnow())
    at_ms = pace.moment(beat.client_ms, beat.sent_ms, now_ms)
    # Phones with a wrong clock: keep the order they report, but inside [enrolment, now].
    beat = Heartbeat(beat.lesson_id, beat.position_s, beat.watched, min(max(beat.client_ms, enrolled_ms), now_ms),
                     beat.seq, beat.at_end, beat.sent_ms)
    row = Snapshot(*(getattr(found, f"row_{name}") for name in Snapshot.__dataclass_fields__)) \
        if found.row_id is not None else None
    clock = pace.Clock(found.cursor_ms, found.spare_s) if found.clock_version is not None \
        else pace.start(_ms(max(found.enrolled_at, found.last_active_at)))  # the learner's last contact
    return Prepared(user_id, beat, lesson, rules, enrolled_ms, found.enrolment_id,
                    found.resource_completed_at is not None, row, at_ms, clock, found.clock_version)


def apply(session: Session, prepared: Prepared) -> dict[str, Any]:
    """The writing half: fold the heartbeat into the row read by `prepare`, pay its new media seconds from the
    learner's clock (learning.pace) and write both by compare-and-set, clock first (re-reading and refolding if
    either changed since); returns what the player shows. A first heartbeat's row and clock are created here,
    with the writes: on SQLite, inside the write transaction, not among the reads before it."""
    conn = session.connection()
    p = prepared
    if p.lesson.type == LessonType.external:  # no player sends one (learners confirm them): refused before its row
        raise _refuse(conn, p.enrolment_id, NOT_TRACKED, utcnow())
    row = p.row or _snapshot(conn, p.user_id, p.lesson)
    clock, version = (p.clock, p.clock_version) if p.clock_version is not None else \
        _clock(conn, p.user_id, p.clock)
    paid: int | None = None  # the clock version this transaction wrote (its row is then ours until commit)
    media = p.lesson.type not in (LessonType.reading, LessonType.external)
    reading = p.lesson.type == LessonType.reading
    for _attempt in range(MAX_ATTEMPTS):
        now = utcnow()
        before = progress.Progress(tuple(map(tuple, row.watched)), row.position_s, row.furthest_s,  # type: ignore[arg-type]
                                   (row.last_client_ms, row.last_seq))
        state = progress.fold(before, progress.Beat(p.beat.position_s, p.beat.watched, (p.beat.client_ms, p.beat.seq)))
        claim = progress.covered(state.watched) - row.covered_s if media or reading else 0.0
        error = _check(p.lesson, p.beat, row, state, p.enrolled_ms, now)
        # new reading seconds are the learner's own time: paid from the same clock as media (learning.pace)
        after = pace.admit(clock, p.at_ms, _ms(now), pace.reading(claim) if reading else claim) \
            if error is None else None
        if after is None:
            _give_back(conn, p.user_id, paid, clock)
            raise _refuse(conn, p.enrolment_id, error or (READ_TOO_FAST if reading else TOO_FAST), now)
        pay = (version if paid is None else paid) if after != clock or paid is not None else None
        done, values = _folded(p, row, before, state, now)
        # the fair streak's verified time: the media seconds the clock pays, or a reading lesson's least reading time
        seconds = claim if media else (p.rules.min_read_s if done else 0)
        clock_written, row_written = progress_store.write_beat(conn, progress_store.Writes(
            p.user_id, None if pay is None else (pay, after.cursor_ms, after.spare_s),
            None if values is None else (row.id, row.version, values), p.enrolment_id,
            (p.beat.lesson_id, p.beat.position_s, p.beat.client_ms, p.beat.seq), habits.study_day(now), seconds, now))
        if not clock_written:
            clock, version = _clock(conn, p.user_id, p.clock)  # another heartbeat of theirs paid first
            continue
        if pay is not None:
            paid = pay + 1
        if row_written:
            if values is not None:
                row = Snapshot(id=row.id, first_seen_at=row.first_seen_at, **values)
            break
        row = _snapshot(conn, p.user_id, p.lesson)  # another request won the race: refold on what it wrote
    else:  # the group writer commits what a refused job wrote: the seconds paid go back, or its retry is too fast
        _give_back(conn, p.user_id, paid, clock)
        raise Conflict(_("学习进度正忙，请稍后重试。"), code="busy")
    resource_done = completion.check_resource(session, p.user_id, p.lesson.resource_id) if done else False
    return {"lesson_id": p.lesson.id, "seq": p.beat.seq, "position_s": row.position_s,
            "furthest_s": row.furthest_s, "covered_s": row.covered_s, "duration_s": p.lesson.duration_s,
            "complete": row.completed_at is not None, "resource_complete": resource_done or p.resource_completed}


def _give_back(conn: Connection, user_id: int, paid: int | None, clock: pace.Clock) -> None:
    """Put the learner's clock back as it was read, if an attempt of this heartbeat paid from it (`paid`: the
    version it wrote), before the heartbeat is refused."""
    if paid is not None:
        progress_store.write_clock(conn, user_id, paid, clock.cursor_ms, clock.spare_s)


def _folded(p: Prepared, row: Snapshot, before: progress.Progress, state: progress.Progress,
            now: datetime) -> tuple[bool, dict[str, Any] | None]:
    """(the lesson becomes complete, the progress row's new values), or (False, None) when nothing changes: a
    duplicate or an older replay."""
    reached_end = row.reached_end or p.beat.at_end
    done = row.completed_at is None and completion.lesson_complete(p.lesson, state.watched, reached_end, p.rules)
    if state == before and reached_end == row.reached_end and not done:
        return False, None
    return done, {
        "watched": [list(span) for span in state.watched], "covered_s": progress.covered(state.watched),
        "position_s": state.position_s, "furthest_s": state.furthest_s, "reached_end": reached_end,
        "last_client_ms": state.order[0], "last_seq": state.order[1],
        "first_client_ms": min(row.first_client_ms or p.beat.client_ms, p.beat.client_ms),
        "max_client_ms": max(row.max_client_ms, p.beat.client_ms),
        "completed_at": now if done else row.completed_at, "version": row.version + 1}


def record(session: Session, user_id: int, beat: Heartbeat, session_version: str | None = None) -> dict[str, Any]:
    """Fold one heartbeat into the learner's progress (`prepare`, then `apply`); returns what the player shows."""
    return apply(session, prepare(session, user_id, beat, session_version))
