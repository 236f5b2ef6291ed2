"""Route matrix rows for the staff desk (issue 22, part 1), in the format of tests/security/test_routes.py.
Everyone signed in may open it (a worker's says there is nothing to handle); its JSON answers 401 when signed
out, never a login page."""

from tests.security.test_routes import row

GET = {
    "desk.page": ("/desk", row(200, A=302)),
    "desk.api": ("/api/v1/me/desk", row(200, A=401)),
}
