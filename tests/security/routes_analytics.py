"""Route matrix rows for the course analytics (issue 22, part 2), in the format of tests/security/test_routes.py.
Roles, in order: anonymous, worker, institution, enterprise, county union 330106, city 330100, province 330000,
admin. A resource's analytics: its provider's staff and the unions over it; a union's roll-up: its staff and those
above; everyone else "not found", so nobody learns that a resource or union exists."""

from tests.security.test_routes import row

OWN = row(404, A=302, I=200, T=200, P=200, D=200)  # {pub} is INST-T1's, under 杭州市 (330100)

GET = {
    # union staff go to their union's roll-up; others see where to find it
    "programme_staff.analytics_home": ("/programme/analytics", row(200, A=302, C=302, T=302, P=302)),
    "programme_staff.resource_analytics": ("/programme/analytics/resources/{pub}", OWN),
    "programme_staff.resource_analytics_file": ("/programme/analytics/resources/{pub}.csv", OWN),
    "programme_staff.union_analytics": ("/programme/analytics/unions/330100", row(404, A=302, T=200, P=200, D=200)),
    "programme_staff.union_analytics_file": ("/programme/analytics/unions/330100.xlsx",
                                             row(404, A=302, T=200, P=200, D=200)),
}
