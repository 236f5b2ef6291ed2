"""The analytics as tables: what the page's accessible tables show and what the CSV and XLSX exports hold. One
function builds the sheets (name, header, rows); the page, the CSV (all sheets one after another, the sheet named
in the first column) and the XLSX (one worksheet each) read them. Withheld figures say so in words."""

from __future__ import annotations

import io
from typing import Any, NamedTuple

from flask_babel import gettext as _

from app.tabular import csv_bytes, xlsx_cells
from app.text import xml_safe
from learning.analytics import curves, figures
from learning.devices import COMPUTER, PHONE, TABLET
from programme.analytics.service import ResourcePage, UnionPage


class Sheet(NamedTuple):
    key: str  # what the page shows it under: funnel, curve-<lesson id>, weeks, hours, devices, ratings, resources
    name: str
    head: list[str]
    rows: list[list[Any]]


def stage_labels() -> dict[str, str]:
    return {"enrolled": _("报名"), "started": _("开始学习"), "half": _("学完一半"), "complete": _("学完")}


def device_labels() -> dict[str, str]:
    return {PHONE: _("手机"), TABLET: _("平板"), COMPUTER: _("电脑"), "": _("未知")}


def withheld(floor: int) -> str:
    return _("少于 %(n)d 名学员，不显示此项统计，以保护个人隐私。", n=floor)


def clock(seconds: float) -> str:
    """0:05, 12:30, 1:02:03."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def curve_rows(curve: curves.Curve) -> list[list[Any]]:
    return [[f"{clock(start)}–{clock(min(curve.duration_s, start + curve.width))}", curve.watched[i],
             percent(curve.watched[i], curve.starters), curve.stopped[i]]
            for i, start in enumerate(curve.starts)]


def _funnel_rows(name: str, funnel: curves.Funnel | None, floor: int) -> list[list[Any]]:
    if funnel is None:
        return [[name, withheld(floor), "", ""]]
    labels = stage_labels()
    return [[name, labels[stage], count, percent(count, funnel.enrolled)] for stage, count in funnel.stages()]


def _common_sheets(found: figures.ResourceFigures) -> list[Sheet]:
    floor = found.floor
    weeks = [[str(week), count] for week, count in found.weeks] if found.weeks is not None else [[withheld(floor), ""]]
    hours = ([[f"{hour:02d}:00", count] for hour, count in enumerate(found.hours)] if found.hours is not None
             else [[withheld(floor), ""]])
    labels = device_labels()
    devices = ([[labels.get(kind, kind), count] for kind, count in sorted(found.devices.items())]
               if found.devices is not None else [[withheld(floor), ""]])
    return [Sheet("weeks", _("每周报名"), [_("周（周一）"), _("报名人数")], weeks),
            Sheet("hours", _("学习时段"), [_("北京时间"), _("开始学习的课时数")], hours),
            Sheet("devices", _("设备"), [_("报名时所用设备"), _("人数")], devices)]


def resource_sheets(page: ResourcePage) -> list[Sheet]:
    found = page.figures
    floor = found.floor
    head = [_("课时"), _("阶段"), _("人数"), _("占报名人数的百分比")]
    funnel = _funnel_rows(_("整个资源"), found.funnel, floor)
    sheets: list[Sheet] = [Sheet("funnel", _("完成漏斗"), head, funnel)]
    if found.withheld:
        return sheets
    for lesson in found.lessons:
        funnel.extend(_funnel_rows(lesson.lesson.title, lesson.funnel, floor))
    for lesson in found.lessons:
        if lesson.curve is not None:
            sheets.append(Sheet(f"curve-{lesson.lesson.id}", _("流失曲线 · %(title)s", title=lesson.lesson.title),
                                [_("片段"), _("看过的人数"), _("占开始观看者的百分比"), _("看到此处为止的人数")],
                                curve_rows(lesson.curve)))
    sheets.extend(_common_sheets(found))
    ratings: list[list[Any]] = [[withheld(floor), ""]]
    if page.ratings is not None:
        ratings = [[_("评价人数"), page.ratings.count],
                   [_("满意度（1-5）"), round(page.ratings.satisfaction or 0, 2)],
                   [_("教学质量（1-5）"), round(page.ratings.teaching, 2) if page.ratings.teaching else ""]]
    if page.quiz is not None:
        ratings += [[_("参加测验人数"), page.quiz.takers], [_("通过测验人数"), page.quiz.passed]]
    sheets.append(Sheet("ratings", _("评价与测验"), [_("项目"), _("数值")], ratings))
    return sheets


def union_sheets(page: UnionPage) -> list[Sheet]:
    floor = page.summary.floor
    labels = stage_labels()
    rows: list[list[Any]] = []
    for row in page.rows:
        title = page.titles[row.resource.id]  # a withdrawn course's draft title is not the union's to read
        provider = row.resource.provider.name if row.resource.provider else ""
        if row.funnel is None:  # too few learners, or withheld with them so the total cannot give them back
            reason = withheld(floor) if row.enrolled < floor else _("为防推算，不显示此项统计。")
            rows.append([title, provider, reason, "", "", ""])
        else:
            rows.append([title, provider, *(count for _stage, count in row.funnel.stages())])
    head = [_("资源"), _("提供单位"), *labels.values()]
    total = _funnel_rows(_("合计（人次）"), page.summary.funnel, floor)
    return [Sheet("resources", _("各资源"), head, rows),
            Sheet("funnel", _("合计漏斗"), [_("范围"), _("阶段"), _("人次"), _("占报名人次的百分比")], total),
            *_common_sheets(page.summary)]


def as_csv(sheets: list[Sheet]) -> bytes:
    lines: list[list[Any]] = []
    for _key, name, head, rows in sheets:
        lines.append([_("表"), *head])
        lines.extend([name, *row] for row in rows)
        lines.append([])
    return csv_bytes(lines)


def as_xlsx(sheets: list[Sheet], title: str) -> bytes:
    from openpyxl import Workbook  # here: openpyxl is 20 MB, only a spreadsheet needs it

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for n, (_key, name, head, rows) in enumerate(sheets, 1):
        label = "".join(c for c in name if c not in "[]:*?/\\")[:28] or str(n)
        label = label if label not in used else f"{label[:25]}({n})"
        used.add(label)
        sheet = workbook.create_sheet(title=label)
        sheet.append(xlsx_cells(sheet, head))
        for row in rows:
            sheet.append(xlsx_cells(sheet, row))
    workbook.properties.title = xml_safe(title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
