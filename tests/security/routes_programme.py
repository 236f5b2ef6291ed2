"""Route matrix rows for the programme's pages (issue 7, part 1): the 报读 menu, offerings, applications,
declarations, plans, quotas, selection, verification, admission, subsidies and notices (format: see
tests/security/test_routes.py). Roles, in order: anonymous, worker, institution, enterprise, county union
330106, city 330100, province 330000, admin."""

from datetime import date

from app.timefmt import beijing_today
from tests.security.test_routes import row

GET = {
    "programme.index": ("/programme/", row(200)),
    "programme.offering": ("/programme/offerings/{offering}", row(200)),
    "programme.mine": ("/programme/mine", row(200, A=302)),
    "programme.declare": ("/programme/declare", row(403, A=302, I=200, D=200)),  # institution staff only
    "programme.notice_list": ("/programme/notices", row(200)),
    "programme.notice_show": ("/programme/notices/{notice}", row(200)),  # masked: see the personal-data test
    "programme_staff.plan_list": ("/programme/plans", row(403, A=302, P=200, D=200)),
    # a union's quota table: its own staff and the unions above it
    "programme_staff.quota_table": ("/programme/quotas/330106", row(403, A=302, C=200, T=200, P=200, D=200)),
    # queues list only what the user may act on, so others see an empty page rather than a refusal
    "programme_staff.review_queue": ("/programme/review", row(200, A=302)),
    "programme_staff.verify_queue": ("/programme/verify", row(200, A=302)),
    "programme_staff.admissions": ("/programme/admissions", row(200, A=302)),
    "programme_staff.subsidy_queue": ("/programme/subsidies", row(200, A=302)),
    "programme_staff.notice_new": ("/programme/notices/new", row(403, A=302, C=200, T=200, P=200, D=200)),
    "programme_staff.plan_edit": ("/programme/plans/{year}/edit", row(403, A=302, P=200, D=200)),
    # a claim's evidence file: the claimant, the institution and the unions over the county; others "not found"
    "programme.evidence_file": ("/programme/evidence/{evidence}", row(404, A=302, I=200, C=200, T=200, P=200, D=200)),
    # a claim beside its record: the unions over the claim's county (page and API)
    "programme_staff.claim_review": ("/programme/claims/{claim}/review", row(403, A=302, C=200, T=200, P=200, D=200)),
    "programme_api.claim_review": ("/api/v1/programme/claims/{claim}/review",
                                   row(403, A=401, C=200, T=200, P=200, D=200)),
    "programme.my_objections": ("/programme/objections", row(200, A=302)),
    "programme_staff.objection_queue": ("/programme/objections/review", row(200, A=302)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "programme.offering": "/programme/offerings/1",
    "programme.withdraw": "/programme/applications/1/withdraw",
    "programme.claim": "/programme/enrolments/1/claim",
    "programme.declare": "/programme/declare",
    "programme_staff.plan_list": "/programme/plans",
    "programme_staff.quota_table": "/programme/quotas/330106",
    "programme_staff.review": "/programme/offerings/1/review",
    "programme_staff.verify": "/programme/applications/1/verify",
    "programme_staff.admit": "/programme/applications/1/admit",
    "programme_staff.decide": "/programme/claims/1/decide",
    "programme_staff.pay": "/programme/subsidies/330106/pay",
    "programme_staff.notice_new": "/programme/notices/new",
    "programme_staff.plan_edit": f"/programme/plans/{beijing_today().year}/edit",
    "programme.claim_evidence": "/programme/claims/1/evidence",
    "programme_staff.check_evidence": "/programme/claims/1/check-evidence",
    "programme.claim_amend": "/programme/claims/1/amend",
    "programme_api.claim_evidence_check": "/api/v1/programme/claims/1/evidence-check",
    "programme_api.claim_decision": "/api/v1/programme/claims/1/decision",
    "programme.notice_object": "/programme/notices/1/objections",
    "programme_staff.resolve_objection": "/programme/objections/1/resolve",
}


def extra_samples(app, base):
    """This year's plan open today, a selected offering of INST-T1, an admitted applicant under 西湖区 with a
    granted subsidy (and a PDF as its evidence), and public notices listing them (masked), the last with an
    objection."""
    from app.accounts import profiles
    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from programme.admissions import applications, declarations, plans, quotas
    from programme.admissions.declarations import OfferingInput
    from programme.money import claim_checks, evidence, subsidies
    from programme.voice import notices, objections
    from tests import factories
    from tests.credits.credit_factories import pdf_bytes
    from tests.programme.helpers import org

    today = beijing_today()
    with app.app_context():
        plan = plans.open_plan(db.session, SYSTEM, plans.PlanInput(
            year=today.year, notice_date=date(today.year, 1, 1), opens_on=date(today.year, 1, 1),
            closes_on=date(today.year, 12, 31)))
        quotas.allocate(db.session, SYSTEM, plan, org("330100"), 10, 10_000)
        quotas.allocate(db.session, SYSTEM, plan, org("330106"), 5, 5_000)
        offering = declarations.declare(db.session, SYSTEM, plan, org(factories.INSTITUTION), OfferingInput(
            kind="academic", level="zhuanke", major="机电一体化", mode="业余", years=3, places=10))
        declarations.review(db.session, SYSTEM, offering, "select", "")
        applicant = factories.user(name="申请人")
        profiles.update_profile(db.session, applicant, applicant, {
            "real_name": "钱多多", "id_number": "330106199001019995", "job_level": "front_line",
            "union_member": True, "union_code": "330106",
            "employer_type": "enterprise", "contract_start": f"{today.year - 1}-01-01", "contract_end": "",
            "education": "high_school"})
        application = applications.apply(db.session, applicant, offering, today)
        applications.verify(db.session, SYSTEM, application, True)
        applications.admit(db.session, SYSTEM, application, True)
        record = applications.enrol(db.session, SYSTEM, application, "S-1", today)
        claim = subsidies.claim(db.session, SYSTEM, record, "dazhuan", "C-1", "", files=[pdf_bytes()],
                                storage=evidence.storage(app.config["DATA_DIR"]), attained_on=today)
        checker = factories.user(role="union_staff", org_code="330106")  # not the claimant: may check the PDF
        claim_checks.check_evidence(db.session, checker, claim, "证书与申请一致")
        subsidies.decide(db.session, SYSTEM, claim, True)
        notice = None
        for kind in ("institutions", "admissions", "subsidies"):
            notice = notices.publish(db.session, SYSTEM, plan, org("330000"), kind, today)
        objector = factories.user(name="异议人")
        objections.file(db.session, objector, notice, text="名单中有人并未取得证书。", today=today)
        db.session.commit()
        return {"offering": offering.id, "notice": notice.id, "year": today.year, "evidence": claim.files[0].id,
                "claim": claim.id}
