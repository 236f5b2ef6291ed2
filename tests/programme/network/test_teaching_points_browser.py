"""A worker on a 360 px phone finds the teaching point nearest to them: the map list by county, then 按离我的距离排序
asks the phone where it is (granted here, as a worker would) and lists the nearest first with its distance; the
phone number can be tapped and the point opens in the phone's own map app. No map service is called."""

import pytest
from playwright.sync_api import expect

from app.accounts import organisations, profiles
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.extensions import db
from programme.network import points

pytestmark = pytest.mark.browser


def _teaching(name: str, lat: str, lng: str, area: str) -> points.PointInput:
    return points.PointInput(name=name, address="开发区建设二路88号", hours="周一至周五 18:30-21:00",
                             phone="0571-82880001", capacity="60", latitude=lat, longitude=lng, kind="teaching",
                             area=area)


def test_worker_finds_the_nearest_teaching_point_by_the_phones_position(app, page, login):
    phone = login("worker")
    with app.app_context():
        worker = db.session.query(User).filter_by(phone=phone).one()
        profiles.update_profile(db.session, worker, worker, {"union_member": True, "union_code": "330106"})
        enterprise = organisations.get_by_code(db.session, "ENT-T1")
        points.create(db.session, SYSTEM, enterprise, _teaching("北山教学点", "30.1500", "120.0900", "330106"))
        points.create(db.session, SYSTEM, enterprise, _teaching("文三路教学点", "30.2800", "120.1300", "330106"))
        db.session.commit()
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.2790, "longitude": 120.1310})
    page.goto("/programme/service-points")
    page.get_by_role("link", name="教学点", exact=True).click()
    items = page.locator("li.service-point")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("北山教学点")  # by name before the phone says where it is
    page.get_by_role("button", name="按离我的距离排序").click()
    expect(page.get_by_text("按距离由近到远")).to_be_visible()
    expect(items.first).to_contain_text("文三路教学点")
    expect(items.first).to_contain_text("约0.1公里")
    expect(items.nth(1)).to_contain_text("北山教学点")
    expect(items.first.get_by_role("link", name="0571-82880001")).to_be_visible()
    expect(items.first.get_by_role("link", name="用手机地图打开")).to_have_attribute(
        "href", "geo:30.280000,120.130000?q=30.280000,120.130000")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
