"""The public yearly report (通报、向社会公示): what the programme achieved in a year, for the province with a
row per city, or for one city with a row per county. Public by design, so it holds aggregates only, each
withheld below the floor (programme/reporting/disclosure.py): no person can be picked out of it.

Each figure reuses a query of reports.py (so the public numbers are the staff dashboard's numbers) with the
person added to its GROUP BY: the rows are (union path, year, person, value), and a region's group is the set of
distinct people in it, which is what the floor is about."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, OrgLevel
from app.errors import NotFound
from learning.models import Enrolment
from programme.admissions.attribution import owner_of
from programme.admissions.models import Application
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.reporting import disclosure, reports
from programme.reporting.disclosure import COMPLEMENT, Cell
from programme.voice.models import SurveyResponse

FIRST_YEAR = 2019  # the programme's document (浙总工发〔2019〕74号) starts it


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any   # lazy: rendered in the reader's language
    unit: Any
    query: reports.Query     # rows of (path, year, value)
    person: Any              # the column naming the person each row is about
    answers: Any = None      # for an average: the number of answers behind each row's sum
    within: str | None = None  # the figure whose people, in each row, include this one's (admitted: applications)


def _satisfaction() -> reports.Query:
    """Workers' satisfaction answers (1-5), counted in the region of the worker who answered, by year answered."""
    return reports._regional(SurveyResponse, SurveyResponse.respondent_id, SurveyResponse.created_at,
                             func.sum(SurveyResponse.satisfaction))


def figures() -> list[Figure]:
    """The five things the document asks to report: admissions, completions, certificates, subsidies, satisfaction."""
    metrics = {m.key: m for m in reports.all_metrics()}
    return [
        Figure("admitted", _l("录取"), _l("人"), metrics["admitted"].query, Application.user_id),
        Figure("graduations", _l("学历毕业"), _l("人"), metrics["graduations"].query, GraduationRecord.user_id),
        Figure("completions", _l("课程结业"), _l("人次"), metrics["completions"].query, Enrolment.user_id),
        Figure("certificates", _l("技能证书"), _l("人"), metrics["certificates"].query, CertificateRecord.user_id),
        Figure("subsidies", _l("补贴发放"), _l("元"), metrics["subsidies"].query, Application.user_id),
        Figure("satisfaction", _l("满意度"), _l("分，满分5分"), _satisfaction(), SurveyResponse.respondent_id,
               func.count(SurveyResponse.id)),
    ]


@dataclass
class OpenReport:
    """A published table: the yearly report (rows are unions) or an institution's quality report (rows are its
    offerings, quality_report.py). The first row is always the area itself."""

    year: int
    area: Organisation              # the province, one city, or one institution
    floor: int
    figures: list[Figure]
    regions: list[Any]              # the area itself, then the unions below it (or the institution's offerings)
    kind: str = "yearly"            # or "quality"
    totals: dict[str, Cell] = field(default_factory=dict)                 # figure -> the area's cell
    by_region: dict[str, dict[int, Cell]] = field(default_factory=dict)   # figure -> row index -> cell
    by_year: dict[str, dict[int, Cell]] = field(default_factory=dict)     # figure -> year -> the area's cell


class _Tally:
    """People and the sum (and number of answers, for averages) of one group."""

    def __init__(self) -> None:
        self.people: set[Hashable] = set()
        self.value = 0.0
        self.answers = 0

    def add(self, person: Hashable | None, value: Any, answers: Any) -> None:
        # a row naming no one (a record kept without an account) is still someone: counted as a person of its own,
        # or one such graduate alone was a group of none and printed below the floor
        self.people.add(object() if person is None else person)
        self.value += float(value or 0)
        self.answers += int(answers or 0)

    def result(self, average: bool) -> tuple[int, float | None]:
        """(people, value); an average of no answers is None ("—"), not a score of 0."""
        if average:
            return len(self.people), round(self.value / self.answers, 2) if self.answers else None
        number = round(self.value, 2)
        return len(self.people), int(number) if number.is_integer() else number


def area(session: Session, code: str | None) -> Organisation:
    """The province union, or the city union with this code; anything else is not found."""
    query = select(Organisation).where(Organisation.kind == OrgKind.union)
    query = query.where(Organisation.code == code, Organisation.level == OrgLevel.city) if code else \
        query.where(Organisation.level == OrgLevel.province).order_by(Organisation.id).limit(1)
    found = session.scalar(query)
    if found is None:
        raise NotFound(str(_l("没有找到这个地区的年度报告。")), code="open_report_not_found")
    return found


