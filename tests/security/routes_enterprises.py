"""Route matrix rows for the enterprise core (see tests/security/test_routes.py for the format). Roles, in order:
anonymous, worker, institution, enterprise (ENT-T1), county union 330106, city 330100, province 330000, admin.
Every signed-in person has 我的企业; the enterprise pages are its own staff's only (a site admin holds no
enterprise, so is refused too)."""

from tests.security.test_routes import row

ENTERPRISE_ONLY = row(403, A=302, E=200)
GET = {
    "programme.employer": ("/programme/employer", row(200, A=302)),
    "programme_staff.enterprise_home": ("/programme/enterprise", ENTERPRISE_ONLY),
    "programme_staff.enterprise_enrol": ("/programme/enterprise/enrol", ENTERPRISE_ONLY),
    "programme_staff.enterprise_progress": ("/programme/enterprise/progress", ENTERPRISE_ONLY),
    # {ent_worker} consented to ENT-T1: its staff see them, nobody else does
    "programme_staff.enterprise_worker": ("/programme/enterprise/progress/{ent_worker}", ENTERPRISE_ONLY),
    "programme_staff.enterprise_subsidy": ("/programme/enterprise/subsidy", ENTERPRISE_ONLY),
    "programme_api.enterprise_workers": ("/api/v1/programme/enterprise/workers", row(403, A=401, E=200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "programme_staff.enterprise_link_decide": "/programme/enterprise/links/1",
    "programme_staff.enterprise_nomination_withdraw": "/programme/enterprise/nominations/1/withdraw",
}


def extra_samples(app, base):
    from app.extensions import db
    from tests import factories
    from tests.programme.enterprises.helpers import linked

    with app.app_context():
        worker = linked(factories.user(name="授权职工"), consent=True)
        db.session.commit()
        return {"ent_worker": worker.id}
