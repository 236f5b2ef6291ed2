"""Route matrix rows for data sharing (issue 23, item 7), in the format of tests/security/test_routes.py. The
departments' API answers to a bearer token only: every role's session cookie gets 401, as no cookie is read; its
OpenAPI document is public. The tokens page is the site admins'."""

from tests.security.test_routes import row

GET = {
    "programme_support.api_tokens": ("/exchange/tokens", row(403, A=302, D=200)),
    "exchange_api.openapi_document": ("/api/exchange/v1/openapi.json", row(200)),
    "exchange_api.applications": ("/api/exchange/v1/applications", row(401)),
    "exchange_api.admissions": ("/api/exchange/v1/admissions", row(401)),
    "exchange_api.statistics_view": ("/api/exchange/v1/statistics", row(401)),
    "exchange_api.token_info": ("/api/exchange/v1/token", row(401)),
}

CSRF_EXEMPT = {
    "exchange_api.certificates": "a department's bearer token, never a cookie: a forged form carries no token",
    "exchange_api.graduations": "as exchange_api.certificates",
}

POST_PATHS = {"programme_support.revoke_api_token": "/exchange/tokens/999999/revoke"}
