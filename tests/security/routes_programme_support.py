"""Route matrix rows for the programme's support pages: enquiries, the policy page, surveys, QR codes,
reports and data exchange (see tests/security/test_routes.py for the format). Roles, in order:
anonymous, worker, institution, enterprise, county union 330106, city 330100, province 330000, admin."""

from tests.security.test_routes import row

GET = {
    "programme_support.enquiry_list": ("/enquiries", row(200, A=302)),
    # {enquiry} was asked by a worker of 西湖区 (330106): its county and the unions above see it, others do not
    "programme_support.enquiry_show": ("/enquiries/{enquiry}", row(404, A=302, C=200, T=200, P=200, D=200)),
    "programme_support.enquiry_inbox": ("/enquiries/inbox", row(200, A=302)),  # lists only what one may answer
    "programme_support.policy": ("/policy", row(200)),
    "programme_support.policy_edit": ("/policy/edit", row(403, A=302, P=200, D=200)),
    "programme_support.survey": ("/surveys/resource/{pub}", row(200)),
    "programme_support.survey_mine": ("/surveys/mine", row(200, A=302)),
    "programme_support.survey_quality": ("/surveys/quality", row(200)),
    "programme_support.survey_answers": ("/surveys/provider/INST-T1", row(403, A=302, I=200, T=200, P=200, D=200)),
    "programme_support.qr_list": ("/qr", row(200, A=302)),  # empty for anyone but union staff
    "programme_support.qr_png": ("/qr/330106.png", row(200)),  # posters are public by nature
    "programme_support.qr_pdf": ("/qr/330106.pdf", row(200)),
    # union staff are sent on to their own union's dashboard; others see an empty list
    "programme_support.reports_home": ("/reports", row(200, A=302, C=302, T=302, P=302, D=302)),
    "programme_support.report": ("/reports/330106", row(403, A=302, C=200, T=200, P=200, D=200)),
    "programme_support.report_xlsx": ("/reports/330106/report.xlsx", row(403, A=302, C=200, T=200, P=200, D=200)),
    "programme_support.report_pdf": ("/reports/330106/2026.pdf", row(403, A=302, C=200, T=200, P=200, D=200)),
    "programme_support.exchange_template": ("/exchange/template/graduation.csv", row(200, A=302)),
    "programme_support.exchange_page": ("/exchange", row(403, A=302, I=200, D=200)),  # senders of results only
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "programme_support.enquiry_show": "/enquiries/1",
    "programme_support.survey": "/surveys/resource/1",
}


def extra_samples(app, base):
    from app.accounts import profiles
    from app.extensions import db
    from programme.voice import enquiries
    from tests import factories

    with app.app_context():
        asker = factories.user(name="提问人")
        profiles.update_profile(db.session, asker, asker, {"union_member": True, "union_code": "330106"})
        enquiry = enquiries.ask(db.session, asker, subject="补贴", question="补贴什么时候发？")
        db.session.commit()
        return {"enquiry": enquiry.id}
