"""Recruitment QR codes (招募二维码): every union, down to township, gets a code linking to its catalog with
`?via=<its code>`, so a worker who scans it and registers is attributed to that union
(programme/admissions/attribution.py).
segno draws the code; reportlab lays out the printable A4 sheet with the site's embedded PDF font (app/pdf_font.py)."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import segno
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.accounts import organisations, scope
from app.accounts.models import Organisation, OrgKind, User
from app.accounts.policy import is_admin
from app.errors import NotFound
from app.pagination import Page, offset
from app.pdf_font import pdf_font


def png(url: str, *, scale: int = 10) -> bytes:
    """The QR code as PNG; error level M survives a crease or a smudge on a printed poster."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def pdf(org: Organisation, url: str, *, heading: str, lines: list[str]) -> bytes:
    """A printable A4 poster: the union's name, the code 12 cm wide, what to do, and the link in words."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = pdf_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setTitle(f"{org.name} {heading}")
    page.setFont(font, 26)
    page.drawCentredString(width / 2, height - 40 * mm, org.name)
    page.setFont(font, 20)
    page.drawCentredString(width / 2, height - 55 * mm, heading)
    size = 120 * mm
    page.drawImage(ImageReader(io.BytesIO(png(url, scale=20))), (width - size) / 2, height - 65 * mm - size,
                   size, size)
    page.setFont(font, 14)
    y = height - 75 * mm - size
    for line in lines + [url]:
        page.drawCentredString(width / 2, y, line)
        y -= 9 * mm
    page.showPage()
    page.save()
    return buffer.getvalue()


def content_disposition(code: str) -> str:
    """The PDF's Content-Disposition. HTTP headers are Latin-1 (PEP 3333): a code in any other script put there
    raw made the WSGI server answer 500, so the name goes as RFC 6266 `filename*` (UTF-8, percent-encoded)
    beside a plain ASCII fallback."""
    fallback = re.sub(r"[^A-Za-z0-9-]", "", code) or "union"
    return f"inline; filename=\"qr-{fallback}.pdf\"; filename*=UTF-8''{quote(f'qr-{code}.pdf', safe='')}"


def _printable(actor: User | Any) -> Select[Organisation] | None:
    """The unions whose codes the actor may print: their own and every union below; admins see all."""
    query = select(Organisation).where(Organisation.kind == OrgKind.union)
    if is_admin(actor):
        return query
    own_unions = scope.below_own_unions(actor)
    return None if own_unions is None else query.where(own_unions)


def unions_for(session: Session, actor: User | Any) -> list[Organisation]:
    """Every union whose code the actor may print, in tree order."""
    query = _printable(actor)
    return [] if query is None else list(session.scalars(query.order_by(Organisation.path)))


def unions_page(session: Session, actor: User | Any, text: str = "", page: int = 1,
                per_page: int = 20) -> Page[Organisation]:
    """One page of the unions whose codes the actor may print (the QR list on a phone); `text` keeps those
    whose name or code holds it. A page past the last shows the last."""
    query = _printable(actor)
    if query is None:
        return Page(items=[], page=1, per_page=per_page, total=0)
    text = text.strip()[:50]
    if text:
        query = query.where(or_(Organisation.name.contains(text, autoescape=True),
                                Organisation.code.contains(text, autoescape=True)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(page, max(1, -(-total // per_page)))
    items = list(session.scalars(query.order_by(Organisation.path).offset(offset(page, per_page)).limit(per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def union(session: Session, code: str) -> Organisation:
    """The union with this code: only unions have QR codes and reports."""
    org = organisations.get_by_code(session, code)
    if org.kind != OrgKind.union:
        raise NotFound(_("只有工会有招募二维码。"))
    return org


def own_unions(unions: list[Organisation]) -> list[Organisation]:
    """The topmost of these unions: those no other of them lies above."""
    return [u for u in unions if not any(o is not u and u.path.startswith(o.path) for o in unions)]
