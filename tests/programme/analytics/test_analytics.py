"""Course analytics through the real services and pages: an institution reads where learners stop in its video,
figures from fewer learners than the floor are withheld (on the page and in the exports), unions see the roll-up
over their area, and nobody else sees anything (another organisation's staff get "not found")."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from learning.analytics import figures
from learning.models import Enrolment
from tests import factories
from tests.conftest import csrf_token
from tests.programme.analytics.helpers import course_with_learners, get_resource


def test_the_curve_from_heartbeats_shows_where_learners_stop(db):
    resource = get_resource(course_with_learners(idle=1))
    found = figures.for_resource(db.session, resource, floor=5)
    assert found.enrolled == 7
    assert found.funnel is not None and found.funnel.stages()[:2] == [("enrolled", 7), ("started", 6)]
    video = found.lessons[0]
    assert video.curve is not None and video.curve.starters == 6
    # 100 points of 1.2 s: 15 s falls in the middle of point 12 (14.4-15.6 s), 45 s in point 37 (44.4-45.6 s)
    assert video.curve.watched[0] == video.curve.watched[12] == 6 and video.curve.watched[13] == 5
    assert video.curve.watched[37] == 5
    assert video.curve.watched[38] == 2 and video.curve.finished == 2
    assert video.curve.stopped[37] == 3 and video.curve.stopped[12] == 1
    assert video.curve.biggest_drop() == 37  # 44.4-45.6 s
    assert found.lessons[1].funnel is None  # nobody opened the reading: below the floor
    assert found.hours is not None and sum(found.hours) == 6


def test_the_institution_reads_the_drop_off_on_its_page_and_in_both_exports(app, client, auth):
    with app.app_context():
        resource_id = course_with_learners()
    auth.as_role("institution_staff", factories.INSTITUTION)
    edit = client.get(f"/catalog/manage/{resource_id}").get_data(as_text=True)
    assert f"/programme/analytics/resources/{resource_id}" in edit  # linked from the resource's management page
    html = client.get(f"/programme/analytics/resources/{resource_id}").get_data(as_text=True)
    assert "流失曲线" in html and "最多人停在 0:44–0:45 附近（3 人）" in html
    assert "vendor/chart.js/chart.umd.min." in html and 'data-curve="' in html
    csv = client.get(f"/programme/analytics/resources/{resource_id}.csv")
    assert csv.status_code == 200 and "0:44–0:45" in csv.get_data(as_text=True)
    xlsx = client.get(f"/programme/analytics/resources/{resource_id}.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    assert any(name.startswith("流失曲线") for name in book.sheetnames)
    assert client.get(f"/programme/analytics/resources/{resource_id}.pdf").status_code == 404


def test_below_the_floor_nothing_is_shown_nor_exported(app, client, auth):
    app.config["ANALYTICS_MIN_LEARNERS"] = 7  # six learners: one short
    with app.app_context():
        resource_id = course_with_learners()
    auth.as_role("institution_staff", factories.INSTITUTION)
    html = client.get(f"/programme/analytics/resources/{resource_id}").get_data(as_text=True)
    assert "少于 7 名学员，不显示此项统计，以保护个人隐私。" in html
    assert "流失曲线" not in html and "<canvas" not in html and "chart.umd.min." not in html
    assert "报名人数" not in html  # not even how many enrolled
    csv = client.get(f"/programme/analytics/resources/{resource_id}.csv").get_data(as_text=True)
    assert "少于 7 名学员" in csv and "0:45" not in csv and "开始学习" not in csv


def test_a_video_opened_by_fewer_than_the_floor_has_no_curve(app, db):
    resource = get_resource(course_with_learners(stops=(120, 45, 15), idle=3))
    found = figures.for_resource(db.session, resource, floor=5)
    assert found.funnel is not None and found.enrolled == 6  # the course has enough learners
    assert found.lessons[0].curve is None and found.lessons[0].funnel is None  # its video has three
    assert found.hours is None  # studied by three


@pytest.mark.parametrize(("role", "org"), [
    ("institution_staff", factories.OTHER_INSTITUTION), ("enterprise_staff", factories.ENTERPRISE),
    ("union_staff", "330200"), ("worker", None)])
def test_other_organisations_get_not_found(app, client, auth, role, org):
    with app.app_context():
        resource_id = course_with_learners(stops=(30,) * 5)
    auth.as_role(role, org)
    for suffix in ("", ".csv", ".xlsx"):
        assert client.get(f"/programme/analytics/resources/{resource_id}{suffix}").status_code == 404
        assert client.get(f"/programme/analytics/unions/330100{suffix}").status_code == 404
    assert client.get(f"/programme/analytics/resources/{resource_id + 999}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    with app.app_context():
        resource_id = course_with_learners(stops=())
    assert client.get(f"/programme/analytics/resources/{resource_id}").status_code in (302, 401)


def test_a_union_reads_the_roll_up_over_its_area_and_opens_each_resource(app, client, auth):
    with app.app_context():
        resource_id = course_with_learners()
    auth.as_role("union_staff", "330100")
    assert client.get("/programme/analytics").headers["Location"].endswith("/programme/analytics/unions/330100")
    html = client.get("/programme/analytics/unions/330100").get_data(as_text=True)
    assert "安全用电" in html and f"/programme/analytics/resources/{resource_id}" in html
    assert client.get(f"/programme/analytics/resources/{resource_id}").status_code == 200
    csv = client.get("/programme/analytics/unions/330100.csv").get_data(as_text=True)
    assert "安全用电" in csv and "测试职业技术学院" in csv
    assert client.get("/programme/analytics/unions/330000").status_code == 404  # the province above: not theirs
    assert client.get("/programme/analytics/unions/330106").status_code == 200  # a district below: theirs


def test_a_union_roll_up_withholds_small_resources(app, db):
    from programme.analytics import service

    course_with_learners(stops=(30, 30))
    page = service.union_page(db.session, factories.user("union_staff", "330100"), "330100", 5)
    assert [row.funnel for row in page.rows] == [None] and page.summary.funnel is None


def test_the_device_is_kept_once_at_enrolment(app, client, auth):
    with app.app_context():
        resource_id = course_with_learners(stops=())
    phone = auth.as_role("worker")
    iphone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}
    token = csrf_token(client, f"/catalog/r/{resource_id}")
    assert client.post(f"/learning/enrol/{resource_id}", data={"csrf_token": token}, headers=iphone).status_code == 302
    client.post(f"/learning/enrol/{resource_id}", data={"csrf_token": token},
                headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"})
    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User
        from app.extensions import db

        user_id = db.session.scalar(select(User.id).where(User.phone == phone))
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id))
        assert enrolment is not None and enrolment.device == "phone"


@pytest.mark.parametrize(("role", "org", "resource", "union_330100"), [
    (None, None, False, False), ("worker", None, False, False),
    ("institution_staff", factories.INSTITUTION, True, False),
    ("institution_staff", factories.OTHER_INSTITUTION, False, False),
    ("enterprise_staff", factories.ENTERPRISE, False, False),
    ("union_staff", "330000", True, True), ("union_staff", "330100", True, True),
    ("union_staff", "330106", False, False), ("union_staff", "330200", False, False), ("admin", None, True, True)])
def test_who_may_read_analytics(db, role, org, resource, union_330100):
    """analytics.view on a resource of INST-T1 (under 330100): its own staff, the unions over it, admins;
    analytics.union on 330100: its staff and those above."""
    from app.accounts import organisations
    from app.accounts.policy import can
    from tests.catalog.helpers import make

    user = factories.user(role, org) if role else None
    item = make(factories.INSTITUTION)
    assert can(user, "analytics.view", item) is resource
    assert can(user, "analytics.union", organisations.get_by_code(db.session, "330100")) is union_330100


def test_a_withheld_course_cannot_be_worked_out_from_the_union_s_total(app, db):
    """A course of two learners is withheld, but the total funnel was shown beside the other course's: total less
    the shown rows gave the two back, stage by stage, on the page and in its export. Now the smallest other course
    is withheld with it (the withheld then hold at least the floor together), and says why."""
    from programme.analytics import service, tables

    big = course_with_learners((120, 120, 45, 45, 45, 15))
    small = course_with_learners((120, 15), title="叉车操作")
    page = service.union_page(db.session, factories.user("union_staff", "330100"), "330100", 5)
    rows = {row.resource.id: row for row in page.rows}
    assert page.summary.funnel is not None and rows[small].funnel is None
    assert rows[big].funnel is None  # withheld with it: 8 - nothing shown tells nothing of either
    csv = tables.as_csv(tables.union_sheets(page)).decode("utf-8-sig")
    assert "少于 5 名学员" in csv and "为防推算" in csv
