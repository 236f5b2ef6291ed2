"""The learning habit's demo for `make run`: the demo worker (李小梅) has a lunchtime slot (12:00-12:30 every
day, quiet hours at night), today's lunchtime reminder naming the next lesson, a few messages in the bell, and
verified study on the days of the last two weeks with rest days in between, so the week goal is kept (a streak
of two weeks) although she did not study every day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import notifications
from app.accounts.models import User
from app.db import utcnow
from app.notifications import kinds
from learning import habits, reminder_rules, streak
from learning.demo import WORKER_PHONE
from learning.habit_models import StudyDay
from learning.models import Enrolment

PLAN = {"window_1": "12:00-12:30", "days_1": "daily", "per_week": "5", "quiet": "22:00-07:00",
        "goal_minutes": "60", "goal_days": "3"}
# (days after the week's Monday, verified minutes): a rest day (or two) between each study day
LAST_WEEKS = ((0, 25), (2, 20), (5, 20))


def load(session: Session) -> dict[str, int]:
    worker = session.scalar(select(User).where(User.phone == WORKER_PHONE))
    if worker is None:
        return {}
    plan = habits.save_plan(session, worker.id, PLAN)
    today = reminder_rules.to_beijing(utcnow()).date()
    for weeks_back in (1, 2):
        monday = streak.monday(today) - timedelta(days=7 * weeks_back)
        for offset, minutes in LAST_WEEKS:
            session.add(StudyDay(user_id=worker.id, day=monday + timedelta(days=offset), seconds=minutes * 60.0))
    _resume_mid_lesson(session, worker.id)
    lunch = reminder_rules.to_utc(reminder_rules.to_beijing(utcnow()).replace(hour=12, minute=5, second=0,
                                                                              microsecond=0))
    reminders = int(habits.send_one(session, plan, lunch) is not None)
    studying = session.scalar(select(Enrolment.resource_id).where(
        Enrolment.user_id == worker.id, Enrolment.completed_at.is_(None)).order_by(Enrolment.id).limit(1))
    course_news = f"/learning/r/{studying}/continue" if studying else "/learning"  # as learning/course_news.py
    for kind, title, url in (
            (kinds.ENQUIRY, "你的咨询有了回复", "/enquiries"),
            (kinds.APPLICATION, "你已被录取，请按学校通知报到", "/programme/mine"),
            (kinds.COURSE, "课程有更新：请看最新课时", course_news)):
        notifications.notify(session, worker.id, kind, title, url)
    session.flush()
    return {"study reminders": reminders, "study days": 2 * len(LAST_WEEKS)}


def _resume_mid_lesson(session: Session, user_id: int) -> None:
    """The most recent course stopped a minute into its third lesson (or its last, if shorter), so the reminder
    reads like 继续《…》第3课，还剩N分钟."""
    found = session.scalar(select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.completed_at.is_(None))
                           .order_by(Enrolment.id).limit(1))
    if found is None or not found.resource.lessons:
        return
    lessons = found.resource.lessons
    lesson = lessons[min(2, len(lessons) - 1)]
    found.last_lesson_id, found.last_position_s = lesson.id, min(60.0, max(0.0, (lesson.duration_s or 0) / 3))
    found.last_active_at = utcnow()
