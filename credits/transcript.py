"""A worker's transcript (成绩单): every ledger record with its source, amount, date and reviewer, the balance,
certificates and pathway progress; as a page and as a PDF the worker can hand to an employer or school."""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.pdf_font import pdf_font
from app.timefmt import beijing_today, date_text
from credits import certificates, ledger, pathways
from credits.models import Certificate, CreditRecord, RecordKind

if TYPE_CHECKING:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table

KIND_LABELS = {
    RecordKind.earned: _l("完成课程"),
    RecordKind.recognised: _l("成果认定"),
    RecordKind.converted: _l("成果转换"),
    RecordKind.revoked: _l("撤销"),
}


@dataclass
class Transcript:
    user: User
    holder: str
    records: list[CreditRecord]
    revoked: set[int]
    balance: float
    certificates: list[Certificate]
    progress: list[pathways.Progress]


def build(session: Session, user: User) -> Transcript:
    records = ledger.ledger(session, user.id)
    return Transcript(user=user, holder=certificates.holder_name(user), records=records,
                      revoked=ledger.revoked_ids(records), balance=ledger.balance(records),
                      certificates=certificates.mine(session, user.id),
                      progress=pathways.started(pathways.progress(session, user.id, pathways.active(session))))


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib.styles import ParagraphStyle

    return {"title": ParagraphStyle("t", fontName=font, fontSize=20, leading=26, spaceAfter=6),
            "h": ParagraphStyle("h", fontName=font, fontSize=14, leading=20, spaceBefore=10, spaceAfter=4),
            "p": ParagraphStyle("p", fontName=font, fontSize=10, leading=14, wordWrap="CJK")}


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """Paragraph parses markup: what people typed (titles, names, reasons) is escaped first."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text), style)


def _table(rows: list[list[Any]], widths: list[float], font: str) -> Table:
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e5e5")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _record_rows(t: Transcript, style: ParagraphStyle) -> list[list[Any]]:
    rows: list[list[Any]] = [[_("日期"), _("类型"), _("来源"), _("学分"), _("审核/发证")]]
    for r in t.records:
        note = r.source + (_("（已撤销）") if r.id in t.revoked else "")
        if r.reason and r.kind == RecordKind.revoked:
            note += _("：%(reason)s", reason=r.reason)
        who = " / ".join(x for x in (r.reviewer.name if r.reviewer else "", r.issuer.name if r.issuer else "") if x)
        rows.append([date_text(r.created_at), str(KIND_LABELS[r.kind]), _para(note, style),
                     f"{r.amount:g}", _para(who, style)])
    return rows


def pdf(t: Transcript) -> bytes:
    """The transcript as an A4 PDF with Chinese text in the site's embedded PDF font."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = pdf_font()
    s = _styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            title=_("学分成绩单"), author=_("求学"))
    story: list[Any] = [
        Paragraph(_("学分成绩单"), s["title"]),
        _para(_("姓名：%(name)s　　生成日期：%(d)s", name=t.holder, d=date_text(beijing_today())), s["p"]),
        Paragraph(_("学分合计：%(n)s", n=f"{t.balance:g}"), s["p"]),
        Paragraph(_("学分记录"), s["h"]),
        _table(_record_rows(t, s["p"]), [22 * mm, 20 * mm, 80 * mm, 14 * mm, 44 * mm], font),
    ]
    if t.certificates:
        story += [Paragraph(_("结业证书"), s["h"]), _table(
            [[_("编号"), _("课程"), _("日期"), _("状态")]] + [
                [c.serial, _para(c.resource_title, s["p"]), date_text(c.issued_at),
                 _("已撤销") if c.revoked_at else _("有效")] for c in t.certificates],
            [36 * mm, 90 * mm, 24 * mm, 30 * mm], font)]
    if t.progress:
        story += [Paragraph(_("学分路径进度"), s["h"]), _table(
            [[_("路径"), _("已计学分"), _("要求"), _("还缺")]] + [
                [_para(p.pathway.title, s["p"]), f"{p.counted:g}", f"{p.required:g}", missing_text(p)]
                for p in t.progress],
            [80 * mm, 24 * mm, 20 * mm, 56 * mm], font)]
    story.append(Spacer(1, 8 * mm))
    doc.build(story)
    return buffer.getvalue()


def missing_text(p: pathways.Progress) -> str:
    parts = []
    if p.missing_credits:
        parts.append(_("还差 %(n)s 学分", n=f"{p.missing_credits:g}"))
    if p.missing_items:
        parts.append(_("还差 %(n)d 门必修课", n=len(p.missing_items)))
    return "，".join(parts) or _("已达到要求")
