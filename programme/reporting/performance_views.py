"""Performance pages: a union's ranking of the unions below it against their yearly targets (with the forms to
set targets and send 督办), its CSV/XLSX export, and the 督办 inbox where a unit answers. Thin: pick the union
and year, call the services, render."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts.policy import can
from app.extensions import db
from app.tabular import csv_bytes, xlsx_bytes
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from programme.admissions import plans, qrcodes
from programme.reporting import performance, supervision
from programme.web import acted, day, support_bp, year_arg


def _board(code: str) -> performance.Dashboard:
    org = qrcodes.union(db.session, code)
    return performance.dashboard(db.session, user(), org, plans.chosen(db.session, year_arg()))


@support_bp.get("/reports/<code>/performance")
@login_required
def performance_page(code: str) -> str:
    board = _board(code)
    notices = supervision.sent_below(db.session, user(), board.org, board.plan)
    return render_template("programme/reports/performance.html", board=board, notices=notices,
                           measures=performance.MEASURES, lights=performance.LIGHT_LABELS,
                           plans=plans.all_plans(db.session), today=beijing_today())


def _back(code: str, year: int) -> ResponseReturnValue:
    return redirect(url_for(".performance_page", code=code, year=year))


@support_bp.post("/reports/<code>/performance/<unit>/target")
@login_required
def performance_target(code: str, unit: str) -> ResponseReturnValue:
    plan = plans.chosen(db.session, year_arg())
    org = qrcodes.union(db.session, unit)
    acted(lambda: performance.set_target(db.session, user(), plan, org, request.form), _("目标已保存。"))
    return _back(code, plan.year)


@support_bp.post("/reports/<code>/performance/<unit>/supervise")
@login_required
def performance_supervise(code: str, unit: str) -> ResponseReturnValue:
    plan = plans.chosen(db.session, year_arg())
    org = qrcodes.union(db.session, unit)
    acted(lambda: supervision.send(db.session, user(), plan, org, request.form.get("text", ""), day("due_on")),
          _("督办已发出。"))
    return _back(code, plan.year)


@support_bp.get("/reports/<code>/performance.<fmt>")
@login_required
def performance_file(code: str, fmt: str) -> Response:
    board = _board(code)
    rows = performance.sheet(board)
    name = f"performance-{code}-{board.plan.year}"
    if fmt == "csv":
        return Response(csv_bytes(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt != "xlsx":
        return Response(status=404)
    return Response(xlsx_bytes(_("绩效评估"), rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@support_bp.get("/supervision")
@login_required
def supervision_inbox() -> str:
    return render_template("programme/reports/supervision_inbox.html",
                           notices=supervision.received(db.session, user()))


@support_bp.get("/supervision/<int:notice_id>")
@login_required
def supervision_show(notice_id: int) -> str:
    notice = supervision.get(db.session, user(), notice_id)
    return render_template("programme/reports/supervision.html", notice=notice,
                           can_answer=notice.answered_at is None and can(user(), "performance.answer",
                                                                                      notice))


@support_bp.post("/supervision/<int:notice_id>")
@login_required
def supervision_answer(notice_id: int) -> ResponseReturnValue:
    notice = supervision.get(db.session, user(), notice_id)
    acted(lambda: supervision.answer(db.session, user(), notice, request.form.get("answer", "")), _("已回复。"))
    return redirect(url_for(".supervision_show", notice_id=notice_id))
