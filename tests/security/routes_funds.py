"""Route matrix rows for the funds ledger (issue 23, part 5), in the format of tests/security/test_routes.py.
Roles, in order: anonymous, worker, institution, enterprise, county union 330106, city 330100, province 330000,
admin. A union's ledger is seen by its staff and those above it; the overview is the province's."""

from tests.security.test_routes import row

GET = {
    "programme_staff.funds_home": ("/programme/funds", row(403, A=302, C=302, T=302, P=302, D=302)),
    "programme_staff.funds_unit": ("/programme/funds/330100", row(403, A=302, T=200, P=200, D=200)),
    "programme_staff.funds_file": ("/programme/funds/330100/reconciliation.csv",
                                   row(403, A=302, T=200, P=200, D=200)),
    "programme_staff.funds_overview": ("/programme/funds-overview", row(403, A=302, P=200, D=200)),
}
POST_PATHS = {
    "programme_staff.funds_top_up": "/programme/funds/330100/top-up",
    "programme_staff.funds_pass_down": "/programme/funds/330100/pass-down",
    "programme_staff.funds_adjust": "/programme/funds/entries/1/adjust",
    "programme_staff.funds_allocate": "/programme/funds-overview/allocate",
}
