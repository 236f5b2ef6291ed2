"""The learning habit's rules with the database: a worker's study plan, the reminders the worker duty sends
(naming what to continue and how long it takes), their results, the verified study seconds per day and the fair
streak read from them. The timing rules themselves are pure (learning.reminder_rules, learning.streak)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import BindParameter, Date, bindparam, exists, select
from sqlalchemy.orm import Session

from app import notifications
from app.accounts.models import User
from app.db import DirectStatement, insert_ignore, utcnow
from app.errors import Invalid, NotFound
from app.notifications import service as notification_service
from app.notifications.kinds import REMINDER
from catalog.models import Lesson
from learning import enrolment, progress_store, reminder_rules, streak
from learning.habit_models import Reminder, StudyDay, StudyPlan
from learning.models import LessonProgress

STUDIED_WITHIN = timedelta(hours=1)
MAX_WINDOWS = 3
DAY_CHOICES = {"daily": range(7), "weekdays": range(5), "weekend": range(5, 7)} | {str(d): (d,) for d in range(7)}


# -- the plan -----------------------------------------------------------------------------------------------------

def plan_of(session: Session, user_id: int) -> StudyPlan | None:
    return session.get(StudyPlan, user_id)


def schedule_of(plan: StudyPlan) -> reminder_rules.Schedule:
    slots = tuple(reminder_rules.Slot(int(w), int(s), int(e)) for w, s, e in plan.slots)
    quiet = (plan.quiet_start, plan.quiet_end) if plan.quiet_start is not None and plan.quiet_end is not None \
        else None
    return reminder_rules.Schedule(slots, plan.per_week, quiet)


def _int(raw: dict[str, Any], key: str, low: int, high: int, errors: dict[str, str], message: str) -> int:
    try:
        value = int(str(raw.get(key, "")).strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        errors[key] = message
    return value


def _quiet(text: str, errors: dict[str, str]) -> tuple[int | None, int | None]:
    """"22:00-07:00" (wrapping past midnight) or empty for none."""
    if not text.strip():
        return None, None
    left, _sep, right = text.replace("–", "-").partition("-")
    try:
        start, end = reminder_rules.minute_of(left) % 1440, reminder_rules.minute_of(right) % 1440
    except ValueError:
        errors["quiet"] = _("免打扰时间的格式是 22:00-07:00。")
        return None, None
    return start, end


def save_plan(session: Session, user_id: int, raw: dict[str, Any]) -> StudyPlan:
    """Validate the whole form first (windows `window_1..3` with days `days_1..3`, `per_week`, `quiet`,
    `goal_minutes`, `goal_days`), then keep it."""
    errors: dict[str, str] = {}
    slots: list[list[int]] = []
    for i in range(1, MAX_WINDOWS + 1):
        text, days = str(raw.get(f"window_{i}", "")).strip(), str(raw.get(f"days_{i}", "daily"))
        if not text:
            continue
        try:
            window = reminder_rules.parse_window(text)
        except ValueError:
            errors[f"window_{i}"] = _("时间段的格式是 12:00-12:30。")
            continue
        if days not in DAY_CHOICES:
            errors[f"days_{i}"] = _("请选择哪几天。")
            continue
        slots.extend([s.weekday, s.start, s.end] for s in reminder_rules.slots_from(list(DAY_CHOICES[days]), window))
    per_week = _int(raw, "per_week", 0, 14, errors, _("每周提醒次数应在 0 到 14 之间。"))
    goal_minutes = _int(raw, "goal_minutes", 10, 1200, errors, _("每周目标应在 10 到 1200 分钟之间。"))
    goal_days = _int(raw, "goal_days", 1, 7, errors, _("每周学习天数应在 1 到 7 之间。"))
    quiet_start, quiet_end = _quiet(str(raw.get("quiet", "")), errors)
    if errors:
        raise Invalid(_("请检查标出的项目。"), code="invalid_plan", fields=errors)
    plan = plan_of(session, user_id) or StudyPlan(user_id=user_id)
    session.add(plan)
    plan.slots, plan.per_week, plan.quiet_start, plan.quiet_end = slots, per_week, quiet_start, quiet_end
    plan.goal_minutes, plan.goal_days = goal_minutes, goal_days
    session.flush()
    return plan


# -- what to continue ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NextStep:
    resource_id: int
    lesson_id: int
    course: str
    number: int        # the lesson's place in the course, from 1
    minutes_left: int  # of that lesson, rounded up, at least 1

    @property
    def text(self) -> str:
        return _("继续《%(course)s》第%(n)d课，还剩%(m)d分钟", course=self.course, n=self.number, m=self.minutes_left)


def next_step(session: Session, user_id: int) -> NextStep | None:
    """The lesson 继续学习 would open in the most recently studied unfinished published course, and its time left:
    a withdrawn course (its lessons 404, its title perhaps a draft's) is not one to remind anyone of."""
    for row in enrolment.my_learning(session, user_id):
        if row.enrolment.completed_at is None and row.resume is not None and row.resource.published:
            steps = [s.id for s in _steps(session, row.resource.id)]
            number = steps.index(row.resume.id) + 1 if row.resume.id in steps else 1
            left = max(0.0, row.resume.duration_s - row.position_s) if row.resume.duration_s else 60.0
            return NextStep(row.resource.id, row.resume.id, row.resource.title, number, max(1, math.ceil(left / 60)))
    return None


def _steps(session: Session, resource_id: int) -> list[Any]:
    return list(session.execute(select(Lesson.id).where(Lesson.resource_id == resource_id)
                                .order_by(Lesson.position)).all())


# -- reminders (the worker duty) ----------------------------------------------------------------------------------

def send_due(session: Session, now: datetime | None = None) -> int:
    """Send every reminder due now, once each (the (worker, window) key is unique), committing per worker;
    returns how many went out."""
    now = now or utcnow()
    sent = 0
    for plan in session.scalars(select(StudyPlan).where(StudyPlan.per_week > 0)).all():
        sent += send_one(session, plan, now) is not None
        session.commit()
    return sent


def send_one(session: Session, plan: StudyPlan, now: datetime) -> Reminder | None:
    """The worker's reminder due at `now`, written with its notification (flushed), or None: not due, already
    sent for this window (another run won), or nothing to continue."""
    keys = list(session.scalars(select(Reminder.due_at).where(Reminder.user_id == plan.user_id,
                                                              Reminder.due_at >= now - timedelta(days=8))))
    key = reminder_rules.due(schedule_of(plan), now, keys)
    if key is not None and REMINDER in notification_service.muted(session, plan.user_id):
        return None  # turned off on the notifications page: no reminder is counted as sent either
    step = next_step(session, plan.user_id) if key is not None else None
    if key is None or step is None:
        return None
    if not insert_ignore(session, Reminder, {"user_id": plan.user_id, "due_at": key, "sent_at": now,
                                             "resource_id": step.resource_id, "lesson_id": step.lesson_id,
                                             "text": step.text[:200]}, ["user_id", "due_at"]):
        return None
    reminder = session.scalar(select(Reminder).where(Reminder.user_id == plan.user_id, Reminder.due_at == key))
    assert reminder is not None
    notifications.notify(session, plan.user_id, REMINDER, step.text, f"/learning/reminders/{reminder.id}/open",
                         _("现在有空的话，学几分钟吧。"))
    return reminder


def judge(session: Session, now: datetime | None = None) -> int:
    """Record, an hour after each reminder, whether the worker studied within that hour (any lesson progress
    written by a heartbeat); returns how many were judged."""
    now = now or utcnow()
    waiting = session.scalars(select(Reminder).where(Reminder.studied.is_(None),
                                                     Reminder.sent_at <= now - STUDIED_WITHIN).limit(500)).all()
    for reminder in waiting:
        reminder.studied = bool(session.scalar(select(exists().where(
            LessonProgress.user_id == reminder.user_id, LessonProgress.updated_at >= reminder.sent_at,
            LessonProgress.updated_at <= reminder.sent_at + STUDIED_WITHIN))))
    session.commit()
    return len(waiting)


def open_reminder(session: Session, user_id: int, reminder_id: int) -> Reminder:
    """The worker followed the reminder: stamped once (the first time), for judging the schedule."""
    found = session.get(Reminder, reminder_id)
    if found is None or found.user_id != user_id:
        raise NotFound(_("没有这条提醒。"), code="reminder_not_found")
    if found.opened_at is None:
        found.opened_at = utcnow()
    session.flush()
    return found


def recent_reminders(session: Session, user_id: int, limit: int = 10) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(Reminder.user_id == user_id)
                                .order_by(Reminder.due_at.desc()).limit(limit)))


