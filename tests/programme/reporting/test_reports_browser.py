"""The support pages on a 360 px phone, with the same checks as tests/e2e/test_quality.py (width, weight,
no other host, axe-core, 16 px text, 44 px targets): the dashboard with its SVG charts above all."""

import pytest

from tests.e2e.test_quality import check_page

pytestmark = pytest.mark.browser

PAGES = [(None, None, ["/policy", "/surveys/quality"]), ("worker", None, ["/enquiries", "/surveys/mine"]),
         ("union_staff", "330100", ["/reports/330100", "/qr", "/enquiries/inbox"]),
         ("institution_staff", None, ["/exchange"])]


@pytest.mark.parametrize(("role", "org", "urls"), PAGES, ids=[p[0] or "anonymous" for p in PAGES])
def test_support_pages_fit_a_phone(page, login, role, org, urls):
    if role:
        login(role, org)
    for url in urls:
        check_page(page, url)
