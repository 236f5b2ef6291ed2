"""Reports (统计报表): for one union, every metric broken down by the unions directly below it (rolled up
the tree by path), by year and by industry; the dashboard, the XLSX export and the yearly PDF all read
the same `Report`, so what the charts show is what the spreadsheet holds.

A worker counts in the region of the union on the worker's profile; a registration through a QR code
counts in the region of the union that printed the code (so does an application by someone it brought in);
an application, its enrolment record and its subsidy count in the application's county. Each metric is
one GROUP BY (path, year) query."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Organisation, OrgKind, User, WorkerProfile
from app.accounts.policy import require
from app.pdf_font import pdf_font
from app.tabular import xlsx_cells
from app.text import xml_safe
from app.timefmt import year_of
from catalog.labels import INDUSTRY_LABELS
from catalog.models import Industry, ResourceIndustry
from credits.models import CreditRecord
from learning.models import Enrolment
from programme.admissions.attribution import owner_of
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Plan, Quota
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.money.models import SubsidyClaim, SubsidyPayment

Query = Callable[[Organisation], Select[*tuple[Any, ...]]]


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any                       # lazy string: rendered in the viewer's language
    unit: Any
    query: Query                     # -> rows of (union path, year, value), already within the union
    industry: Query | None = None    # -> rows of (industry, year, value), for metrics tied to resources


def _year(column: Any) -> Any:
    """The Beijing year of a timestamp (a completion at 23:30 UTC on 31 December counts in the new year)."""
    return year_of(column).label("year")


def _in_region(query: Select[*tuple[Any, ...]], user_column: Any, org: Organisation) -> Select[*tuple[Any, ...]]:
    """Join a user column to the union on the worker's profile and keep the union's subtree."""
    return (query.join(WorkerProfile, WorkerProfile.user_id == user_column)
            .join(Organisation, Organisation.id == WorkerProfile.union_id)
            .where(Organisation.path.startswith(org.path)))


def _regional(model: Any, user_column: Any, when: Any, value: Any, *where: Any) -> Query:
    def query(org: Organisation) -> Select[*tuple[Any, ...]]:
        base = select(Organisation.path, _year(when), value).select_from(model).where(when.is_not(None), *where)
        return _in_region(base, user_column, org).group_by(Organisation.path, "year")
    return query


def _by_industry(model: Any, user_column: Any, resource_column: Any, when: Any, value: Any, *where: Any) -> Query:
    def query(org: Organisation) -> Select[*tuple[Any, ...]]:
        base = (select(ResourceIndustry.industry, _year(when), value).select_from(model)
                .join(ResourceIndustry, ResourceIndustry.resource_id == resource_column)
                .where(when.is_not(None), *where))
        return _in_region(base, user_column, org).group_by(ResourceIndustry.industry, "year")
    return query


def _referred(org: Organisation) -> Select[*tuple[Any, ...]]:
    return (select(Organisation.path, _year(User.created_at), func.count(User.id))
            .join(User, User.referred_by_id == Organisation.id)
            .where(Organisation.path.startswith(org.path)).group_by(Organisation.path, "year"))


def learning_metrics() -> list[Metric]:
    people, credits = _l("人次"), _l("学分")
    return [
        Metric("enrolments", _l("课程学习"), people,
               _regional(Enrolment, Enrolment.user_id, Enrolment.enrolled_at, func.count(Enrolment.id)),
               _by_industry(Enrolment, Enrolment.user_id, Enrolment.resource_id, Enrolment.enrolled_at,
                            func.count(Enrolment.id))),
        Metric("completions", _l("课程结业"), people,
               _regional(Enrolment, Enrolment.user_id, Enrolment.completed_at, func.count(Enrolment.id)),
               _by_industry(Enrolment, Enrolment.user_id, Enrolment.resource_id, Enrolment.completed_at,
                            func.count(Enrolment.id))),
        Metric("credits", _l("存入学分银行"), credits,
               _regional(CreditRecord, CreditRecord.user_id, CreditRecord.created_at, func.sum(CreditRecord.amount)),
               _by_industry(CreditRecord, CreditRecord.user_id, CreditRecord.resource_id, CreditRecord.created_at,
                            func.sum(CreditRecord.amount))),
    ]


def _first_of_its_number() -> Any:
    """A person's certificate counts once however many departments sent it (a number is unique within its sender
    only, programme/exchange/models.py): the person's earliest record of the number stands for it."""
    earlier = aliased(CertificateRecord)
    return ~exists().where(earlier.user_id == CertificateRecord.user_id, earlier.id < CertificateRecord.id,
                           earlier.certificate_no == CertificateRecord.certificate_no)


