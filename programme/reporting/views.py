"""Report pages: a union's dashboard of server-drawn charts, the XLSX workbook and the yearly PDF, all read
from the same `reports.Report`. Thin: pick the union and year, call the service, render."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.extensions import db
from app.web import current_user_or_none as user
from programme.admissions import qrcodes
from programme.reporting import charts, reports
from programme.web import support_bp


def _report_for(code: str) -> reports.Report:
    year = request.args.get("year", type=int)
    org = qrcodes.union(db.session, code)
    return reports.build(db.session, user(), org, year)


@support_bp.get("/reports")
@login_required
def reports_home() -> ResponseReturnValue:
    """Union staff go straight to their own union's dashboard; others see the (empty) list of theirs."""
    unions = qrcodes.unions_for(db.session, user())
    own = qrcodes.own_unions(unions)
    if len(own) == 1:
        return redirect(url_for(".report", code=own[0].code))
    return render_template("programme/reports/index.html", unions=own)


YEARLY = ("applications", "enrolled", "enrolments", "completions")  # counts of people, comparable on one axis


def _charts(report: reports.Report) -> list[tuple[str, Any]]:
    names = {r.id: (_("本级") if r.id == report.org.id else r.name) for r in report.regions}
    result = [(str(m.label), charts.bar_chart(f"{m.label}（{m.unit}）",
                                               [(names[i], v) for i, v in report.by_region[m.key].items()],
                                               colour=charts.PALETTE[n % len(charts.PALETTE)]))
              for n, m in enumerate(report.metrics)]
    yearly = {str(m.label): [(str(y), v) for y, v in sorted(report.by_year[m.key].items())]
              for m in report.metrics if m.key in YEARLY}
    result.append((_("按年度"), charts.column_chart(_("按年度"), yearly)))
    for m in report.metrics:
        if m.industry is not None and report.by_industry.get(m.key):
            items = sorted(((reports.industry_label(k), v) for k, v in report.by_industry[m.key].items()),
                           key=lambda item: -item[1])
            result.append((_("%(m)s · 按行业", m=m.label), charts.bar_chart(f"{m.label}", items)))
    return result


@support_bp.get("/reports/<code>")
@login_required
def report(code: str) -> str:
    result = _report_for(code)
    return render_template("programme/reports/dashboard.html", report=result, charts=_charts(result))


@support_bp.get("/reports/<code>/report.xlsx")
@login_required
def report_xlsx(code: str) -> Response:
    result = _report_for(code)
    return Response(reports.xlsx(result), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=report-{code}-{result.year or 'all'}.xlsx"})


@support_bp.get("/reports/<code>/<int:year>.pdf")
@login_required
def report_pdf(code: str, year: int) -> Response:
    org = qrcodes.union(db.session, code)
    result = reports.build(db.session, user(), org, year)
    title = _("%(org)s %(year)d年度 职工学历技能双提升行动统计报告", org=org.name, year=year)
    return Response(reports.pdf(result, title), mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=report-{code}-{year}.pdf"})
