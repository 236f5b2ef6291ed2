"""Issue 22.5: every staff page on a 360 px phone, filled with the demo data `make run` loads (tables with rows,
long reports), for each staff role — the institution, the unions at province, city and county level, the
enterprise and the site admin: nothing wider than the phone (tables become cards, filters fold into a 筛选 sheet),
and the reports page shorter than 2,000 px before its details are opened."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo as app_demo
from app.extensions import db
from app.timefmt import beijing_today

pytestmark = [pytest.mark.browser, pytest.mark.demo]

WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(-3).map(el => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))"""


def _ids(app) -> dict[str, int]:
    """The demo rows whose pages take an id (the app holds the demo: marker demo)."""
    from catalog.models import Resource, ResourceKind
    from catalog.service import EDITABLE
    from media.models import MediaAsset
    from programme.money.models import SubsidyClaim

    with app.app_context():
        resource = db.session.scalars(select(Resource).where(  # one it may still edit, with its lessons
            Resource.provider.has(code="INST-HZVTC"), Resource.status.in_(EDITABLE))
            .order_by(Resource.kind != ResourceKind.course, Resource.id)).first()
        asset = db.session.scalars(select(MediaAsset).where(MediaAsset.org_id == resource.provider_id)).first()
        claim = db.session.scalars(select(SubsidyClaim)).first()
        return {"resource": resource.id, "asset": asset.id, "claim": claim.id}


def _pages(ids: dict[str, int]) -> dict[str, list[str]]:
    """The demo accounts' staff pages, by phone: site admin, province, city and county union, institution,
    enterprise (app/demo.py ACCOUNTS)."""
    year = beijing_today().year
    union = ["/catalog/review", "/reports", "/programme/review", "/programme/verify", "/programme/subsidies",
             "/programme/objections/review", "/programme/notices/new", "/enquiries/inbox",
             "/credits/recognition/review", "/qr", "/surveys/quality", "/search/mine"]

    def levels(code: str) -> list[str]:
        return union + [f"/orgs/{code}", f"/orgs/{code}/audit", f"/catalog/u/{code}/edit", f"/reports/{code}",
                        f"/programme/quotas/{code}"]

    return {
        "13900000001": ["/admin/jobs", "/catalog/admin/categories", "/search/synonyms", "/credits/conversions",
                        "/catalog/province", "/orgs/330000", "/orgs/330000/audit", "/catalog/review", "/reports",
                        "/exchange/tokens"],
        "13900000002": levels("330000") + ["/programme/plans", f"/programme/plans/{year}/edit",
                                           "/policy/edit", "/catalog/province"],
        "13900000003": levels("330100"),
        "13900000004": levels("330106") + [f"/programme/claims/{ids['claim']}/review",
                                           "/programme/service-points/manage"],
        "13900000005": ["/catalog/manage", "/catalog/manage/new?org=INST-HZVTC", "/catalog/manage/import",
                        f"/catalog/manage/{ids['resource']}", f"/catalog/manage/{ids['resource']}/lessons",
                        f"/learning/r/{ids['resource']}/quiz/edit", "/media/upload", f"/media/assets/{ids['asset']}",
                        "/programme/declare", "/programme/admissions", "/credits/pathways/manage",
                        "/credits/recognition/review", "/learning/review/refusals", "/search/mine",
                        "/surveys/provider/INST-HZVTC", "/orgs/INST-HZVTC", "/orgs/INST-HZVTC/audit", "/exchange"],
        "13900000006": ["/catalog/manage", "/catalog/manage/new?org=ENT-XH-ELEC", "/media/upload", "/search/mine",
                        "/orgs/ENT-XH-ELEC", "/programme/enterprise", "/programme/enterprise/enrol",
                        "/programme/enterprise/progress", "/programme/enterprise/subsidy",
                        "/programme/service-points/manage", "/programme/mentors"],
    }


def _sign_in(page, phone: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码", exact=True).fill(app_demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url("/auth/login")


def test_every_staff_page_fits_a_phone_and_the_report_folds(app, page):
    pages = _pages(_ids(app))
    wide = []
    for phone, urls in pages.items():
        _sign_in(page, phone)
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, (phone, url, response.status)
            if page.evaluate("document.documentElement.scrollWidth") > 360:
                wide.append((phone, url, page.evaluate(WIDEST)))
    assert wide == []
    # the reports page: the totals, then each chart folded, the filter in its 筛选 sheet
    _sign_in(page, "13900000003")
    for url in ("/reports/330000", "/reports/330100", "/reports/330106"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollHeight") < 2000, url
    page.goto("/reports/330100")
    expect(page.get_by_label("年度")).to_be_hidden()
    page.locator("summary", has_text="筛选").click()
    expect(page.get_by_label("年度")).to_be_visible()
    chart = page.locator(".charts details").first
    expect(chart.locator("svg").first).to_be_hidden()
    chart.locator("summary").click()
    expect(chart.locator("svg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # a table become cards: each cell says which column it is
    _sign_in(page, "13900000001")
    page.goto("/admin/jobs")
    expect(page.locator("table.table-cards td[data-label]").first).to_be_visible()
    assert page.locator("table.table-cards thead").first.bounding_box()["height"] <= 1


LONG = {"13900000001": ["/catalog/admin/categories", "/qr"],
        "13900000002": ["/qr", "/catalog/u/330000/edit", "/programme/quotas/330000"],
        "13900000003": ["/qr", "/catalog/u/330100/edit", "/programme/quotas/330100"]}


def test_long_staff_pages_are_paged_or_folded_on_a_phone(app, page):
    """The QR codes, a union's catalog editor, the categories admin and the quotas were the long pages: each is
    shorter than 3,000 px at 360 px before its folds are opened (the reports page above has 2,000)."""
    _ids(app)
    tall = []
    for phone, urls in LONG.items():
        _sign_in(page, phone)
        for url in urls:
            page.goto(url)
            height = page.evaluate("document.documentElement.scrollHeight")
            if height >= 3000:
                tall.append((phone, url, height))
    assert tall == []
    # a fold opens where one edits: a section of the city's catalog shows its buttons once its title is tapped
    page.goto("/catalog/u/330100/edit")
    section = page.locator("details[id^=section-]").first
    expect(section.get_by_role("button", name="删除栏目")).to_be_hidden()
    section.locator("summary").first.click()
    expect(section.get_by_role("button", name="删除栏目")).to_be_visible()
    # the quotas' 筛选 sheet finds one union below
    page.goto("/programme/quotas/330100")
    expect(page.get_by_label("下级工会名称或代码")).to_be_hidden()
    page.locator("summary", has_text="筛选").click()
    page.get_by_label("下级工会名称或代码").fill("330106")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("tr[data-org]")).to_have_count(2)
    expect(page.locator('tr[data-org="330106"]')).to_be_visible()
