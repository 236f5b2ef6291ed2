"""The public report in words and rows, shared by its page and its PDF so both say the same: the title, the
table by region (a withheld cell says why), the chart series (withheld regions left out) and the notes."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from programme.reporting import disclosure
from programme.reporting.disclosure import Cell
from programme.reporting.open_report import Figure, OpenReport


def title(report: OpenReport) -> str:
    if report.kind == "quality":
        return _("%(org)s %(year)d年度 双提升行动质量报告", org=report.area.name, year=report.year)
    return _("%(area)s %(year)d年度 职工学历技能双提升行动工作通报", area=report.area.name, year=report.year)


def region_name(report: OpenReport, region: Any) -> str:
    if region is report.area:
        return _("不分项目（课程等）") if report.kind == "quality" else _("%(name)s本级", name=report.area.name)
    return str(getattr(region, "name", None) or region.major)


def heading(figure: Figure) -> str:
    return _("%(label)s（%(unit)s）", label=figure.label, unit=figure.unit)


def number(value: float | None) -> str:
    if value is None:
        return "—"  # an average of no answers
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def cell_text(cell: Cell, floor: int) -> str:
    """What a reader sees in the cell: the number, or why there is none."""
    if cell.withheld == disclosure.SMALL:
        return _("不足%(n)d人，不公布", n=floor)
    if cell.withheld in (disclosure.COMPLEMENT, disclosure.NESTED):  # either would let a small group be worked out
        return _("为防推算，不公布")
    return number(cell.value)


def _empty(report: OpenReport, n: int) -> bool:
    return all(report.by_region[f.key][n].shown and not report.by_region[f.key][n].value for f in report.figures)


def table(report: OpenReport) -> list[list[str]]:
    """A header row, a row per region with anything to say, then the total row (empty ones: `empty_rows`)."""
    rows = [[_("地区") if report.kind == "yearly" else _("项目")] + [heading(f) for f in report.figures]]
    for n, region in enumerate(report.regions):
        if not _empty(report, n):
            rows.append([region_name(report, region)] +
                        [cell_text(report.by_region[f.key][n], report.floor) for f in report.figures])
    rows.append([_("合计")] + [cell_text(report.totals[f.key], report.floor) for f in report.figures])
    return rows


def empty_rows(report: OpenReport) -> str:
    """The regions with nothing to report this year, named in one line under the table (a phone scrolls less)."""
    names = [region_name(report, r) for n, r in enumerate(report.regions) if _empty(report, n)]
    return _("暂无数据：%(names)s", names=_("、").join(names)) if names else ""


def chart_items(report: OpenReport) -> list[tuple[Figure, list[tuple[str, float]]]]:
    """Per figure, the regions whose cell is shown and not empty."""
    return [(f, [(region_name(report, r), float(report.by_region[f.key][n].value or 0))
                 for n, r in enumerate(report.regions)
                 if report.by_region[f.key][n].shown and report.by_region[f.key][n].value])
            for f in report.figures]


def year_items(report: OpenReport, key: str) -> list[tuple[str, float]]:
    """The area's shown totals per year up to the report's year, for the trend chart."""
    return [(str(y), float(c.value or 0)) for y, c in report.by_year[key].items() if y <= report.year and c.shown]


def summary_line(report: OpenReport) -> str:
    """One sentence of the year's headline figures, each only when shown."""
    parts = []
    for f in report.figures:
        cell = report.totals[f.key]
        if cell.shown and cell.value:
            parts.append(f"{f.label} {number(cell.value)} {f.unit}")
    if not parts:
        return _("%(year)d年度暂无可公布的数据。", year=report.year)
    return _("%(year)d年度：%(figures)s。", year=report.year, figures=_("；").join(parts))


def floor_note(report: OpenReport) -> str:
    return _("本报告只公布汇总数字：人数不足%(n)d人的组不公布，必要时另有一组一并不公布，以免从合计中推算出来。"
             "满意度为职工评价（1—5分）的平均分。", n=report.floor)
