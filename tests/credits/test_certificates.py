"""Certificates: the PDF with its QR link, the public check with a masked name, and tampering refused."""

from __future__ import annotations

import base64
import re
import zlib

import segno
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.extensions import db
from credits import certificates, ledger
from credits.models import Certificate
from tests import factories
from tests.conftest import post_form
from tests.credits.credit_factories import complete, resource, worker
from tests.pdfs import assert_embeds_the_site_font


def _certified(app, name: str = "张三明", phone: str | None = None):
    """A certificate for a worker (the logged-in one when `phone` is given); returns (id, token)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone)) if phone else worker(name)
        complete(user, resource(4, "低压电工作业"))
        db.session.commit()
        found = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
        return found.id, certificates.token_for(app.config["SECRET_KEY"], found)


def test_verification_page_shows_masked_name_course_date_issuer(app, client):
    _id, token = _certified(app)
    response = client.get(f"/verify/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "张*明" in html and "张三明" not in html
    assert "低压电工作业" in html and "测试职业技术学院" in html and "证书真实有效" in html


def test_altered_or_forged_tokens_are_refused_in_chinese(app, client):
    _id, token = _certified(app)
    serial, _sep, signature = token.partition(".")
    altered = serial[:-1] + ("A" if serial[-1] != "A" else "B") + "." + signature
    forged = URLSafeSerializer("not-our-secret", salt=certificates.TOKEN_SALT).dumps("QX2026ABCDEF0123")
    unknown = URLSafeSerializer(app.config["SECRET_KEY"], salt=certificates.TOKEN_SALT).dumps("QX2026NOSUCH")
    for bad in (altered, forged, unknown, "garbage", token + "x"):
        response = client.get(f"/verify/{bad}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        assert "证书校验失败" in html and "张*明" not in html


def test_the_json_check_says_the_same(app, client):
    certificate_id, token = _certified(app)
    body = client.get(f"/api/v1/certificates/verify/{token}").get_json()
    assert (body["valid"], body["holder"], body["title"], body["issuer"]) == (True, "张*明", "低压电工作业",
                                                                              "测试职业技术学院")
    refused = client.get(f"/api/v1/certificates/verify/{token[:-2]}xx")
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "bad_token"
    with app.app_context():
        certificates.revoke(db.session, SYSTEM, certificate_id, "冒名顶替")
        db.session.commit()
    body = client.get(f"/api/v1/certificates/verify/{token}").get_json()
    assert (body["valid"], body["revoked"], body["revoked_reason"]) == (False, True, "冒名顶替")


def test_revoked_certificate_shows_revoked(app, client, auth):
    certificate_id, token = _certified(app)
    auth.as_role("institution_staff")
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "撤销证书" in page  # the issuer's staff may revoke from the verification page
    empty = post_form(client, f"/credits/certificates/{certificate_id}/revoke", {"reason": "", "token": token},
                      source=f"/verify/{token}")
    assert empty.status_code == 302
    assert "请填写撤销原因" in client.get(f"/verify/{token}").get_data(as_text=True)
    post_form(client, f"/credits/certificates/{certificate_id}/revoke", {"reason": "冒名顶替", "token": token},
              source=f"/verify/{token}")
    auth.logout()
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "已撤销" in html and "冒名顶替" in html and "证书真实有效" not in html
    with app.app_context():
        found = db.session.get(Certificate, certificate_id)
        records = ledger.ledger(db.session, found.user_id)
        assert ledger.balance(records) == 0 and len(records) == 2


def test_other_staff_cannot_revoke(app, client, auth):
    certificate_id, token = _certified(app)
    auth.as_role("institution_staff", factories.OTHER_INSTITUTION)
    assert "撤销证书" not in client.get(f"/verify/{token}").get_data(as_text=True)
    response = post_form(client, f"/credits/certificates/{certificate_id}/revoke", {"reason": "x"},
                         source="/credits/recognition/new")
    assert response.status_code == 403


def test_certificate_pdf_carries_the_verification_link(app, client, auth):
    phone = auth.as_role("worker")
    certificate_id, token = _certified(app, phone=phone)
    response = client.get(f"/credits/certificates/{certificate_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_embeds_the_site_font(response.data, "结业证书")
    assert _qr_modules(response.data) == [list(row) for row in segno.make(
        f"http://localhost/verify/{token}", error="m").matrix]
    assert f'href="/verify/{token}"' in client.get("/credits/").get_data(as_text=True)  # a link to send, too


def _qr_modules(pdf: bytes) -> list[list[int]]:
    """Read the QR image back out of the PDF (RGB, ASCII85 + Flate, 8 px a module, 2 modules of border)."""
    head, _sep, rest = pdf.partition(b"/Subtype /Image")
    width = int(re.search(rb"/Width (\d+)", rest).group(1))
    data = rest.split(b"stream\n", 1)[1].split(b"endstream", 1)[0].strip()
    pixels = zlib.decompress(base64.a85decode(data.removesuffix(b"~>")))
    size = width // 8 - 4
    return [[int(pixels[(((2 + r) * 8 + 4) * width + (2 + c) * 8 + 4) * 3] < 128) for c in range(size)]
            for r in range(size)]


def test_someone_elses_certificate_is_not_found(app, client, auth):
    certificate_id, _token = _certified(app)
    auth.as_role("worker")
    assert client.get(f"/credits/certificates/{certificate_id}.pdf").status_code == 404


def test_transcript_page_and_pdf(app, client, auth):
    phone = auth.as_role("worker")
    _certified(app, phone=phone)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        record = complete(user, resource(2, "叉车司机"))
        ledger.revoke_record(db.session, SYSTEM, record.id, "重复登记")
        db.session.commit()
    html = client.get("/credits/transcript").get_data(as_text=True)
    assert "低压电工作业" in html and "叉车司机（已撤销）" in html and "学分合计：4" in html
    pdf = client.get("/credits/transcript.pdf")
    assert pdf.status_code == 200
    assert_embeds_the_site_font(pdf.data, "学分成绩单")
    auth.logout()
    assert client.get("/credits/transcript.pdf").status_code == 302


def test_pdfs_take_markup_and_long_titles_as_plain_text(app, db):
    user = worker('王<b>小</b>明')
    item = resource(2, ("电工 <安全> & 规范 " + "高压电工作业操作规程与事故案例分析" * 10)[:200])
    complete(user, item)
    ledger.revoke_record(db.session, SYSTEM, complete(user, resource(1, '<img src="/etc/passwd"/>')).id,
                          "<font>原因</font>")
    [first, second] = sorted(certificates.mine(db.session, user.id), key=lambda c: c.id)
    assert certificates.certificate_pdf(first, "http://localhost/verify/x").startswith(b"%PDF")
    from credits import transcript

    assert transcript.pdf(transcript.build(db.session, user)).startswith(b"%PDF")


def test_a_certificate_revoked_after_an_account_merge_takes_its_credits_with_it(app, db):
    """A reviewer's attack: the old account completed a course, was merged into the new one, then the issuer revoked
    the certificate (cheating found): it showed revoked while its credits still counted, the record being looked
    up by the key of the account it was earned under."""
    from app.accounts import merge
    from app.db import utcnow
    from credits import pathways
    from learning import enrolment
    from tests.app.test_merge import _person
    from tests.app.test_profile import VALID_ID
    from tests.credits.credit_factories import pathway

    source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)  # the old account has the ID number
    course = resource(4, "安全用电")
    enrolment.enrol(db.session, source, course.id)
    enrolment.enrolment_of(db.session, source.id, course.id).completed_at = utcnow()
    complete(source, course)
    track = pathway(4, ((course, True),))
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    cert = db.session.scalar(select(Certificate).where(Certificate.user_id == target.id))
    assert ledger.balance(ledger.ledger(db.session, target.id)) == 4
    certificates.revoke(db.session, factories.user("institution_staff"), cert.id, "考试作弊")
    records = ledger.ledger(db.session, target.id)
    assert cert.revoked_at is not None and ledger.balance(records) == 0
    assert pathways.progress(db.session, target.id, [track])[0].counted == 0