def check_year(year: int, this_year: int) -> None:
    if not FIRST_YEAR <= year <= this_year:
        raise NotFound(str(_l("没有这一年度的报告。")), code="open_report_not_found")


def _rows(session: Session, figure: Figure, org: Organisation) -> Any:
    query = figure.query(org).add_columns(figure.person)
    if figure.answers is not None:
        query = query.add_columns(figure.answers)
    return session.execute(query.group_by(figure.person))


Locate = Callable[[Any], int]  # a row's first column (a union path, an offering id) -> its row index


def _tallies(session: Session, report: OpenReport, figure: Figure,
             locate: Locate) -> tuple[dict[int, _Tally], dict[int, _Tally]]:
    """Per row for the report's year, and for the whole area per year."""
    regions: dict[int, _Tally] = {index: _Tally() for index in range(len(report.regions))}
    years: dict[int, _Tally] = defaultdict(_Tally)
    for row in _rows(session, figure, report.area):
        where, year, value, person = row[0], int(row[1]), row[2], row[3]
        answers = row[4] if figure.answers is not None else 0
        years[year].add(person, value, answers)
        if year == report.year:
            regions[locate(where)].add(person, value, answers)
    return regions, years


def fill(session: Session, report: OpenReport, locate: Locate) -> OpenReport:
    """Every figure per row and in total for the report's year, and the area's totals per year, all withheld below
    the floor (and complemented so that a withheld row cannot be worked out from the total, nor a small difference
    from the figure it lies within: disclosure.column). Figures come before those lying within them."""
    columns: dict[str, disclosure.Column[int]] = {}
    years_of: dict[str, dict[int, tuple[tuple[int, float | None], Cell]]] = {}
    for figure in report.figures:
        average = figure.answers is not None
        regions, years = _tallies(session, report, figure, locate)
        everyone: set[Hashable] = set().union(*(t.people for t in regions.values()))
        total = _Tally()
        total.people, total.value = everyone, sum(t.value for t in regions.values())
        total.answers = sum(t.answers for t in regions.values())
        within = _enclosing(report, figure)
        column = disclosure.column({index: t.result(average) for index, t in regions.items()},
                                   total.result(average), report.floor, [columns[key] for key in within])
        columns[figure.key] = column
        report.totals[figure.key], report.by_region[figure.key] = column.total_cell, dict(column.cells)
        years_of[figure.key] = {}
        for y, t in sorted(years.items()):
            enclosing = [years_of[key][y] for key in within if y in years_of[key]]
            years_of[figure.key][y] = (t.result(average), disclosure.nested_cell(t.result(average), report.floor,
                                                                                 enclosing))
        report.by_year[figure.key] = {y: c for y, (_g, c) in years_of[figure.key].items()}
    return report


def _enclosing(report: OpenReport, figure: Figure) -> list[str]:
    """The figures `figure` lies within, nearest first (enrolled: admitted, then applications)."""
    by_key = {f.key: f for f in report.figures}
    found: list[str] = []
    key = figure.within
    while key is not None and key not in found:
        found.append(key)
        key = by_key[key].within
    return found


def build(session: Session, org: Organisation, year: int, floor: int) -> OpenReport:
    """The yearly report of the province (a row per city) or of a city (a row per county)."""
    children = sorted((c for c in org.children if c.kind == OrgKind.union), key=lambda c: c.code)
    report = OpenReport(year, org, floor, figures(), [org, *children])
    index = {region.id: n for n, region in enumerate(report.regions)}
    fill(session, report, lambda path: index[owner_of(org, path)])
    if org.level == OrgLevel.city and org.parent is not None:  # each year the city's page shows a total for
        for shown_year in sorted({y for cells in report.by_year.values() for y in cells} | {year}):
            _withhold_as_above(report, build(session, org.parent, shown_year, floor))
    return report


def _withhold_as_above(report: OpenReport, above: OpenReport) -> None:
    """A city's page withholds every figure the province's page of that year withholds for the city: printed
    here, the province's total less it gave a small city back (a review read Ningbo's 4 as 10 - 6)."""
    at = next((n for n, region in enumerate(above.regions) if region.id == report.area.id), None)
    hidden = Cell(None, None, COMPLEMENT)
    for key, cells in above.by_region.items():
        if at is None or cells[at].shown:
            continue
        if above.year in report.by_year.get(key, {}):
            report.by_year[key][above.year] = hidden
        if above.year == report.year:
            report.totals[key] = hidden
            report.by_region[key] = dict.fromkeys(report.by_region[key], hidden)
