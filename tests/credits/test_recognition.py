"""Recognition of outside outcomes: evidence judged by content, decided once by the issuer's staff only,
approval appending one record (converted by the table when a row matches)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from credits import conversion, ledger, recognition
from credits.models import Recognition, RecognitionStatus, RecordKind
from tests import factories
from tests.conftest import csrf_token
from tests.credits.credit_factories import pathway, pdf_bytes, png_bytes, request_values, worker


def _submit(app, user, evidence: bytes | None = None, **overrides):
    evidence = pdf_bytes() if evidence is None else evidence
    return recognition.submit(db.session, user, request_values(**overrides), evidence, app.config["DATA_DIR"])


def test_a_worker_submits_with_a_pdf_or_photo(app, db):
    user = worker()
    first = _submit(app, user)
    second = _submit(app, user, png_bytes(), title="电工培训证书", outcome_type="training_certificate")
    assert (first.status, first.evidence_type, second.evidence_type) == (RecognitionStatus.pending, "pdf", "png")
    stored = recognition.evidence_folder(app.config["DATA_DIR"]) / first.evidence_key
    assert stored.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("evidence", "why"), [
    (b"", "empty"),
    (b"%PDF-1.4 this is not really a pdf", "truncated"),
    (b"<html><script>alert(1)</script></html>", "html"),
    (b"GIF89a" + b"\0" * 100, "gif header"),
    (b"%PDF-1.4\n1 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n%%EOF", "pdf with script"),
    (b"%PDF-1.4\n1 0 obj << >> endobj\n<html><body onload=alert(1)></body></html>\n%%EOF", "pdf + html polyglot"),
    (b"%PDF-1.4\n1 0 obj << >> endobj\nPK\x03\x04payload.jsPK\x05\x06\n%%EOF", "pdf + zip polyglot"),
])
def test_evidence_that_is_not_a_real_pdf_or_image_is_refused(app, db, evidence, why):
    with pytest.raises(Invalid) as err:
        _submit(app, worker(), evidence)
    assert "evidence" in err.value.fields, why
    assert db.session.scalar(select(Recognition.id)) is None


def test_every_bad_field_is_reported_at_once(app, db):
    with pytest.raises(Invalid) as err:
        recognition.submit(db.session, worker(), {
            "outcome_type": "medal", "title": " ", "claimed_credits": "-3", "issuer": "ENT-T1",
            "pathway": "424242", "occupation": "电" * 101}, b"", app.config["DATA_DIR"])
    assert set(err.value.fields) == {"outcome_type", "title", "claimed_credits", "issuer", "pathway", "occupation",
                                     "evidence"}
    for value in ("abc", "nan", "inf", "201"):
        with pytest.raises(Invalid) as err:
            _submit(app, worker(), claimed_credits=value)
        assert "claimed_credits" in err.value.fields


def test_only_the_issuers_staff_decide_and_never_their_own(app, db):
    user = worker()
    request = _submit(app, user)
    outsiders = [user, factories.user("institution_staff", org_code=factories.OTHER_INSTITUTION),
                 factories.user("union_staff", org_code="330100"), factories.user("enterprise_staff")]
    for outsider in outsiders:
        with pytest.raises(Forbidden):
            recognition.review(db.session, outsider, request.id, "approve")
    # staff of the issuing institution asking for themselves may not approve their own request
    staff = factories.user("institution_staff")
    own = _submit(app, staff)
    with pytest.raises(Forbidden) as err:
        recognition.review(db.session, staff, own.id, "approve")
    assert err.value.code == "own_request"
    assert recognition.queue(db.session, staff) == [request]
    recognition.review(db.session, staff, request.id, "approve", amount="5", comment="材料齐全")
    with pytest.raises(Conflict):
        recognition.review(db.session, factories.user("institution_staff"), request.id, "reject", comment="重复")
    [record] = ledger.ledger(db.session, user.id)
    assert (record.kind, record.amount, record.reviewer_id, record.issuer.code, record.reason) == (
        RecordKind.recognised, 5, staff.id, "INST-T1", "材料齐全")


def test_union_issued_outcomes_go_to_that_union_or_above(app, db):
    request = _submit(app, worker(), issuer="330100")
    with pytest.raises(Forbidden):
        recognition.review(db.session, factories.user("union_staff", org_code="330106"), request.id, "approve")
    with pytest.raises(Forbidden):
        recognition.review(db.session, factories.user("institution_staff"), request.id, "approve")
    province = factories.user("union_staff", org_code="330000")
    assert recognition.queue(db.session, province) == [request]
    assert recognition.queue(db.session, factories.user("union_staff", org_code="330106")) == []
    assert recognition.queue(db.session, worker()) == []
    assert recognition.review(db.session, province, request.id, "approve").status == RecognitionStatus.approved


def test_review_bad_inputs(app, db):
    request = _submit(app, worker())
    staff = factories.user("institution_staff")
    for decision, amount, comment, field in (("maybe", None, "", "decision"), ("reject", None, "", "comment"),
                                             ("approve", "-2", "", "amount"), ("approve", "0", "", "amount"),
                                             ("approve", "很多", "", "amount")):
        with pytest.raises(Invalid) as err:
            recognition.review(db.session, staff, request.id, decision, amount=amount, comment=comment)
        assert field in err.value.fields
    assert db.session.get(Recognition, request.id).status == RecognitionStatus.pending
    recognition.review(db.session, staff, request.id, "reject", comment="证书编号查询不到")
    assert ledger.ledger(db.session, request.user_id) == []


def test_a_conversion_row_sets_the_amount_and_the_pathways(app, db):
    track = pathway(30, title="电工（高级工）技能路径", kind="skill")
    admin = factories.user("admin")
    row = conversion.add_conversion(db.session, admin, {"outcome_type": "skill_certificate", "occupation": "电工",
                                                         "level": "高级工", "credits": "12", "pathways": [track.id]})
    user = worker()
    request = _submit(app, user)
    recognition.review(db.session, factories.user("institution_staff"), request.id, "approve", amount="99")
    [record] = ledger.ledger(db.session, user.id)
    assert (record.kind, record.amount, record.conversion_id) == (RecordKind.converted, 12, row.id)
    conversion.deactivate_conversion(db.session, admin, row.id)
    later = _submit(app, user)
    recognition.review(db.session, factories.user("institution_staff"), later.id, "approve", amount="3")
    assert [r.kind for r in ledger.ledger(db.session, user.id)] == [RecordKind.converted, RecordKind.recognised]


def test_one_certificate_is_recognised_once(app, client, auth, db):
    """A reviewer's attack: the same certificate sent twice (a double-clicked form), or to a second issuer whose
    queue does not show the first, was approved twice: its credits doubled. A second request for a certificate
    pending or recognised is refused, however its number is typed; one rejected may be sent again; and two
    requests that slipped in at once are approved once."""
    user, number = worker(), "S330100-2025-0001"
    first = _submit(app, user, certificate_no=number)
    for overrides in ({}, {"issuer": "330100"}, {"certificate_no": " s330100-2025-０００１ "}):
        with pytest.raises(Invalid) as err:
            _submit(app, user, **{"certificate_no": number, **overrides})
        assert "已提交过学分认定" in err.value.fields["certificate_no"]
    with pytest.raises(Invalid):
        _submit(app, worker(), certificate_no=number)  # someone else's copy of it
    with pytest.raises(Invalid):  # nor as another kind of document (a review: credited twice that way)
        _submit(app, user, outcome_type="training_certificate", certificate_no=number)
    assert _submit(app, worker(), outcome_type="training_certificate", certificate_no=number).id  # another's
    staff = factories.user("institution_staff")
    recognition.review(db.session, staff, first.id, "reject", comment="证书编号查询不到")
    again = _submit(app, user, certificate_no=number)
    twin = _submit(app, worker())
    twin.certificate_no = again.certificate_no  # as if both had been sent at the same moment
    db.session.flush()
    recognition.review(db.session, staff, again.id, "approve")
    with pytest.raises(Conflict) as err:
        recognition.review(db.session, staff, twin.id, "approve")
    assert err.value.code == "already_recognised"
    assert ledger.balance(ledger.ledger(db.session, user.id)) == 6 and ledger.ledger(db.session, twin.user_id) == []
    db.session.commit()
    auth.login(user.phone)
    answer = client.post("/credits/recognition/new", data={
        **request_values(certificate_no=number), "evidence": (io.BytesIO(pdf_bytes()), "c.pdf"),
        "csrf_token": csrf_token(client, "/credits/recognition/new")},
        content_type="multipart/form-data")
    assert answer.status_code == 400 and "已提交过学分认定" in answer.get_data(as_text=True)


def test_conversion_table_bad_inputs_and_admins_only(db):
    track = pathway(30)
    admin = factories.user("admin")
    with pytest.raises(Forbidden):
        conversion.add_conversion(db.session, factories.user("union_staff", org_code="330000"), {})
    with pytest.raises(Invalid) as err:
        conversion.add_conversion(db.session, admin, {"outcome_type": "x", "occupation": "", "level": "",
                                                       "credits": "-5", "pathways": ["999"]})
    assert set(err.value.fields) == {"outcome_type", "occupation", "level", "credits", "pathways"}
    with pytest.raises(Invalid) as err:
        conversion.add_conversion(db.session, admin, {"outcome_type": "diploma", "occupation": "机电",
                                                       "level": "专科", "credits": "20", "pathways": []})
    assert set(err.value.fields) == {"pathways"}
    assert conversion.add_conversion(db.session, admin, {"outcome_type": "diploma", "occupation": "机电",
                                                          "level": "专科", "credits": "20",
                                                          "pathways": [str(track.id)]}).credits == 20


def test_upload_page_refuses_a_fake_pdf_and_keeps_nothing(app, client, auth):
    auth.as_role("worker")
    token = csrf_token(client, "/credits/recognition/new")
    fake = (io.BytesIO(b"just text pretending"), "diploma.pdf", "application/pdf")
    response = client.post("/credits/recognition/new", data={"csrf_token": token, **request_values(),
                                                             "evidence": fake}, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "PDF" in html and "电工职业技能等级证书（高级工）" in html  # message shown, typed values kept
    with app.app_context():
        assert db.session.scalar(select(Recognition.id)) is None
    real = (io.BytesIO(pdf_bytes()), "diploma.pdf", "application/pdf")
    response = client.post("/credits/recognition/new", data={"csrf_token": token, **request_values(),
                                                             "evidence": real}, content_type="multipart/form-data")
    assert response.status_code == 302


def test_review_through_the_pages(app, client, auth):
    with app.app_context():
        user = worker()
        request = _submit(app, user)
        db.session.commit()
        request_id, user_id = request.id, user.id
    auth.as_role("institution_staff", factories.OTHER_INSTITUTION)
    assert client.get(f"/credits/recognition/{request_id}").status_code == 404
    assert client.get(f"/credits/recognition/{request_id}/evidence").status_code == 404
    auth.logout()
    auth.as_role("institution_staff")
    page = client.get(f"/credits/recognition/{request_id}")
    assert page.status_code == 200 and "审核" in page.get_data(as_text=True)
    with client.get(f"/credits/recognition/{request_id}/evidence") as evidence:
        assert evidence.status_code == 200 and evidence.data.startswith(b"%PDF")
        # never shown inline, never sniffed, and nothing in it may run even if a browser showed it
        assert evidence.headers["Content-Disposition"].startswith("attachment")
        assert evidence.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert evidence.headers["X-Content-Type-Options"] == "nosniff"
    token = csrf_token(client, f"/credits/recognition/{request_id}")
    bad = client.post(f"/credits/recognition/{request_id}/review",
                      data={"csrf_token": token, "decision": "approve", "amount": "-1"})
    assert bad.status_code == 400 and "学分应大于0" in bad.get_data(as_text=True)
    good = client.post(f"/credits/recognition/{request_id}/review",
                       data={"csrf_token": token, "decision": "approve", "amount": "6"})
    assert good.status_code == 302
    with app.app_context():
        assert ledger.balance(ledger.ledger(db.session, user_id)) == 6


def test_staff_who_apply_for_themselves_see_no_review_form(app, client, auth):
    phone = auth.as_role("institution_staff")
    with app.app_context():
        from app.accounts.models import User

        staff = db.session.scalar(select(User).where(User.phone == phone))
        request = _submit(app, staff)
        db.session.commit()
        request_id = request.id
    page = client.get(f"/credits/recognition/{request_id}").get_data(as_text=True)
    assert "提交审核结果" not in page
    token = csrf_token(client, "/credits/recognition/new")
    assert client.post(f"/credits/recognition/{request_id}/review",
                       data={"csrf_token": token, "decision": "approve"}).status_code == 403


def test_two_reviewers_deciding_at_once_leave_one_decision_and_one_record(app):
    import threading

    with app.app_context():
        user = worker()
        request = _submit(app, user)
        reviewers = [factories.user("institution_staff").id for _ in range(4)]
        db.session.commit()
        request_id, user_id = request.id, user.id
    barrier, outcomes = threading.Barrier(len(reviewers)), []

    def decide(reviewer_id: int) -> None:
        from app.accounts.models import User

        with app.app_context():
            try:
                reviewer = db.session.get(User, reviewer_id)
                barrier.wait()
                recognition.review(db.session, reviewer, request_id, "approve", amount="4")
                db.session.commit()
                outcomes.append("approved")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved"] + ["conflict"] * (len(reviewers) - 1)
    with app.app_context():
        assert [r.amount for r in ledger.ledger(db.session, user_id)] == [4]