def support_metrics() -> list[Metric]:
    people = _l("人")
    return [
        Metric("referred", _l("扫码注册"), people, _referred),
        Metric("graduations", _l("学历毕业"), people,
               _regional(GraduationRecord, GraduationRecord.user_id, GraduationRecord.graduated_on,
                         func.count(GraduationRecord.id))),
        Metric("certificates", _l("技能证书"), people,
               _regional(CertificateRecord, CertificateRecord.user_id, CertificateRecord.issued_on,
                         func.count(CertificateRecord.id), _first_of_its_number())),
    ]


def _by_county(value: Any, *joins: tuple[Any, Any], where: tuple[Any, ...] = ()) -> Query:
    """Programme figures count in the county union of the application (`Application.county_id`), by plan year."""
    def query(org: Organisation) -> Select[*tuple[Any, ...]]:
        base = select(Organisation.path, Plan.year.label("year"), value).select_from(Application)
        for target, on in joins:
            base = base.join(target, on)
        return (base.join(Plan, Plan.id == Application.plan_id)
                .join(Organisation, Organisation.id == Application.county_id)
                .where(Organisation.path.startswith(org.path), *where).group_by(Organisation.path, Plan.year))
    return query


def _budget(org: Organisation) -> Select[*tuple[Any, ...]]:
    """Province money per region: what each union below received, and what this union kept for itself."""
    kept = case((Quota.org_id == org.id, Quota.budget_yuan - Quota.budget_handed_out), else_=Quota.budget_yuan)
    regions = [org.id] + [c.id for c in org.children if c.kind == OrgKind.union]
    return (select(Organisation.path, Plan.year.label("year"), func.sum(kept)).select_from(Quota)
            .join(Plan, Plan.id == Quota.plan_id).join(Organisation, Organisation.id == Quota.org_id)
            .where(Quota.org_id.in_(regions)).group_by(Organisation.path, Plan.year))


def _referred_applications(org: Organisation) -> Select[*tuple[Any, ...]]:
    return (select(Organisation.path, Plan.year.label("year"), func.count(Application.id)).select_from(Application)
            .join(Plan, Plan.id == Application.plan_id).join(User, User.id == Application.user_id)
            .join(Organisation, Organisation.id == User.referred_by_id)
            .where(Organisation.path.startswith(org.path), Application.status != AppStatus.withdrawn)
            .group_by(Organisation.path, Plan.year))


def programme_metrics() -> list[Metric]:
    """Applications, admissions, enrolment records, subsidies paid and budget, from the programme's tables."""
    people, yuan = _l("人"), _l("元")
    return [
        Metric("applications", _l("报读申请"), people, _by_county(
            func.count(Application.id), where=(Application.status != AppStatus.withdrawn,))),
        Metric("admitted", _l("录取"), people, _by_county(
            func.count(Application.id), where=(Application.status.in_([AppStatus.admitted, AppStatus.enrolled]),))),
        Metric("enrolled", _l("注册学籍"), people, _by_county(
            func.count(EnrolmentRecord.id), (EnrolmentRecord, EnrolmentRecord.application_id == Application.id))),
        Metric("subsidies", _l("补贴发放"), yuan, _by_county(
            func.sum(SubsidyPayment.amount), (EnrolmentRecord, EnrolmentRecord.application_id == Application.id),
            (SubsidyClaim, SubsidyClaim.enrolment_id == EnrolmentRecord.id),
            (SubsidyPayment, SubsidyPayment.claim_id == SubsidyClaim.id))),
        Metric("budget", _l("省级资金"), yuan, _budget),
        Metric("referred_applications", _l("扫码报读"), people, _referred_applications),
    ]


def all_metrics() -> list[Metric]:
    return programme_metrics() + learning_metrics() + support_metrics()


@dataclass
class Report:
    org: Organisation
    year: int | None
    metrics: list[Metric]
    regions: list[Organisation]                                              # the union itself, then its children
    by_region: dict[str, dict[int, float]] = field(default_factory=dict)     # metric -> region id -> value
    by_year: dict[str, dict[int, float]] = field(default_factory=dict)       # metric -> year -> value (all years)
    by_industry: dict[str, dict[str, float]] = field(default_factory=dict)   # metric -> industry -> value

    @property
    def years(self) -> list[int]:
        return sorted({y for values in self.by_year.values() for y in values})

    def total(self, key: str) -> float:
        return _number(sum(self.by_region.get(key, {}).values()))


def _number(value: Any) -> float:
    number = float(value or 0)
    return int(number) if number.is_integer() else round(number, 2)


