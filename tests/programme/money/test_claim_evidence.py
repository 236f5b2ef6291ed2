"""Evidence files on subsidy claims: a real PDF, JPEG or PNG judged by its content, within the size limit;
disguised files, polyglots and oversize files refused with a Chinese message and nothing saved lost; only
the claimant, the institution and the verifying unions may download."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from credits.evidence_files import MAX_EVIDENCE
from programme.admissions import applications
from programme.money import claim_checks, evidence, subsidies
from programme.money.models import ClaimEvidence, SubsidyClaim
from tests.conftest import csrf_token
from tests.credits.credit_factories import pdf_bytes, png_bytes
from tests.programme.helpers import OPEN_DAY, admitted_on, offering, open_year, staff, worker
from tests.programme.test_staff_pages import enrolled as enrolled_today


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, "JPEG")
    return buffer.getvalue()


BAD = [
    (b"", "请上传证书的扫描件或照片"),
    (b"<html><script>alert(1)</script></html>", "只接收 PDF、JPEG 或 PNG"),
    (b"GIF89a" + b"\0" * 100, "只接收 PDF、JPEG 或 PNG"),
    (b"%PDF-1.4 not really", "PDF 文件已损坏"),
    (None, "夹带了网页或压缩包"),   # a PDF that is also a web page
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_EVIDENCE + 1), "文件不能超过10MB"),
]


def _bad(data: bytes | None) -> bytes:
    if data is None:  # valid PDF structure, with a page a sniffing browser would run
        return pdf_bytes().replace(b"%%EOF", b"<html><script>alert(document.cookie)</script></html>\n%%EOF")
    return data


def enrolled(plan):
    me = worker()
    application = applications.apply(db.session, me, offering(plan), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    applications.admit(db.session, staff("institution_staff"), application, True)
    admitted_on(application, date(2026, 9, 1))
    return me, applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 9, 1))


def _stored(app) -> list[Path]:
    """Files kept under claims/ (the storage's own tmp/ folder holds only writes in progress)."""
    return [p for p in (Path(app.config["DATA_DIR"]) / "claim_evidence" / "claims").rglob("*") if p.is_file()]


def test_a_claim_carries_a_pdf_and_a_photo_and_images_are_re_encoded(app, db):
    me, record = enrolled(open_year())
    store = evidence.storage(app.config["DATA_DIR"])
    polyglot_png = png_bytes() + b"<html><script>alert(1)</script></html>"
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-1", "", files=[pdf_bytes(), polyglot_png],
                            storage=store, attained_on=record.enrolled_on)
    assert [f.kind for f in claim.files] == ["pdf", "png"]
    assert all(f.uploaded_by_id == me.id and f.key.startswith(f"claims/{claim.id}/") for f in claim.files)
    pdf, png = (store.path(f.key).read_bytes() for f in claim.files)
    assert pdf.startswith(b"%PDF") and png.startswith(b"\x89PNG") and b"<script" not in png
    later = evidence.attach(db.session, staff("institution_staff"), claim, [jpeg_bytes()], store)[0]
    assert later.kind == "jpeg" and len(claim.files) == 3


@pytest.mark.parametrize(("data", "message"), BAD, ids=["empty", "html", "gif", "broken-pdf", "pdf-html", "big"])
def test_bad_files_are_refused_and_nothing_saved_is_lost(app, db, data, message):
    me, record = enrolled(open_year())
    store = evidence.storage(app.config["DATA_DIR"])
    with pytest.raises(Invalid) as err:  # with a new claim: neither the claim nor a file is saved
        subsidies.claim(db.session, me, record, "dazhuan", "ZJ-1", "", files=[_bad(data)], storage=store)
    assert message in err.value.fields[evidence.FIELD]
    assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0 and _stored(app) == []
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-1", "", files=[pdf_bytes()], storage=store,
                            attained_on=record.enrolled_on)
    with pytest.raises(Invalid) as err:  # added later with a good one: the claim and its files stay as they were
        evidence.attach(db.session, me, claim, [jpeg_bytes(), _bad(data)], store)
    assert message in err.value.fields[evidence.FIELD]
    assert [f.kind for f in claim.files] == ["pdf"] and len(_stored(app)) == 1  # the good one not kept either


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_files_of_a_claim_that_is_never_committed_are_not_kept(app, db, end):
    """A request that fails after the files are stored (a lock timeout at commit, an error further on) ends its
    transaction without a commit, by a rollback or by closing the session: its files go with it."""
    me, record = enrolled(open_year())
    db.session.commit()
    store = evidence.storage(app.config["DATA_DIR"])
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-1", "", files=[pdf_bytes()], storage=store,
                            attained_on=record.enrolled_on)
    db.session.commit()
    evidence.attach(db.session, me, claim, [jpeg_bytes(), png_bytes()], store)
    assert len(_stored(app)) == 3
    db.session.rollback() if end == "rollback" else db.session.close()
    kept = db.session.scalars(select(ClaimEvidence)).all()
    assert [f.kind for f in kept] == ["pdf"] and _stored(app) == [store.path(kept[0].key)]


