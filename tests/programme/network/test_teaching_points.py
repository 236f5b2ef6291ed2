"""Teaching and exam points (教学点、考试点): an enterprise or institution registers them in the county where they are;
workers find them on the map list by city or county, nearest first when the phone gives its position; nobody else
may register or change them."""

import math

import pytest

from app.errors import Forbidden, Invalid
from programme.network import distance, points
from programme.network.models import PointKind, ServicePoint
from tests import factories
from tests.conftest import post_form
from tests.programme.helpers import org, staff

# 西湖区 (330106): two enterprise points a few km apart; 滨江区 (330108) one more
NEAR = points.PointInput(name="华成电器教学点", address="西湖区文三路200号 三楼培训室", hours="周一至周五 18:30-21:00",
                         phone="0571-86660001", contact="王老师", capacity="40", latitude="30.2800",
                         longitude="120.1300", kind="teaching", area="330106")
FAR = points.PointInput(name="华成电器考试点", address="西湖区转塘街道1号", hours="每月第一个周六 9:00-11:30",
                        phone="0571-86660002", capacity="60", latitude="30.1500", longitude="120.0900",
                        kind="exam", area="330106")


def test_an_enterprise_registers_teaching_and_exam_points_in_its_county(db):
    enterprise = staff("enterprise_staff", "ENT-T1")
    teaching = points.create(db.session, enterprise, org("ENT-T1"), NEAR)
    exam = points.create(db.session, enterprise, org("ENT-T1"), FAR)
    assert (teaching.kind, exam.kind) == (PointKind.teaching, PointKind.exam)
    assert (teaching.area.code, teaching.org.code, teaching.capacity, teaching.contact) == (
        "330106", "ENT-T1", 40, "王老师")
    # by default a point is in the area above its owner (ENT-T1 sits under 西湖区)
    plain = points.create(db.session, enterprise, org("ENT-T1"), points.PointInput(
        name="车间教学点", address="x", hours="x", phone="1", kind="teaching"))
    assert plain.area.code == "330106" and not plain.located
    # an institution too
    college = points.create(db.session, staff("institution_staff", "INST-T1"), org("INST-T1"), FAR)
    assert college.area.code == "330106"
    # the unions' list of stations and points stays theirs; the teaching list has them
    assert points.listing(db.session, org("330106")) == []
    assert points.listing(db.session, org("330106"), (PointKind.teaching,)) == [teaching, plain]
    assert set(points.listing(db.session, org("330100"), (PointKind.exam,))) == {college, exam}


def test_nobody_else_registers_or_changes_an_enterprises_points(db):
    point = points.create(db.session, staff("enterprise_staff", "ENT-T1"), org("ENT-T1"), NEAR)
    for outsider in (staff("institution_staff", "INST-T1"), staff(code="330106"), staff(code="330000"),
                     factories.user()):
        with pytest.raises(Forbidden):
            points.create(db.session, outsider, org("ENT-T1"), NEAR)
        with pytest.raises(Forbidden):
            points.update(db.session, outsider, point, FAR)
        with pytest.raises(Forbidden):
            points.set_active(db.session, outsider, point, False)
    with pytest.raises(Forbidden):  # an enterprise never registers a union's station
        points.create(db.session, staff("enterprise_staff", "ENT-T1"), org("330106"), NEAR)
    assert point.name == NEAR.name and point.active


def test_bad_input_is_refused_field_by_field(db):
    enterprise = staff("enterprise_staff", "ENT-T1")
    with pytest.raises(Invalid) as err:
        points.create(db.session, enterprise, org("ENT-T1"), points.PointInput(
            name="x", address="x", hours="x", phone="1", capacity="-3", latitude="91", longitude="",
            kind="station", area="ENT-T1"))
    assert set(err.value.fields) == {"capacity", "latitude", "kind", "area"}
    with pytest.raises(Invalid) as err:
        points.create(db.session, enterprise, org("ENT-T1"), points.PointInput(
            name="x", address="x", hours="x", phone="1", capacity="十", latitude="30", longitude="abc",
            kind="exam"))
    assert set(err.value.fields) == {"capacity", "latitude"}


