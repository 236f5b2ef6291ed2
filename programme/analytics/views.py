"""Course analytics pages: one resource (its provider's staff, the unions over it) and a union's roll-up, each with
CSV and XLSX. Thin: read the address, call the service, render or send the tables."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app.errors import NotFound
from app.extensions import db
from app.web import current_user_or_none as user
from programme.analytics import charts, service, tables
from programme.web import staff_bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _floor() -> int:
    return int(current_app.config["ANALYTICS_MIN_LEARNERS"])


def _send(sheets: list[tables.Sheet], fmt: str, name: str, title: str) -> Response:
    if fmt == "csv":
        return Response(tables.as_csv(sheets), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt == "xlsx":
        return Response(tables.as_xlsx(sheets, title), mimetype=XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    raise NotFound()


@staff_bp.get("/analytics")
@login_required
def analytics_home() -> ResponseReturnValue:
    """Union staff go to their union's roll-up; institution staff find each resource's link on 我的资源."""
    unions = service.own_unions(db.session, user())
    if len(unions) == 1:
        return redirect(url_for(".union_analytics", code=unions[0].code))
    return render_template("programme/analytics/index.html", unions=unions)


@staff_bp.get("/analytics/resources/<int:resource_id>")
@login_required
def resource_analytics(resource_id: int) -> str:
    page = service.resource_page(db.session, user(), resource_id, _floor())
    data: dict[str, Any] = charts.resource_data(page)
    return render_template("programme/analytics/resource.html", page=page, figures=page.figures,
                           sheets={sheet.key: sheet for sheet in tables.resource_sheets(page)}, chart_data=data)


@staff_bp.get("/analytics/resources/<int:resource_id>.<fmt>")
@login_required
def resource_analytics_file(resource_id: int, fmt: str) -> Response:
    page = service.resource_page(db.session, user(), resource_id, _floor())
    title = page.figures.resource.title if page.figures.resource else ""
    return _send(tables.resource_sheets(page), fmt, f"analytics-resource-{resource_id}", title)


@staff_bp.get("/analytics/unions/<code>")
@login_required
def union_analytics(code: str) -> str:
    page = service.union_page(db.session, user(), code, _floor())
    return render_template("programme/analytics/union.html", page=page, figures=page.summary,
                           sheets={sheet.key: sheet for sheet in tables.union_sheets(page)},
                           chart_data=charts.union_data(page))


@staff_bp.get("/analytics/unions/<code>.<fmt>")
@login_required
def union_analytics_file(code: str, fmt: str) -> Response:
    page = service.union_page(db.session, user(), code, _floor())
    return _send(tables.union_sheets(page), fmt, f"analytics-union-{page.org.code}", page.org.name)
