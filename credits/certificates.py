"""Completion certificates: issued once per learner and resource, printed as a PDF with a QR code that leads
to a public verification page. The QR carries a token signed with the app's SECRET_KEY (itsdangerous), so a
changed or invented serial is refused without a database lookup deciding anything."""

from __future__ import annotations

import io
import secrets
from html import escape
from typing import Any

import segno
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import notifications
from app.accounts.models import User
from app.accounts.policy import require
from app.db import insert_ignore, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.lookup import get_or_raise
from app.notifications.kinds import CERTIFICATE
from app.pdf_font import pdf_font
from app.timefmt import beijing_today, date_text
from catalog.models import Resource, ResourceStatus
from credits import ledger
from credits.models import Certificate, CreditRecord, RecordKind

TOKEN_SALT = "qiuxue-certificate-v1"  # noqa: S105 - a namespace for the signature, not a secret


def holder_name(user: Any) -> str:
    """The real name from the profile when the worker gave one, else the display name."""
    profile = getattr(user, "profile", None)
    name: str = profile.real_name if profile is not None and profile.real_name else user.name
    return name[:50]


def issue(session: Session, user_id: int, resource: Resource) -> Certificate:
    """The learner's certificate for `resource`, created on first completion; later calls return it.

    Its title, credits and issuer are read with the resource's status in one statement, and only while it is
    published: a course withdrawn since the caller looked may hold its provider's unreviewed draft (the re-check
    job printed a withdrawn and renamed course's draft title on certificates). Such a completion is refused, so it
    rolls back with the certificate; it comes again once the course is selected again (learning.course_news)."""
    found = _held(session, user_id, resource.id)
    if found is not None:
        return found
    user = get_or_raise(session, User, user_id, _("用户不存在。"), code="user_not_found")
    published = session.execute(select(Resource.title, Resource.credits, Resource.provider_id).where(
        Resource.id == resource.id, Resource.status == ResourceStatus.published)).first()
    if published is None:
        raise Conflict(_("这个资源已下架，暂时不能记录学习进度。"), code="not_published")
    created = insert_ignore(session, Certificate, {
        "serial": f"QX{beijing_today().year}{secrets.token_hex(5).upper()}", "user_id": user_id,
        "resource_id": resource.id, "issuer_id": published.provider_id, "resource_title": published.title,
        "holder_name": holder_name(user), "credits": float(published.credits or 0), "issued_at": utcnow(),
        "revoked_reason": "",
    }, ["user_id", "resource_id"])
    found = _held(session, user_id, resource.id)
    assert found is not None
    if created:
        notifications.notify(session, user_id, CERTIFICATE, _("证书已发放：%(t)s", t=found.resource_title),
                             "/credits/transcript")
    return found


def _held(session: Session, user_id: int, resource_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.user_id == user_id,
                                                    Certificate.resource_id == resource_id))


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT)


def token_for(secret_key: str, certificate: Certificate) -> str:
    return _serializer(secret_key).dumps(certificate.serial)


def verify(session: Session, secret_key: str, token: str) -> Certificate:
    """The certificate a token names, or Invalid(bad_token) for anything altered or forged."""
    refused = Invalid(_("证书校验失败：这个链接被改动过或不是本平台签发的，请向发证单位核实。"), code="bad_token")
    try:
        serial = _serializer(secret_key).loads(token)
    except BadSignature:
        raise refused from None
    certificate = session.scalar(select(Certificate).where(Certificate.serial == str(serial)))
    if certificate is None:
        raise refused
    return certificate


def mine(session: Session, user_id: int) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def own_certificate(session: Session, actor: Any, certificate_id: int) -> Certificate:
    """A certificate of the actor's own; someone else's is "not found", not "forbidden"."""
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != getattr(actor, "id", None):
        raise NotFound(_("证书不存在。"), code="certificate_not_found")
    return certificate


def revoke(session: Session, actor: Any, certificate_id: int, reason: str | None) -> Certificate:
    """Revoke a certificate (set once, never cleared) and the credits earned with it."""
    reason = ledger.clean_reason(reason)
    certificate = get_or_raise(session, Certificate, certificate_id, _("证书不存在。"), code="certificate_not_found")
    require(actor, "credit.revoke", certificate)
    if certificate.revoked_at is not None:
        raise Conflict(_("这张证书已经撤销过了。"), code="already_revoked")
    certificate.revoked_at, certificate.revoked_reason = utcnow(), reason
    # by holder and course, not by the record's key: a merged account's records keep the key of the account they
    # were earned under (a reviewer found a revoked certificate's credits still counted after a merge)
    revoked = select(CreditRecord.revokes_id).where(CreditRecord.revokes_id.is_not(None))
    for earned_id in session.scalars(select(CreditRecord.id).where(
            CreditRecord.user_id == certificate.user_id, CreditRecord.resource_id == certificate.resource_id,
            CreditRecord.kind == RecordKind.earned, CreditRecord.id.not_in(revoked)).order_by(CreditRecord.id)).all():
        ledger.revoke_record(session, actor, earned_id, reason)
    session.flush()
    return certificate


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """One A4 landscape page: title, holder, resource, credits, issuer, date, serial and the QR code."""
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph

    font = pdf_font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(_("结业证书") + " " + certificate.serial)
    pdf.setStrokeColorRGB(0.72, 0.11, 0.11)
    pdf.setLineWidth(4)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setFont(font, 36)
    pdf.drawCentredString(width / 2, height - 110, _("结业证书"))
    pdf.setFont(font, 18)
    lines = [
        _("%(name)s 同志：", name=certificate.holder_name),
        _("已完成“%(title)s”的全部学习内容，成绩合格，特发此证。", title=certificate.resource_title),
    ]
    if certificate.credits:
        lines.append(_("计 %(n)s 学分，已记入学分银行。", n=f"{certificate.credits:g}"))
    style = ParagraphStyle("body", fontName=font, fontSize=18, leading=30, wordWrap="CJK")
    y = height - 150
    for line in lines:  # long course titles wrap (CJK rules) instead of running off the page
        paragraph = Paragraph(escape(line), style)
        _w, used = paragraph.wrapOn(pdf, width - 160, height)
        y -= used + 6
        paragraph.drawOn(pdf, 80, y)
    pdf.setFont(font, 14)
    pdf.drawString(80, 120, _("发证单位：%(org)s", org=certificate.issuer.name))
    pdf.drawString(80, 96, _("发证日期：%(d)s", d=date_text(certificate.issued_at)))
    pdf.drawString(80, 72, _("证书编号：%(s)s", s=certificate.serial))
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(verify_url))), width - 210, 60, 140, 140)
    pdf.setFont(font, 10)
    pdf.drawCentredString(width - 140, 48, _("扫码核验真伪"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
