"""A worker on a 360 px phone finds the service point nearest to them: the list opens at their own county, the
point's phone can be tapped, and their applications page shows it too."""

import pytest
from playwright.sync_api import expect

from app.accounts import organisations, profiles
from app.accounts.models import User
from app.extensions import db
from programme.network import points
from tests import factories

pytestmark = pytest.mark.browser


def test_worker_finds_the_nearest_service_point(app, page, login):
    phone = login("worker")
    with app.app_context():
        worker = db.session.query(User).filter_by(phone=phone).one()
        profiles.update_profile(db.session, worker, worker, {"union_member": True, "union_code": "330106"})
        for code, name in (("330100", "杭州市农民工教育服务站"), ("330106", "西湖区职工教育服务点"),
                           ("330108", "滨江区职工教育服务点")):
            points.create(db.session, factories.user("union_staff", code), organisations.get_by_code(db.session, code),
                          points.PointInput(name=name, address="文三路100号", hours="周一至周五 9:00-17:00",
                                            phone="0571-88880001", services="政策咨询\n报名指导"))
        db.session.commit()
    page.goto("/programme")
    page.get_by_role("link", name="服务站（点）").click()
    items = page.locator("li.service-point")
    expect(items.first).to_contain_text("西湖区职工教育服务点")  # their own county first
    expect(items.first.get_by_role("link", name="0571-88880001")).to_be_visible()
    expect(page.get_by_text("滨江区职工教育服务点")).to_have_count(0)
    page.get_by_role("link", name="杭州市总工会", exact=True).click()  # the whole city
    expect(page.get_by_text("滨江区职工教育服务点")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.goto("/programme/mine")
    nearest = page.get_by_role("region", name="离您最近的服务站（点）")
    expect(nearest).to_contain_text("西湖区职工教育服务点")
    expect(nearest).to_contain_text("周一至周五 9:00-17:00")
