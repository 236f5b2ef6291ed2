"""Service stations and points: who may register, edit and close them (and who may not), what workers see by
city or county, and the nearest point on a worker's applications page."""

import pytest

from app.accounts import profiles
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from programme.network import points
from programme.network.models import PointKind, ServicePoint
from tests import factories
from tests.conftest import post_form
from tests.programme.helpers import org, staff

XIHU = points.PointInput(name="西湖区职工教育服务点", address="杭州市西湖区文三路100号", hours="周一至周五 9:00-17:00",
                         phone="0571-88880001", services="政策咨询\n报名指导\n\n补贴申请")
HANGZHOU = points.PointInput(name="杭州市农民工教育服务站", address="杭州市上城区解放路1号", hours="每天 9:00-20:00",
                             phone="0571-88880000", services="政策咨询")


def worker_in(code: str):
    user = factories.user(name="李小梅")
    profiles.update_profile(_db.session, user, user, {"union_member": True, "union_code": code})
    return user


def test_city_and_county_unions_register_and_workers_see_their_area(db):
    station = points.create(db.session, staff(code="330100"), org("330100"), HANGZHOU)
    point = points.create(db.session, staff(code="330106"), org("330106"), XIHU)
    other = points.create(db.session, staff(code="330200"), org("330200"), points.PointInput(
        name="宁波市服务站", address="宁波市海曙区1号", hours="9:00-17:00", phone="0574-1"))
    assert (station.kind, point.kind) == (PointKind.station, PointKind.point)
    assert point.service_list == ["政策咨询", "报名指导", "补贴申请"]
    assert points.listing(db.session, org("330106")) == [point, station]  # the county's own first
    assert points.listing(db.session, org("330100")) == [station, point]
    assert other not in points.listing(db.session, org("330100"))
    assert points.nearest(db.session, worker_in("330106")) == point
    assert points.nearest(db.session, worker_in("330108")) == station  # no point in 滨江区: the city's station
    assert points.nearest(db.session, factories.user()) is None  # no union on file


def test_only_that_union_and_those_above_manage_its_points(db):
    point = points.create(db.session, staff(code="330106"), org("330106"), XIHU)
    points.update(db.session, staff(code="330100"), point, HANGZHOU)  # the city above may
    for outsider in (staff(code="330108"), staff(code="330200"), factories.user(),
                     staff("institution_staff")):
        with pytest.raises(Forbidden):
            points.update(db.session, outsider, point, XIHU)
        with pytest.raises(Forbidden):
            points.set_active(db.session, outsider, point, False)
        with pytest.raises(Forbidden):
            points.create(db.session, outsider, org("330106"), XIHU)
    with pytest.raises(Forbidden):  # the province is not a city or county: it registers none of its own
        points.create(db.session, staff(code="330000"), org("330000"), XIHU)
    assert point.name == HANGZHOU.name


def test_closed_points_disappear_for_workers_and_bad_input_is_refused(db):
    county = staff(code="330106")
    point = points.create(db.session, county, org("330106"), XIHU)
    points.set_active(db.session, county, point, False)
    assert points.listing(db.session, org("330106")) == []
    assert point in points.managed(db.session, county)
    with pytest.raises(Invalid) as err:
        points.create(db.session, county, org("330106"), points.PointInput(name="", address="", hours="x" * 101,
                                                                          phone=""))
    assert set(err.value.fields) == {"name", "address", "hours", "phone"}


def test_pages_list_manage_and_refuse_outsiders(app, db, client, auth):
    points.create(db.session, staff(code="330106"), org("330106"), XIHU)
    db.session.commit()
    page = client.get("/programme/service-points?area=330106").get_data(as_text=True)
    assert "西湖区职工教育服务点" in page and "0571-88880001" in page
    assert "西湖区职工教育服务点" not in client.get("/programme/service-points?area=330200").get_data(as_text=True)
    assert client.get("/programme/service-points?area=nonsense").status_code == 200
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/programme/service-points/manage", {
        "org": "330106", "name": "留下街道服务点", "address": "西湖区留下街道1号", "hours": "周六 9:00-12:00",
        "phone": "0571-1", "services": "报名指导"})
    assert response.status_code == 302
    assert db.session.query(ServicePoint).filter_by(name="留下街道服务点").one().org.code == "330106"
    assert post_form(client, "/programme/service-points/manage", {"org": "330106", "name": ""}).status_code == 400
    auth.logout()
    auth.as_role("union_staff", "330200")
    target = db.session.query(ServicePoint).filter_by(name="留下街道服务点").one()
    assert post_form(client, f"/programme/service-points/{target.id}/edit", {
        "name": "被改了", "address": "x", "hours": "x", "phone": "x"},
        source="/programme/service-points/manage").status_code == 403
    assert client.get(f"/programme/service-points/{target.id}/edit").status_code == 403
    assert post_form(client, f"/programme/service-points/{target.id}/active", {"active": "0"},
                     source="/programme/service-points/manage").status_code == 403
    db.session.refresh(target)
    assert (target.name, target.active) == ("留下街道服务点", True)