def test_distance_orders_nearest_first_and_puts_unmeasured_last():
    assert distance.km_between(30.0, 120.0, 30.0, 120.0) == 0
    # one degree of latitude is about 111 km
    assert math.isclose(distance.km_between(30.0, 120.0, 31.0, 120.0), 111.2, rel_tol=0.01)
    a, b, c = (type("P", (), {"latitude": lat, "longitude": lng})() for lat, lng in (
        (30.15, 120.09), (30.28, 120.13), (None, None)))
    assert [p for p, _km in distance.by_distance([c, a, b], 30.29, 120.14)] == [b, a, c]
    assert not distance.valid_position(float("nan"), 120.0) and not distance.valid_position(30.0, 181.0)


def test_the_map_list_sorts_by_the_phones_position(app, db, client):
    enterprise = staff("enterprise_staff", "ENT-T1")
    points.create(db.session, enterprise, org("ENT-T1"), NEAR)
    points.create(db.session, enterprise, org("ENT-T1"), points.PointInput(
        name="滨江教学点", address="滨江区江南大道1号", hours="周六全天", phone="0571-1", latitude="30.2100",
        longitude="120.2100", kind="teaching", area="330108"))
    db.session.commit()
    page = client.get("/programme/service-points?area=330100&kind=teaching&lat=30.209&lng=120.209").get_data(
        as_text=True)
    assert page.index("滨江教学点") < page.index("华成电器教学点")  # the nearer one first
    assert "约0.1公里" in page and "容纳人数：40" in page and "联系人：王老师" in page
    assert 'href="geo:30.280000,120.130000' in page  # opens the phone's own map app, no map service here
    page = client.get("/programme/service-points?area=330100&kind=teaching&lat=30.28&lng=120.13").get_data(
        as_text=True)
    assert page.index("华成电器教学点") < page.index("滨江教学点")
    assert "华成电器教学点" not in client.get("/programme/service-points?area=330106").get_data(as_text=True)
    for odd in ("lat=abc&lng=1", "lat=1e999&lng=1", "kind=nonsense", "lat=30"):  # ignored, never a 500
        assert client.get(f"/programme/service-points?area=330100&{odd}").status_code == 200


def test_enterprise_staff_register_a_point_on_the_manage_page(app, db, client, auth):
    auth.as_role("enterprise_staff", "ENT-T1")
    assert "华成电器教学点" not in client.get("/programme/service-points/manage").get_data(as_text=True)
    response = post_form(client, "/programme/service-points/manage", {
        "org": "ENT-T1", "name": "华成电器教学点", "address": "文三路200号", "hours": "晚上", "phone": "0571-1",
        "capacity": "40", "kind": "teaching", "area": "330106", "latitude": "30.28", "longitude": "120.13"})
    assert response.status_code == 302
    made = db.session.query(ServicePoint).filter_by(name="华成电器教学点").one()
    assert (made.kind, made.org.code, made.latitude) == (PointKind.teaching, "ENT-T1", 30.28)
    edit = client.get(f"/programme/service-points/{made.id}/edit").get_data(as_text=True)
    assert 'value="30.28"' in edit
    auth.logout()
    auth.as_role("enterprise_staff", "ENT-T1")  # another account of the same enterprise: its points
    assert client.get(f"/programme/service-points/{made.id}/edit").status_code == 200
    auth.logout()
    auth.as_role("institution_staff", "INST-T1")
    assert client.get(f"/programme/service-points/{made.id}/edit").status_code == 403
    assert post_form(client, f"/programme/service-points/{made.id}/active", {"active": "0"},
                     source="/programme/service-points/manage").status_code == 403