# -- verified study time and the streak ---------------------------------------------------------------------------

def study_day(now: datetime) -> date:
    """The day verified study time counts for: the learner's Beijing day (learning.heartbeats writes its seconds
    with its other writes, through progress_store.write_beat)."""
    return reminder_rules.to_beijing(now).date()


def record_study(session: Session, user_id: int, seconds: float, now: datetime | None = None) -> None:
    """Add verified study seconds to the learner's Beijing day."""
    if seconds <= 0:
        return
    day = study_day(now or utcnow())
    progress_store.add_study_seconds(session.connection(), user_id, day, float(seconds))  # one upsert: every heartbeat


@functools.cache
def _streak_statement() -> DirectStatement:
    """The week goal (the plan's, if any) and the verified seconds per day since `since`, in one query: a row per
    day, or one row with no day (the user row is there to join from)."""
    uid: BindParameter[int] = bindparam("uid")
    since: BindParameter[date] = bindparam("since", type_=Date)
    return DirectStatement(select(StudyPlan.goal_minutes, StudyPlan.goal_days, StudyDay.day, StudyDay.seconds)
                           .select_from(User).outerjoin(StudyPlan, StudyPlan.user_id == User.id)
                           .outerjoin(StudyDay, (StudyDay.user_id == User.id) & (StudyDay.day >= since))
                           .where(User.id == uid))


def streak_for(session: Session, user_id: int, today: date | None = None) -> streak.Streak:
    today = today or reminder_rules.to_beijing(utcnow()).date()
    since = streak.monday(today) - timedelta(days=7 * streak.MAX_WEEKS)
    session.flush()  # the query below runs on the connection: a plan or day changed in this session counts
    rows = _streak_statement().rows(session.connection(), {"uid": user_id, "since": since})
    days = {row.day: row.seconds for row in rows if row.day is not None}
    planned = rows[0] if rows and rows[0].goal_minutes is not None else None
    goal_minutes, goal_days = (planned.goal_minutes, planned.goal_days) if planned is not None else (60, 3)
    return streak.summarise(days, today, goal_minutes, goal_days)
