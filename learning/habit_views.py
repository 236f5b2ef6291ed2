"""The study plan page (`/learning/plan`: reminder slots, how often, quiet hours, the week goal) and where a
reminder links (`/learning/reminders/<id>/open`, which records that it was opened). Thin over learning.habits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from app.errors import Invalid
from app.extensions import db
from app.web import current_user_required
from learning import habits, reminder_rules

bp = Blueprint("learning_habits", __name__, url_prefix="/learning", template_folder="templates")
DAY_LABELS = (("daily", _l("每天")), ("weekdays", _l("工作日")), ("weekend", _l("周末")), ("0", _l("周一")),
              ("1", _l("周二")), ("2", _l("周三")), ("3", _l("周四")), ("4", _l("周五")), ("5", _l("周六")),
              ("6", _l("周日")))


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def form_values(plan: Any) -> dict[str, str]:
    """The saved plan as the form shows it: slots with the same window are one row, their days named."""
    values = {"per_week": "3", "goal_minutes": "60", "goal_days": "3", "quiet": "22:00-07:00"}
    if plan is None:
        return values
    values.update(per_week=str(plan.per_week), goal_minutes=str(plan.goal_minutes), goal_days=str(plan.goal_days),
                  quiet="" if plan.quiet_start is None else f"{_hhmm(plan.quiet_start)}-{_hhmm(plan.quiet_end)}")
    windows: dict[tuple[int, int], list[int]] = {}
    for weekday, start, end in plan.slots:
        windows.setdefault((start, end), []).append(weekday)
    named = {tuple(v): k for k, v in habits.DAY_CHOICES.items()}
    for i, ((start, end), days) in enumerate(list(windows.items())[:habits.MAX_WINDOWS], start=1):
        values[f"window_{i}"] = f"{_hhmm(start)}-{_hhmm(end)}"
        values[f"days_{i}"] = named.get(tuple(sorted(days)), str(days[0]))
    return values


@bp.route("/plan", methods=["GET", "POST"])
@login_required
def plan() -> str | WerkzeugResponse:
    user = current_user_required()
    fields: dict[str, str] = {}
    values = form_values(habits.plan_of(db.session, user.id))
    if request.method == "POST":
        values = {k: str(v) for k, v in request.form.items() if k != "csrf_token"}
        try:
            habits.save_plan(db.session, user.id, values)
        except Invalid as err:
            db.session.rollback()
            flash(err.message, "error")
            fields = err.fields
        else:
            db.session.commit()
            flash(_("学习计划已保存。"), "success")
            return redirect(url_for("learning_habits.plan"))
    return render_template("learning/plan.html", values=values, fields=fields, day_labels=DAY_LABELS,
                           streak=habits.streak_for(db.session, user.id),
                           step=habits.next_step(db.session, user.id),
                           reminders=habits.recent_reminders(db.session, user.id),
                           windows=range(1, habits.MAX_WINDOWS + 1), to_beijing=reminder_rules.to_beijing)


@bp.get("/reminders/<int:reminder_id>/open")
@login_required
def open_reminder(reminder_id: int) -> WerkzeugResponse:
    found = habits.open_reminder(db.session, current_user_required().id, reminder_id)
    db.session.commit()
    if found.resource_id is None:
        return redirect(url_for("main.learning"))
    return redirect(url_for("learning.resume", resource_id=found.resource_id))
