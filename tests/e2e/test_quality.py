"""Every main page on a 360 px phone: light (≤ 150 KB transferred, video excluded), installable (it links the
web app manifest; its service worker registers without a script error), nothing fetched from another host, no
serious or critical axe-core finding, text ≥ 16 px and touch targets ≥ 44 px.
axe-core is vendored under tests/e2e/vendor/axe-core (MPL-2.0) and injected through the DevTools
protocol, which the site's Content-Security-Policy rightly does not allow pages to do themselves."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.timefmt import beijing_today

pytestmark = [pytest.mark.browser, pytest.mark.render_once]

AXE = (Path(__file__).parent / "vendor/axe-core/axe.min.js").read_text(encoding="utf-8")
MAX_BYTES = 150 * 1024

PUBLIC = ["/", "/auth/login", "/auth/register", "/orgs/330100", "/catalog/", "/catalog/all", "/catalog/menu/skills",
          "/catalog/province", "/search", "/search?q=电工", "/does-not-exist", "/programme/", "/programme/notices",
          "/policy", "/credits/pathways", "/surveys/quality"]
WORKER = ["/me", "/me/profile", "/me/password", "/learning", "/credits/", "/credits/recognition/new", "/programme/mine",
          "/enquiries", "/programme/objections"]
STAFF = [("union_staff", "330106", "/orgs/330106"), ("union_staff", "330100", "/catalog/review"),
         ("institution_staff", None, "/catalog/manage"), ("institution_staff", None, "/catalog/manage/new?org=INST-T1"),
         ("institution_staff", None, "/catalog/manage/import"), ("institution_staff", None, "/media/upload"),
         ("union_staff", "330000", "/programme/quotas/330000"), ("union_staff", "330100", "/reports/330100"),
         ("union_staff", "330106", "/enquiries/inbox"), ("institution_staff", None, "/programme/declare"),
         ("union_staff", "330000", f"/programme/plans/{beijing_today().year}/edit"),
         ("union_staff", "330106", "/programme/objections/review"),
         ("institution_staff", None, "/programme/admissions")]

SMALL_TEXT = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (own && parseFloat(getComputedStyle(el).fontSize) < 16)
      bad.push(el.tagName + ': ' + el.textContent.trim().slice(0, 30));
  }
  return bad;
}"""
SMALL_TARGETS = """() => {
  const bad = [];
  const sel = 'button, select, textarea, input:not([type=hidden]), a.button, nav a, .menu-list a, .tiles a';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const target = el.type === 'checkbox' ? el.closest('label').getBoundingClientRect() : r;
    if (target.height < 44 || target.width < 44)
      bad.push(el.outerHTML.slice(0, 80) + ' ' + Math.round(target.width) + 'x' + Math.round(target.height));
  }
  return bad;
}"""
TRANSFERRED = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .filter(e => !/\\.(m3u8|ts|mp4|m4s|aac)(\\?|$)/.test(e.name))
  .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)"""


def axe_violations(page):
    page.evaluate(AXE + "\n;0")
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                         ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                         ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")


JOURNEY_RULES = ["color-contrast", "button-name", "heading-order", "aria-allowed-attr", "link-name"]


def axe_rule_violations(page, rules: list[str]) -> list[str]:
    """Findings of the named rules whatever their impact (heading-order is only 'moderate' to axe)."""
    page.evaluate(AXE + "\n;0")
    return page.evaluate("async (rules) => (await axe.run(document, {runOnly: {type: 'rule', values: rules}}))"
                         ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))", rules)


def test_the_checks_catch_real_problems(page):
    """The checks themselves can fail: a page with an unlabelled image, tiny text and a tiny button."""
    page.set_content('<html lang="en"><body><img src="data:,"><p style="font-size:12px">tiny</p>'
                     '<button style="height:20px">x</button></body></html>')
    assert any(v.startswith("image-alt") for v in axe_violations(page))
    assert page.evaluate(SMALL_TEXT) and page.evaluate(SMALL_TARGETS)


def check_page(page, url, rules: list[str] | None = None):
    response = page.goto(url)
    assert response.status == (404 if url == "/does-not-exist" else 200), url
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{url} is wider than the phone"
    assert page.evaluate(TRANSFERRED) <= MAX_BYTES, url
    assert page.evaluate(SMALL_TEXT) == [], url
    assert page.evaluate(SMALL_TARGETS) == [], url
    violations = axe_violations(page) + (axe_rule_violations(page, rules) if rules else [])
    assert violations == [], f"{url}: {violations}"
    assert page.locator('link[rel="manifest"]').count() == 1, url  # installable from any page (app/assets.py)
    assert page.outside_requests == [], page.outside_requests
    assert page.js_errors == [], page.js_errors


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages(page, url):
    check_page(page, url)


def test_worker_pages(page, login):
    login("worker")
    for url in WORKER:
        check_page(page, url)


@pytest.mark.parametrize(("role", "org", "url"), STAFF)
def test_staff_pages(app, page, login, role, org, url):
    if url.startswith("/programme/"):  # the programme's staff pages are about the year's plan
        from app.accounts.policy import SYSTEM
        from app.extensions import db
        from programme.admissions import plans

        with app.app_context():
            year = beijing_today().year
            plans.open_plan(db.session, SYSTEM, plans.PlanInput(year, date(year, 1, 1), date(year, 1, 1),
                                                                date(year, 12, 31)))
            db.session.commit()
    login(role, org)
    check_page(page, url)


def test_journey_pages(app, page, login):
    """The pages of issue 18's journeys, in both languages: a resource page with its one big action, the search
    results with the 筛选 panel open, the study page of a lesson, 我的学习 with its 继续学习 card and the
    recruitment QR landing."""
    from app.extensions import db
    from learning import enrolment
    from search.indexer import drain_all
    from tests.learning.conftest import make_course

    with app.app_context():
        course = make_course(title="电工安全操作", videos=("0:30", "0:30"), reading=False, external=False)
        drain_all(db.session, app.extensions["search"])
        db.session.commit()
        resource_id, lesson_id = course.id, course.lessons[0].id
    for url in ("/", "/catalog/", "/catalog/menu/skills", "/catalog/u/330100?via=330100"):
        check_page(page, url, JOURNEY_RULES)
    check_page(page, f"/catalog/r/{resource_id}", JOURNEY_RULES)  # a visitor: 立即学习 leads to sign in
    login("worker")
    for locale in ("zh_CN", "en"):
        page.goto(f"/lang/{locale}?next=/")
        check_page(page, f"/catalog/r/{resource_id}", JOURNEY_RULES)
        check_page(page, "/search?q=电工", JOURNEY_RULES)
        page.get_by_role("button", name="筛选" if locale == "zh_CN" else "Filter").click()
        expect(page.locator("#search-facets")).to_be_visible()
        violations = axe_violations(page) + axe_rule_violations(page, JOURNEY_RULES)
        assert violations == [], violations
        check_page(page, f"/learning/lessons/{lesson_id}", JOURNEY_RULES)  # not enrolled yet: the first play enrols
    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User

        user = db.session.scalars(select(User).order_by(User.id.desc())).first()
        enrolment.enrol(db.session, user, resource_id)
        db.session.commit()
    check_page(page, "/learning", JOURNEY_RULES)
    expect(page.locator(".continue-card")).to_be_visible()
