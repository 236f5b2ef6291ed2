"""Certificates and transcripts carry Beijing dates: a certificate earned at 07:30 in Beijing (23:30 UTC the day
before) shows the Beijing day on the public check, the credits page, the transcript and in the PDFs' text; the
JSON check keeps UTC with Z for machines."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.extensions import db
from credits import certificates, transcript
from credits.models import Certificate
from tests.credits.credit_factories import complete, resource, worker

EARNED = datetime(2026, 3, 14, 23, 30)   # stored naive UTC: 2026-03-15 07:30 in Beijing
BEIJING_DAY, UTC_DAY = "2026-03-15", "2026-03-14"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _earned_early(app, phone: str | None = None, at: datetime = EARNED) -> tuple[int, str]:
    """A course completed at `at` (UTC), for the logged-in worker when `phone` is given: certificate and credits."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone)) if phone else worker("张三明")
        item = resource(4, "低压电工作业")
        with time_machine.travel(at.replace(tzinfo=UTC), tick=False):
            complete(user, item)
        found = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
        assert found.issued_at == at  # stored as UTC
        db.session.commit()
        return found.id, certificates.token_for(app.config["SECRET_KEY"], found)


def test_the_public_check_shows_the_beijing_day(app, client):
    _id, token = _earned_early(app)
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert f"<dd>{BEIJING_DAY}</dd>" in html and UTC_DAY not in html
    body = client.get(f"/api/v1/certificates/verify/{token}").get_json()
    assert body["issued_at"] == "2026-03-14T23:30:00Z"  # machine-readable: UTC with Z, unchanged


def test_a_revocation_at_23_30_utc_is_dated_the_next_beijing_day(app, client):
    certificate_id, token = _earned_early(app)
    with app.app_context():
        with time_machine.travel(datetime(2026, 4, 30, 23, 30, tzinfo=UTC), tick=False):
            certificates.revoke(db.session, SYSTEM, certificate_id, "重复发证")
        db.session.commit()
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "此证书已于 2026-05-01 撤销" in html


def test_the_credits_page_transcript_and_pdfs_carry_the_beijing_day(app, client, auth):
    phone = auth.as_role("worker")
    certificate_id, _token = _earned_early(app, phone)
    credits_page = client.get("/credits/").get_data(as_text=True)
    assert credits_page.count(BEIJING_DAY) == 2 and UTC_DAY not in credits_page  # certificate and its record
    page = client.get("/credits/transcript").get_data(as_text=True)
    assert f"<strong>{BEIJING_DAY} " in page and UTC_DAY not in page
    pdf = _pdf_text(client.get(f"/credits/certificates/{certificate_id}.pdf").data)
    assert f"发证日期：{BEIJING_DAY}" in pdf and UTC_DAY not in pdf
    pdf = _pdf_text(client.get("/credits/transcript.pdf").data)
    assert pdf.count(BEIJING_DAY) == 2 and UTC_DAY not in pdf  # the record row and the certificate row


def test_the_transcript_is_dated_and_the_serial_numbered_by_beijing_today(app, db):
    user = worker()
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):  # 07:30 on 1 January there
        complete(user, resource(2, "叉车司机"))
        [found] = certificates.mine(db.session, user.id)
        text = _pdf_text(transcript.pdf(transcript.build(db.session, user)))
    assert found.serial.startswith("QX2027")
    assert "生成日期：2027-01-01" in text and "2026-12-31" not in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 30)))
def test_any_issue_time_shows_its_beijing_day(app, client, moment):
    """The displayed day is the Asia/Shanghai day of the stored UTC instant (UTC+8: an independent oracle)."""
    with app.app_context():
        found = db.session.scalar(select(Certificate))
        if found is None:  # the first example makes it; the others move its time
            complete(worker(), resource(1, "焊工"))
            found = db.session.scalar(select(Certificate))
        found.issued_at = moment
        db.session.commit()
        token = certificates.token_for(app.config["SECRET_KEY"], found)
    html = client.get(f"/verify/{token}").get_data(as_text=True)
    assert f"<dd>{(moment + timedelta(hours=8)):%Y-%m-%d}</dd>" in html
