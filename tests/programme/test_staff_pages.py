"""The staff forms through HTTP: each refuses bad input with a message and saves nothing, and succeeds
with good input — selection, verification, claims, approval, payment batches and notices."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications, declarations, plans
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import Offering, OfferingStatus
from programme.money.models import ClaimStatus, SubsidyClaim, SubsidyPayment
from programme.voice.models import Notice
from tests import factories
from tests.conftest import csrf_token
from tests.programme.helpers import graduation, org, staff, worker
from tests.programme.test_views import THIS_YEAR, open_now


def post(client, path: str, data: dict, source: str = "/me/profile"):
    return client.post(path, data={"csrf_token": csrf_token(client, source), **data})


def test_selection_needs_a_reason_to_reject_and_training_projects_reach_the_menu(app, client, auth):
    open_now(app)
    with app.app_context():
        plan = plans.get_plan(db.session, THIS_YEAR)
        item = declarations.declare(db.session, staff("institution_staff"), plan, org(factories.INSTITUTION),
                                    OfferingInput(kind="training", major="焊工", mode="高级工", places=20))
        db.session.commit()
        offering_id = item.id
    auth.as_role("union_staff", "330000")
    assert "焊工" in client.get("/programme/review").get_data(as_text=True)
    response = post(client, f"/programme/offerings/{offering_id}/review", {"decision": "reject", "comment": ""})
    assert response.status_code == 302
    assert "不入选时请写明理由" in client.get("/programme/review").get_data(as_text=True)
    post(client, f"/programme/offerings/{offering_id}/review", {"decision": "select", "comment": "同意"})
    with app.app_context():
        assert db.session.get(Offering, offering_id).status == OfferingStatus.selected
    assert "焊工" in client.get("/programme/").get_data(as_text=True)


def enrolled(app) -> tuple[str, int]:
    """A worker verified, admitted and enrolled on an offering open today: (phone, enrolment record id)."""
    offering_id = open_now(app)
    with app.app_context():
        me = worker(contract_start=f"{THIS_YEAR - 1}-01-01", contract_end="")
        application = applications.apply(db.session, me, db.session.get(Offering, offering_id), beijing_today())
        applications.verify(db.session, staff(code="330106"), application, True)
        applications.admit(db.session, staff("institution_staff"), application, True)
        record = applications.enrol(db.session, staff("institution_staff"), application, "S1", beijing_today())
        db.session.commit()
        return me.phone, record.id


def test_claim_approve_pay_and_publish_through_the_pages(app, client, auth):
    phone, record_id = enrolled(app)
    auth.login(phone)
    refused = post(client, f"/programme/enrolments/{record_id}/claim", {"attainment": "technician",
                                                                         "certificate_number": " ", "evidence": "X 证"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "请填写毕业证书" in page and "X 证</textarea>" in page
    assert 'value="technician" selected' in page and 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(SubsidyClaim.id))) == 0
    post(client, f"/programme/enrolments/{record_id}/claim", {"attainment": "dazhuan", "certificate_number": "D-1"})
    auth.logout()
    auth.as_role("union_staff", "330106")
    with app.app_context():
        claim_id = db.session.scalar(select(SubsidyClaim.id))
    post(client, f"/programme/claims/{claim_id}/decide", {"decision": "reject", "comment": ""})
    assert "不予补贴时请写明理由" in client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    with app.app_context():  # the institution's graduation result arrives by data exchange
        graduation(db.session.scalar(select(User).where(User.phone == phone)), "D-1")
        db.session.commit()
    post(client, f"/programme/claims/{claim_id}/decide", {"decision": "approve"})
    post(client, "/programme/subsidies/330106/pay", {"paid_on": f"{THIS_YEAR}-10-01"})  # nothing ticked
    assert "请至少选择" in client.get("/programme/subsidies").get_data(as_text=True)
    today = beijing_today().isoformat()  # a batch is dated from the approval day to today
    post(client, "/programme/subsidies/330106/pay", {"claim": str(claim_id), "paid_on": today})
    post(client, "/programme/subsidies/330106/pay", {"claim": str(claim_id), "paid_on": today})
    page = client.get("/programme/subsidies").get_data(as_text=True)
    assert "不能重复支付" in page and f"<li>{today} · " in page
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).status == ClaimStatus.paid
        assert db.session.scalar(select(func.count(SubsidyPayment.id))) == 1
    quota_page = client.get("/programme/quotas/330106").get_data(as_text=True)
    assert '<td class="paid">1000</td>' in quota_page  # spending per level, visible beside the budget
    response = post(client, "/programme/notices/new", {"org": "330106", "kind": "lottery", "objection_days": "0"})
    assert response.status_code == 400 and "请选择公示类别" in response.get_data(as_text=True)
    response = post(client, "/programme/notices/new", {"org": "330106", "kind": "subsidies", "objection_days": "7"})
    assert response.status_code == 302
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "张*明" in body and "1000 元" in body and phone not in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Notice.id))) == 1


def test_withdrawal_from_the_page_frees_the_place(app, client, auth):
    offering_id = open_now(app)
    with app.app_context():
        me = worker(contract_start=f"{THIS_YEAR - 1}-01-01", contract_end="")
        application = applications.apply(db.session, me, db.session.get(Offering, offering_id), beijing_today())
        applications.verify(db.session, staff(code="330106"), application, True)
        db.session.commit()
        phone, application_id = me.phone, application.id
    auth.login(phone)
    post(client, f"/programme/applications/{application_id}/withdraw", {}, source="/programme/mine")
    assert "已撤回" in client.get("/programme/mine").get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330106")
    row = client.get("/programme/quotas/330106").get_data(as_text=True)
    assert '<td class="remaining">5</td>' in row


def test_institution_records_graduation_with_a_date(app, client, auth):
    _phone, record_id = enrolled(app)
    from programme.admissions.models import EnrolmentRecord

    with app.app_context():
        application_id = db.session.get(EnrolmentRecord, record_id).application_id
    auth.as_role("institution_staff")
    path = f"/programme/applications/{application_id}/admit"
    post(client, path, {"decision": "graduate", "graduated_on": "not-a-date"})
    assert "请填写毕业日期" in client.get("/programme/admissions").get_data(as_text=True)
    post(client, path, {"decision": "graduate", "graduated_on": f"{THIS_YEAR + 3}-07-01"})  # in the future
    page = client.get("/programme/admissions").get_data(as_text=True)
    assert "毕业日期不能晚于今天" in page and f"{THIS_YEAR + 3}-07-01 毕业" not in page
    today = beijing_today().isoformat()
    post(client, path, {"decision": "graduate", "graduated_on": today})
    assert f"{today} 毕业" in client.get("/programme/admissions").get_data(as_text=True)


def test_a_claim_filed_by_the_institution_and_refused_keeps_what_staff_typed(app, client, auth):
    _phone, record_id = enrolled(app)
    auth.as_role("institution_staff")
    back = "/programme/admissions"
    refused = post(client, f"/programme/enrolments/{record_id}/claim",
                   {"attainment": "nonsense", "certificate_number": "JS-77", "back": back}, source=back)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "请选择取得的学历或证书" in page
    assert "录取与学籍" in page and 'value="JS-77"' in page  # the same page, the number kept
    with app.app_context():
        assert db.session.scalar(select(func.count(SubsidyClaim.id))) == 0
    done = post(client, f"/programme/enrolments/{record_id}/claim",
                {"attainment": "dazhuan", "certificate_number": "JS-77", "back": back}, source=back)
    assert done.status_code == 302 and done.headers["Location"].endswith(back)
