"""Every route, every role: the expected answer for a GET, and CSRF refusal for every POST.

A route missing from these tables fails the test, so nothing new ships unexamined: add its row
(path with sample arguments, then the status for anonymous, worker, institution, enterprise,
county union, city union, province union and admin)."""

import pytest

from tests.conftest import csrf_token

ROLES = [("anonymous", None), ("worker", None), ("institution_staff", None), ("enterprise_staff", None),
         ("union_staff", "330106"), ("union_staff", "330100"), ("union_staff", "330000"), ("admin", None)]

# endpoint: (path, (anon, worker, inst, ent, county, city, province, admin))
GET = {
    "main.index": ("/", (200,) * 8),
    "main.healthz": ("/healthz", (200,) * 8),
    "main.catalog": ("/catalog", (200,) * 8),
    "main.search": ("/search", (200,) * 8),
    "main.learning": ("/learning", (200,) * 8),
    "auth.login": ("/auth/login", (200,) + (302,) * 7),
    "auth.register": ("/auth/register", (200,) + (302,) * 7),
    "me.home": ("/me", (302,) + (200,) * 7),
    "me.profile": ("/me/profile", (302,) + (200,) * 7),
    "me.password": ("/me/password", (302,) + (200,) * 7),
    "orgs.mine": ("/orgs/mine", (302, 200, 302, 302, 302, 302, 302, 200)),  # staff of one org go straight to it
    "orgs.show": ("/orgs/330106", (200,) * 8),
    "static": ("/static/css/site.css", (200,) * 8),
}
# POST endpoints that take no CSRF token, and why.
CSRF_EXEMPT = {
    "programme_api.check_eligibility": "pure computation over the request body; reads no session, changes nothing",
}
POST_PATHS = {"orgs.show": "/orgs/330106"}


def _routes(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def test_every_get_route_is_in_the_table(app):
    gets = {e for e, rule in _routes(app).items() if "GET" in rule.methods}
    assert gets - set(GET) == set(), "add these routes to GET in tests/security/test_routes.py"


@pytest.mark.parametrize(("role", "org"), ROLES, ids=[f"{r}@{o}" for r, o in ROLES])
def test_get_matrix(app, client, auth, role, org):
    column = ROLES.index((role, org))
    if role != "anonymous":
        auth.as_role(role, org)
    wrong = {}
    for endpoint, (path, expected) in GET.items():
        with client.get(path) as response:
            status = response.status_code
        if status != expected[column]:
            wrong[endpoint] = (path, status, expected[column])
    assert wrong == {}


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(app, client, auth):
    auth.as_role("admin")
    posts = {e: rule for e, rule in _routes(app).items() if "POST" in rule.methods and e not in CSRF_EXEMPT}
    assert posts, "no POST routes found"
    for endpoint, rule in posts.items():
        path = POST_PATHS.get(endpoint, rule.rule)
        assert "<" not in path, f"add a sample path for {endpoint} to POST_PATHS"
        for token in (None, "forged-token"):
            data = {"csrf_token": token} if token else {}
            response = client.post(path, data=data)
            assert response.status_code == 400, (endpoint, token, response.status_code)
            assert "页面已过期" in response.get_data(as_text=True), endpoint
    # and with a real token the same request gets past CSRF (the check is not just refusing everything)
    assert client.post("/lang", data={"csrf_token": csrf_token(client, "/"), "lang": "en"}).status_code == 302
