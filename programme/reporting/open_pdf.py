"""The public yearly report as an A4 PDF: the title, what the figures are, the table by region (withheld cells
say so), one bar chart per figure, and the note on withholding. Set in the site's embedded font, so a phone's
viewer shows what the page shows."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.pdf_font import pdf_font
from app.text import xml_safe
from programme.reporting import open_tables
from programme.reporting.open_report import OpenReport


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """Paragraph reads markup: region names are typed by people, so they are escaped."""
    return Paragraph(escape(xml_safe(str(text))), style)


def _bars(items: list[tuple[str, float]], font: str) -> Drawing:
    """Shown regions as horizontal bars (withheld ones are left out, as on the page)."""
    drawing = Drawing(170 * mm, 14 * len(items) + 24)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 12, 170 * mm - 130, 14 * len(items)
    chart.data = [[v for _n, v in reversed(items)]]
    chart.categoryAxis.categoryNames = [n for n, _v in reversed(items)]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#b71c1c")
    drawing.add(chart)
    return drawing


def pdf(report: OpenReport, title: str) -> bytes:
    font = pdf_font()
    styles = {"h1": ParagraphStyle("h1", fontName=font, fontSize=18, leading=26, spaceAfter=6),
              "h2": ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4),
              "p": ParagraphStyle("p", fontName=font, fontSize=9, leading=13, wordWrap="CJK")}
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=title,
                                 author=report.area.name)
    story: list[Any] = [_p(title, styles["h1"]), _p(open_tables.summary_line(report), styles["p"]),
                        _p(open_tables.floor_note(report), styles["p"]), Spacer(1, 4 * mm)]
    rows = open_tables.table(report)
    table = Table([[_p(c, styles["p"]) for c in row] for row in rows], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e5e5"))]))
    story += [_p(_("分项目情况") if report.kind == "quality" else _("分地区情况"), styles["h2"]), table,
              _p(open_tables.empty_rows(report), styles["p"])]
    for figure, items in open_tables.chart_items(report):
        if items:
            story += [_p(open_tables.heading(figure), styles["h2"]), _bars(items, font)]
    document.build(story)
    return buffer.getvalue()