def test_who_may_attach_and_download(app, db):
    me, record = enrolled(open_year())
    store = evidence.storage(app.config["DATA_DIR"])
    claim = subsidies.claim(db.session, me, record, "benke", "B-1", "", files=[pdf_bytes()], storage=store,
                            attained_on=record.enrolled_on)
    with pytest.raises(Forbidden):
        evidence.attach(db.session, worker("旁人"), claim, [pdf_bytes()], store)
    file_id = claim.files[0].id
    for allowed in (me, staff("institution_staff"), staff(code="330106"), staff(code="330100"), staff(code="330000")):
        assert evidence.for_download(db.session, allowed, file_id).claim_id == claim.id
    for refused in (worker("旁人"), staff("institution_staff", "INST-T2"), staff(code="330105"),
                    staff(code="330200"), staff("enterprise_staff"), None):
        with pytest.raises(NotFound):
            evidence.for_download(db.session, refused, file_id)
    claim_checks.check_evidence(db.session, staff(code="330106"), claim)  # the PDF is what approval rests on
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    with pytest.raises(Conflict):  # decided: its evidence is what the union saw
        evidence.attach(db.session, me, claim, [pdf_bytes()], store)


def _post(client, path: str, data: dict):
    return client.post(path, data={"csrf_token": csrf_token(client, "/me/profile"), **data},
                       content_type="multipart/form-data")


def test_through_the_pages_refusal_message_upload_and_the_reviewers_link(app, client, auth):
    phone, record_id = enrolled_today(app)
    auth.login(phone)
    exe = (io.BytesIO(b"MZ\x90\0 exe"), "证书.pdf")
    response = _post(client, f"/programme/enrolments/{record_id}/claim", {
        "attainment": "benke", "certificate_number": "ZJ-9", "evidence": "浙江开放大学，2026年7月",
        "evidence_file": exe})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "只接收 PDF、JPEG 或 PNG" in page
    # what was typed is still there, beside the reason
    assert 'value="ZJ-9"' in page and "浙江开放大学，2026年7月</textarea>" in page and 'value="benke" selected' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0
    _post(client, f"/programme/enrolments/{record_id}/claim", {
        "attainment": "dazhuan", "certificate_number": "ZJ-9", "evidence_file": (io.BytesIO(b""), "")})
    with app.app_context():
        claim_id = db.session.scalar(select(SubsidyClaim.id))
    polyglot = _bad(None)  # (the size limit is checked above, on the service: big bodies stay out of the client)
    _post(client, f"/programme/claims/{claim_id}/evidence", {"evidence_file": (io.BytesIO(polyglot), "a.pdf")})
    assert "夹带了网页或压缩包" in client.get("/programme/mine").get_data(as_text=True)
    _post(client, f"/programme/claims/{claim_id}/evidence", {"evidence_file": (io.BytesIO(jpeg_bytes()), "a.png")})
    with app.app_context():
        item = db.session.scalar(select(ClaimEvidence))
        assert item.kind == "jpeg" and "a.png" not in item.key  # judged by content; the name is never used
        file_id = item.id
    with client.get(f"/programme/evidence/{file_id}") as download:
        assert download.status_code == 200 and download.mimetype == "image/jpeg"
        assert download.data.startswith(b"\xff\xd8\xff")
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    auth.logout()
    auth.as_role("union_staff", "330106")
    page = client.get("/programme/subsidies").get_data(as_text=True)
    assert f"/programme/evidence/{file_id}" in page
    with client.get(f"/programme/evidence/{file_id}") as download:
        assert download.status_code == 200
    auth.logout()
    auth.as_role("worker")
    assert client.get(f"/programme/evidence/{file_id}").status_code == 404
