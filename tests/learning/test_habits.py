"""Shift-aware reminders and the fair streak with the database (learning/habits.py): a worker's lunchtime slot
gets one reminder naming the lesson to continue and its time left, whatever how often the duty runs; opening
it and studying within the hour are recorded; only the seconds the learner's clock paid count towards the week
goal, never a replayed heartbeat; 我的学习 shows the week."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.notifications import delivery, kinds
from app.notifications.models import Notification
from learning import habits
from learning.habit_models import Reminder, StudyDay
from learning.reminder_rules import to_beijing, to_utc
from tests.conftest import post_form


def _lunch_plan(learner, **extra):
    values = {"window_1": "12:00-12:30", "days_1": "daily", "per_week": "5", "quiet": "22:00-07:00",
              "goal_minutes": "30", "goal_days": "2"} | extra
    habits.save_plan(db.session, learner.user.id, values)
    db.session.commit()


def _next_lunch(now: datetime, minute: int = 5) -> datetime:
    """The next 12:xx Beijing time after `now`, in UTC."""
    local = to_beijing(now).replace(hour=12, minute=minute, second=0, microsecond=0)
    if to_utc(local) <= now:
        local += timedelta(days=1)
    return to_utc(local)


def test_a_lunchtime_reminder_names_the_lesson_and_its_time_left_once(learner):
    lesson = learner.lesson(0)  # 10:00
    from learning import heartbeats

    for body in learner.steady(lesson, 16):  # 4 of 10 minutes watched
        heartbeats.record(db.session, learner.user.id, heartbeats.parse(body))
    db.session.commit()
    _lunch_plan(learner)
    lunch = _next_lunch(utcnow())
    assert habits.send_due(db.session, lunch - timedelta(minutes=10)) == 0  # 11:55: not yet
    assert habits.send_due(db.session, lunch) == 1
    assert habits.send_due(db.session, lunch + timedelta(minutes=3)) == 0  # the duty again: the same window
    reminder, = db.session.scalars(select(Reminder)).all()
    assert reminder.text == "继续《安全用电》第1课，还剩6分钟"
    assert to_beijing(reminder.due_at).strftime("%H:%M") == "12:00"
    note, = db.session.scalars(select(Notification).where(Notification.kind == kinds.REMINDER)).all()
    assert note.title == reminder.text and note.url == f"/learning/reminders/{reminder.id}/open"


def test_opening_and_studying_within_the_hour_are_recorded(learner, client, auth):
    _lunch_plan(learner)
    lunch = _next_lunch(utcnow() - timedelta(days=1))
    habits.send_due(db.session, lunch)
    reminder = db.session.scalar(select(Reminder))
    assert reminder is not None and reminder.opened_at is None
    auth.login(learner.user.phone)
    opened = client.get(f"/learning/reminders/{reminder.id}/open")
    assert opened.status_code == 302 and f"/learning/r/{learner.resource.id}/continue" in opened.headers["Location"]
    reminder.sent_at = utcnow() - timedelta(minutes=90)  # as if sent at lunch: no heartbeat in the hour after
    db.session.commit()
    assert habits.judge(db.session) == 1
    db.session.refresh(reminder)
    assert reminder.opened_at is not None and reminder.studied is False


def test_someone_elses_reminder_is_not_found(learner, client, auth):
    _lunch_plan(learner)
    habits.send_due(db.session, _next_lunch(utcnow()))
    reminder = db.session.scalar(select(Reminder))
    auth.as_role("worker")
    assert client.get(f"/learning/reminders/{reminder.id}/open").status_code == 404


def test_nothing_to_continue_means_no_reminder(learner):
    learner.resource = None
    habits.save_plan(db.session, learner.user.id, {"window_1": "00:00-24:00", "days_1": "daily", "per_week": "7",
                                                   "quiet": "", "goal_minutes": "30", "goal_days": "1"})
    db.session.execute(Reminder.__table__.delete())
    from learning.models import Enrolment

    db.session.execute(Enrolment.__table__.delete())
    db.session.commit()
    assert habits.send_due(db.session) == 0


def test_only_paid_study_seconds_count_and_a_replay_earns_nothing(learner):
    lesson = learner.lesson(0)
    bodies = learner.steady(lesson, 8)  # 2 minutes of playback
    from learning import heartbeats

    for body in bodies + bodies:  # then every heartbeat again (a refresh, a replayed queue)
        heartbeats.record(db.session, learner.user.id, heartbeats.parse(body))
        db.session.commit()
    day = db.session.scalar(select(StudyDay).where(StudyDay.user_id == learner.user.id))
    assert day is not None and abs(day.seconds - 120) < 1e-6
    week = habits.streak_for(db.session, learner.user.id)
    assert week.this_week.minutes == 2 and week.this_week.days == 1


def test_the_plan_page_keeps_the_slot_and_refuses_a_bad_one(learner, client, auth):
    auth.login(learner.user.phone)
    bad = post_form(client, "/learning/plan", {"window_1": "12:30-12:00", "days_1": "daily", "per_week": "3",
                                               "quiet": "", "goal_minutes": "60", "goal_days": "3"})
    assert bad.status_code == 200 and "时间段的格式是 12:00-12:30。" in bad.get_data(as_text=True)
    saved = post_form(client, "/learning/plan", {"window_1": "12:00-12:30", "days_1": "weekdays", "per_week": "3",
                                                 "quiet": "22:00-07:00", "goal_minutes": "90", "goal_days": "3"})
    assert saved.status_code == 302
    page = client.get("/learning/plan").get_data(as_text=True)
    assert 'value="12:00-12:30"' in page and '<option value="weekdays" selected>' in page
    mine = client.get("/learning").get_data(as_text=True)
    assert "data-streak" in mine and "/ 90 分钟" in mine


def test_a_reminder_is_pushed_but_never_texted(learner, app):
    _lunch_plan(learner)
    habits.send_due(db.session, _next_lunch(utcnow()))
    delivery.deliver_pending(db.session, app.config)
    from app.sms import SmsMessage

    assert db.session.scalars(select(SmsMessage)).all() == []


def test_reminders_turned_off_send_nothing(learner):
    from app.notifications import service

    _lunch_plan(learner)
    service.set_enabled(db.session, learner.user.id, set(kinds.KINDS) - {kinds.REMINDER})
    db.session.commit()
    assert habits.send_due(db.session, _next_lunch(utcnow())) == 0
    assert db.session.scalars(select(Reminder)).all() == []
