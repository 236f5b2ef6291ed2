"""Route matrix rows for the account pages of issue 17: the audit logs (see tests/security/test_routes.py for the
format). Roles, in order: anonymous, worker, institution (INST-T1, not its admin), enterprise, county union 330106,
city 330100, province 330000, admin."""

from tests.security.test_routes import row

GET = {
    "me.audit_log": ("/me/audit", row(403, A=302, D=200)),  # the whole log: site admins
    "jobs.admin_jobs": ("/admin/jobs", row(403, A=302, D=200)),  # the background runtime's status: site admins
    # INST-T1 sits under 杭州市: its log is for its admins and the unions above it
    "orgs.audit_log": ("/orgs/INST-T1/audit", row(403, A=302, T=200, P=200, D=200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS: dict[str, str] = {"orgs.answer_invitation": "/orgs/invitations/999999"}  # accept or decline
