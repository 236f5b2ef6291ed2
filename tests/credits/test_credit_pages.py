"""The write paths of the credit pages with bad input: a clear Chinese message, nothing saved, or a refusal."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from credits import ledger, recognition
from credits.models import Conversion, CreditRecord, PathwayItem
from tests import factories
from tests.conftest import post_form
from tests.credits.credit_factories import pathway, pdf_bytes, request_values, resource, worker

FORM = "/credits/recognition/new"  # any page of ours with a CSRF token


def _approved(app) -> tuple[int, int]:
    with app.app_context():
        request = recognition.submit(db.session, worker(), request_values(), pdf_bytes(), app.config["DATA_DIR"])
        recognition.review(db.session, factories.user("institution_staff"), request.id, "approve", amount="5")
        db.session.commit()
        [record] = ledger.ledger(db.session, request.user_id)
        return request.id, record.id


def test_revoking_a_recognised_record_needs_a_reason_and_the_issuer(app, client, auth):
    request_id, record_id = _approved(app)
    auth.as_role("institution_staff", factories.OTHER_INSTITUTION)
    assert post_form(client, f"/credits/records/{record_id}/revoke", {"reason": "x"}, source=FORM).status_code == 403
    auth.logout()
    auth.as_role("institution_staff")
    page = client.get(f"/credits/recognition/{request_id}").get_data(as_text=True)
    assert "撤销学分" in page
    empty = post_form(client, f"/credits/records/{record_id}/revoke", {"reason": " ", "recognition": request_id},
                      source=FORM, follow_redirects=True)
    assert "请填写撤销原因" in empty.get_data(as_text=True)
    done = post_form(client, f"/credits/records/{record_id}/revoke", {"reason": "证书系伪造",
                                                                       "recognition": request_id}, source=FORM)
    assert done.status_code == 302
    again = post_form(client, f"/credits/records/{record_id}/revoke", {"reason": "再撤", "recognition": request_id},
                      source=FORM, follow_redirects=True)
    assert "已经撤销过了" in again.get_data(as_text=True)
    assert post_form(client, "/credits/records/999999/revoke", {"reason": "x"}, source=FORM).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CreditRecord)) == 2


def test_adding_courses_to_a_pathway_through_the_page(app, client, auth):
    with app.app_context():
        track, item = pathway(20), resource(3)
        db.session.commit()
        track_id, item_id = track.id, item.id
    auth.as_role("institution_staff")
    for bad, message in (("", "学习资源不存在"), ("abc", "学习资源不存在"), ("999999", "学习资源不存在")):
        response = post_form(client, f"/credits/pathways/{track_id}/items", {"resource_id": bad}, source=FORM,
                             follow_redirects=True)
        assert message in response.get_data(as_text=True)
    post_form(client, f"/credits/pathways/{track_id}/items", {"resource_id": item_id, "required": "1"}, source=FORM)
    twice = post_form(client, f"/credits/pathways/{track_id}/items", {"resource_id": item_id}, source=FORM,
                      follow_redirects=True)
    assert "已经在路径中了" in twice.get_data(as_text=True)
    assert post_form(client, "/credits/pathways/999999/items", {"resource_id": item_id}, source=FORM).status_code == 404
    with app.app_context():
        assert [(i.resource_id, i.required) for i in db.session.scalars(select(PathwayItem))] == [(item_id, True)]
    auth.logout()
    auth.as_role("institution_staff", factories.OTHER_INSTITUTION)
    assert post_form(client, f"/credits/pathways/{track_id}/retire", {}, source=FORM).status_code == 403
    assert post_form(client, f"/credits/pathways/{track_id}/items", {"resource_id": item_id},
                     source=FORM).status_code == 403


def test_conversion_table_page_for_admins_only(app, client, auth):
    with app.app_context():
        track_id = pathway(20).id
        db.session.commit()
    auth.as_role("union_staff", "330000")
    assert client.get("/credits/conversions").status_code == 403
    assert post_form(client, "/credits/conversions/1/deactivate", {}, source=FORM).status_code == 403
    auth.logout()
    auth.as_role("admin")
    bad = post_form(client, "/credits/conversions", {"outcome_type": "skill_certificate", "occupation": "电工",
                                                     "level": "高级工", "credits": "-10", "pathways": [track_id]})
    assert bad.status_code == 400 and "学分应大于0" in bad.get_data(as_text=True)
    good = post_form(client, "/credits/conversions", {"outcome_type": "skill_certificate", "occupation": "电工",
                                                      "level": "高级工", "credits": "10", "pathways": [track_id]})
    assert good.status_code == 302
    assert post_form(client, "/credits/conversions/999999/deactivate", {}, source=FORM).status_code == 404
    with app.app_context():
        [row] = db.session.scalars(select(Conversion))
        assert (row.credits, [p.id for p in row.pathways], row.active) == (10, [track_id], True)
