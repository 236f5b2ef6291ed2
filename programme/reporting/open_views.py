"""The public yearly report's pages, without login: /open/report lists the years and cities; /open/report/<year>
is the province's report with a row per city, /open/report/<year>/<city code> a city's with a row per county;
/open/quality/<year>/<institution code> an institution's quality report with a row per offering; each has a .pdf
beside it. Public and rarely changing: a PDF is kept OPEN_REPORT_CACHE_SECONDS once made, and
browsers and proxies may keep what an anonymous visitor gets that long (the pages are also in app/pagecache.py)."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Organisation, OrgKind, OrgLevel
from app.extensions import db
from app.pagecache import PageCache
from app.timefmt import beijing_today
from app.web import current_user_or_none as user
from programme.reporting import charts, open_tables, quality_report
from programme.reporting import open_report as yearly
from programme.web import support_bp

ENDPOINTS = ("programme_support.open_report_index", "programme_support.open_report",
             "programme_support.open_report_city", "programme_support.quality_report_page")


def _seconds() -> int:
    return int(current_app.config["OPEN_REPORT_CACHE_SECONDS"])


def _report(year: int, code: str | None, kind: str = "yearly") -> yearly.OpenReport:
    yearly.check_year(year, beijing_today().year)
    floor = int(current_app.config["ANALYTICS_MIN_LEARNERS"])
    if kind == "quality":
        return quality_report.build(db.session, quality_report.institution(db.session, code or ""), year, floor)
    return yearly.build(db.session, yearly.area(db.session, code), year, floor)


def _public(response: Response) -> Response:
    """Anonymous visitors get the same page: shared caches may keep it. A signed-in page names the user."""
    if user() is None and _seconds() > 0:
        response.headers["Cache-Control"] = f"public, max-age={_seconds()}"
    return response


def _charts(report: yearly.OpenReport) -> list[tuple[str, object]]:
    drawn: list[tuple[str, object]] = []
    for n, (figure, items) in enumerate(open_tables.chart_items(report)):
        if items:
            heading = open_tables.heading(figure)
            drawn.append((heading, charts.bar_chart(heading, items, colour=charts.PALETTE[n % len(charts.PALETTE)])))
    trend = {str(f.label): open_tables.year_items(report, f.key) for f in report.figures
             if f.key in ("admitted", "graduations", "certificates")}
    if any(trend.values()):
        drawn.append((_("历年情况"), charts.column_chart(_("历年情况"), trend)))
    return drawn


def _page(year: int, code: str | None, kind: str = "yearly") -> Response:
    report = _report(year, code, kind)
    cities = report.regions[1:] if kind == "yearly" and not code else []
    pdf_url = request.script_root + request.path + ".pdf"
    html = render_template("programme/open_report/report.html", report=report, title=open_tables.title(report),
                           pdf_url=pdf_url,
                           table=open_tables.table(report), summary=open_tables.summary_line(report),
                           empty=open_tables.empty_rows(report),
                           note=open_tables.floor_note(report), charts=_charts(report), cities=cities)
    return _public(Response(html))


def _pdf(year: int, code: str | None, kind: str = "yearly") -> Response:
    store: PageCache = current_app.extensions["open_report_pdfs"]
    key = (f"{kind}/{year}/{code or ''}", str(get_locale()), "pdf")
    hit = store.get(key) if _seconds() > 0 else None
    if hit is None:
        # open_pdf brings reportlab (~12 MB resident): imported when a PDF is made, not by every web process
        from programme.reporting import open_pdf

        report = _report(year, code, kind)
        body = open_pdf.pdf(report, open_tables.title(report))
        store.put(key, body, [])
    else:
        body = hit[0]
    name = f"{'quality' if kind == 'quality' else 'report'}-{year}{'-' + code if code else ''}.pdf"
    response = Response(body, mimetype="application/pdf", headers={"Content-Disposition": f"inline; filename={name}"})
    if _seconds() > 0:
        response.headers["Cache-Control"] = f"public, max-age={_seconds()}"
    return response


@support_bp.get("/open/report")
def open_report_index() -> ResponseReturnValue:
    """Every year since the programme began, newest first, and the cities that have their own report."""
    this_year = beijing_today().year
    cities = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.union, Organisation.level == OrgLevel.city).order_by(Organisation.code)).all()
    years = range(this_year, yearly.FIRST_YEAR - 1, -1)
    html = render_template("programme/open_report/index.html", years=years, this_year=this_year, cities=cities,
                           institutions=quality_report.institutions(db.session))
    return _public(Response(html))


@support_bp.get("/open/report/<int:year>")
def open_report(year: int) -> ResponseReturnValue:
    return _page(year, None)


@support_bp.get("/open/report/<int:year>.pdf")
def open_report_pdf(year: int) -> ResponseReturnValue:
    return _pdf(year, None)


@support_bp.get("/open/report/<int:year>/<code>")
def open_report_city(year: int, code: str) -> ResponseReturnValue:
    return _page(year, code)


@support_bp.get("/open/report/<int:year>/<code>.pdf")
def open_report_city_pdf(year: int, code: str) -> ResponseReturnValue:
    return _pdf(year, code)


@support_bp.get("/open/quality/<int:year>/<code>")
def quality_report_page(year: int, code: str) -> ResponseReturnValue:
    """An institution's quality report (质量报告): a row per offering of that year, from its own figures."""
    return _page(year, code, "quality")


@support_bp.get("/open/quality/<int:year>/<code>.pdf")
def quality_report_pdf(year: int, code: str) -> ResponseReturnValue:
    return _pdf(year, code, "quality")