def build(session: Session, actor: Any, org: Organisation, year: int | None = None,
          metrics: list[Metric] | None = None) -> Report:
    """Every metric for `org`: per child region and in total for `year` (all years when None), per year."""
    require(actor, "report.view", org)
    children = [c for c in org.children if c.kind == OrgKind.union]
    report = Report(org, year, metrics if metrics is not None else all_metrics(), [org, *children])
    for metric in report.metrics:
        regions = report.by_region.setdefault(metric.key, {r.id: 0 for r in report.regions})
        years = report.by_year.setdefault(metric.key, {})
        for path, row_year, value in session.execute(metric.query(org)):
            row_year = int(row_year)
            years[row_year] = _number(years.get(row_year, 0) + _number(value))
            if year is None or row_year == year:
                owner = owner_of(org, path)
                regions[owner] = _number(regions.get(owner, 0) + _number(value))
        if metric.industry is not None:
            industries = report.by_industry.setdefault(metric.key, {})
            for industry, row_year, value in session.execute(metric.industry(org)):
                if year is None or int(row_year) == year:
                    name = getattr(industry, "value", industry)
                    industries[name] = _number(industries.get(name, 0) + _number(value))
    return report


def industry_label(name: str) -> str:
    try:
        return str(INDUSTRY_LABELS[Industry(name)])
    except (ValueError, KeyError):
        return name


def tables(report: Report) -> dict[str, list[list[Any]]]:
    """The report as rows: by region (with a total row), by year, by industry. XLSX and PDF print these."""
    heads = [f"{m.label}（{m.unit}）" for m in report.metrics]
    region_rows = [[str(_l("本级")) if r.id == report.org.id else r.name] +
                   [report.by_region[m.key].get(r.id, 0) for m in report.metrics] for r in report.regions]
    region_rows.append([str(_l("合计"))] + [_number(report.total(m.key)) for m in report.metrics])
    year_rows = [[year] + [report.by_year[m.key].get(year, 0) for m in report.metrics] for year in report.years]
    with_industry = [m for m in report.metrics if m.industry is not None]
    names = sorted({n for m in with_industry for n in report.by_industry.get(m.key, {})})
    industry_rows = [[industry_label(n)] + [report.by_industry[m.key].get(n, 0) for m in with_industry]
                     for n in names]
    return {
        str(_l("按地区")): [[str(_l("地区"))] + heads] + region_rows,
        str(_l("按年度")): [[str(_l("年度"))] + heads] + year_rows,
        str(_l("按行业")): [[str(_l("行业"))] + [f"{m.label}（{m.unit}）" for m in with_industry]] + industry_rows,
    }


def xlsx(report: Report) -> bytes:
    from openpyxl import Workbook  # here: openpyxl is 20 MB, only a spreadsheet needs it
    from openpyxl.styles import Font  # here, as above

    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook has one sheet
    book.remove(first)
    for title, rows in tables(report).items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(xlsx_cells(sheet, row))  # region names are typed by people: never a formula
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(report: Report, title: str) -> bytes:
    """The yearly report: a title, then each table; Chinese in the site's embedded PDF font."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    heading = ParagraphStyle("h", fontName=font, fontSize=18, leading=26, spaceAfter=8)
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=12)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title)
    story: list[Any] = [Paragraph(_markup(title), heading)]
    for metric in [m for m in report.metrics if m.key in ("applications", "enrolments")]:
        story += [Paragraph(f"{metric.label}（{metric.unit}）", small), _pdf_bars(report, metric, font), Spacer(1, 8)]
    for name, rows in tables(report).items():
        story.append(Paragraph(name, ParagraphStyle("h2", parent=heading, fontSize=13, leading=18)))
        if len(rows) == 1:
            story.append(Paragraph("—", small))
            continue
        cells = [[Paragraph(_markup(c), small) for c in row] for row in rows]
        table = Table(cells, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story += [table, Spacer(1, 12)]
    document.build(story)
    return buffer.getvalue()


def _markup(value: Any) -> str:
    """reportlab's Paragraph reads its text as markup: a region named "<b" or "A & B" would break the PDF."""
    return escape(xml_safe(str(value)))


def _pdf_bars(report: Report, metric: Metric, font: str) -> Any:
    """One metric by region as horizontal bars, for the printed report (the web page draws its own SVG)."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    names = [str(_l("本级")) if r.id == report.org.id else r.name for r in report.regions]
    values = [report.by_region[metric.key].get(r.id, 0) for r in report.regions]
    drawing = Drawing(700, 14 * len(names) + 20)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 120, 10, 560, 14 * len(names)
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(names))
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#b71c1c")
    drawing.add(chart)
    return drawing
