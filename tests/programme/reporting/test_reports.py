"""Reports: numbers per region roll up the union tree, by year and by industry; the dashboard, the XLSX
and the PDF say what the database holds (checked against independent SQL); only unions over the region
may look."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from app.accounts import organisations, profiles, service
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.errors import Forbidden
from app.extensions import db as _db
from app.timefmt import beijing_today
from credits import awards
from learning import enrolment
from programme.reporting import charts, reports
from tests import factories
from tests.catalog.helpers import make
from tests.pdfs import assert_embeds_the_site_font


def _worker(union_code):
    user = factories.user(name="王五")
    if union_code:
        profiles.update_profile(_db.session, user, user, {"union_member": True, "union_code": union_code})
    return user


def seed():
    """Five learners in three counties (one with no union on file), two resources in two industries."""
    build = make(publish=True, title="砌筑工", industries="建筑", credits="2")
    machine = make(publish=True, title="数控车床", industries="制造")
    xihu, shangcheng, ningbo, nowhere = (_worker(c) for c in ("330106", "330102", "330203", None))
    xihu2 = _worker("330106")
    for user, resource in ((xihu, build), (xihu, machine), (shangcheng, build), (ningbo, build),
                           (nowhere, build), (xihu2, machine)):
        enrolment.enrol(_db.session, user, resource.id)
    done = enrolment.enrolment_of(_db.session, xihu.id, build.id)
    done.completed_at = datetime(2026, 3, 1)
    awards.award_completion(_db.session, xihu.id, build.id)
    old = enrolment.enrolment_of(_db.session, xihu2.id, machine.id)
    old.enrolled_at = datetime(2025, 5, 1)
    township = organisations.create_organisation(_db.session, SYSTEM, parent_code="330106", code="330106001",
                                                 name="西溪街道总工会", kind=OrgKind.union)
    service.register(_db.session, phone="13700000001", password="long-enough-9", name="扫码人", referred_by=township)
    _db.session.flush()
    return {"xihu": xihu}


ELIGIBLE = {"real_name": "赵六", "job_level": "front_line", "union_member": True, "union_code": "330106",
            "employer": "测试电器有限公司", "employer_type": "enterprise", "contract_start": "2024-01-01",
            "contract_end": "", "education": "high_school"}


def eligible_worker(id_number, union_code="330106", referred_by=None):
    """A worker who may apply: an empty `id_number` gets a made-up one of their own (applying needs one)."""
    from tests.programme.helpers import fresh_id_number

    user = factories.user(name="赵六")
    user.referred_by = referred_by
    profiles.update_profile(_db.session, user, user, {**ELIGIBLE, "id_number": id_number or fresh_id_number(),
                                                      "union_code": union_code})
    return user


def programme_world(id_number="33010619900101123X"):
    """A 2026 plan with places handed down to 西湖区, a selected 专科 offering of INST-T1, and one worker's
    application verified by the county: what admissions, reports and offering surveys start from."""
    from programme.admissions import applications, declarations, plans, quotas

    plan = plans.open_plan(_db.session, SYSTEM, plans.PlanInput(
        year=2026, notice_date=date(2026, 3, 1), opens_on=date(2026, 3, 1), closes_on=date(2026, 12, 31)))
    quotas.allocate(_db.session, SYSTEM, plan, _org("330100"), 100, 200_000)
    quotas.allocate(_db.session, SYSTEM, plan, _org("330106"), 10, 20_000)
    offering = declarations.declare(_db.session, SYSTEM, plan, _org("INST-T1"), declarations.OfferingInput(
        level="zhuanke", major="机电一体化技术", mode="业余", years=3, tuition_yuan=6000, places=50))
    declarations.review(_db.session, SYSTEM, offering, "select", "")
    worker = eligible_worker(id_number)
    application = applications.apply(_db.session, worker, offering, date(2026, 6, 1))
    applications.verify(_db.session, SYSTEM, application, True)
    return {"plan": plan, "offering": offering, "worker": worker, "application": application}


def _org(code):
    return organisations.get_by_code(_db.session, code)


def _sql_enrolments(prefix, year=None):
    """Independent of reports.py: raw SQL over the same tables."""
    sql = ("SELECT count(*) FROM enrolments e JOIN worker_profiles p ON p.user_id = e.user_id "
           "JOIN organisations o ON o.id = p.union_id WHERE o.path LIKE :p")
    params = {"p": prefix + "%"}
    if year:
        sql += " AND e.enrolled_at >= :a AND e.enrolled_at < :b"
        params.update(a=datetime(year, 1, 1), b=datetime(year + 1, 1, 1))
    return _db.session.execute(text(sql), params).scalar()


def test_regions_roll_up_and_years_and_industries_split(db):
    seed()
    province, hangzhou, xihu = _org("330000"), _org("330100"), _org("330106")
    report = reports.build(db.session, SYSTEM, province)
    assert report.by_region["enrolments"][hangzhou.id] == 4 == _sql_enrolments(hangzhou.path)
    assert report.by_region["enrolments"][_org("330200").id] == 1
    assert report.total("enrolments") == 5 == _sql_enrolments(province.path)  # no union on file: not counted
    assert report.by_region["completions"][hangzhou.id] == 1 and report.total("credits") == 2
    assert report.by_region["referred"][hangzhou.id] == 1
    assert report.by_year["enrolments"] == {2025: 1, 2026: 4}
    assert report.by_industry["enrolments"] == {"construction": 3, "manufacturing": 2}
    city = reports.build(db.session, SYSTEM, hangzhou, year=2026)
    assert city.by_region["enrolments"][xihu.id] == 2 == _sql_enrolments(xihu.path, 2026)
    assert city.by_region["enrolments"][_org("330102").id] == 1
    assert city.by_industry["enrolments"] == {"construction": 2, "manufacturing": 1}
    county = reports.build(db.session, SYSTEM, xihu)
    assert county.by_region["referred"] == {xihu.id: 0, _org("330106001").id: 1}


def test_only_unions_over_the_region_see_its_report(db):
    xihu = _org("330106")
    for allowed in (factories.user("union_staff", "330106"), factories.user("union_staff", "330000"),
                    factories.user("admin")):
        reports.build(db.session, allowed, xihu, metrics=[])
    for refused in (factories.user("union_staff", "330102"), factories.user("institution_staff"),
                    factories.user()):
        with pytest.raises(Forbidden):
            reports.build(db.session, refused, xihu, metrics=[])


def test_xlsx_and_pdf_hold_the_dashboard_numbers(app, client, auth):
    with app.app_context():
        seed()
        programme_world()
        _db.session.commit()
        expected = {name: _sql_enrolments(_org(code).path) for code, name in
                    (("330106", "西湖区总工会"), ("330102", "上城区总工会"))}
        applied = _db.session.execute(text(
            "SELECT count(*) FROM programme_applications a JOIN organisations o ON o.id = a.county_id "
            "WHERE o.code = '330106' AND a.status != 'withdrawn'")).scalar()
    auth.as_role("union_staff", "330100")
    page = client.get("/reports/330100")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    response = client.get("/reports/330100/report.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["按地区"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("课程学习（人次）")
    by_name = {row[0]: row[column] for row in rows[1:]}
    for name, count in expected.items():
        assert any(k.startswith(name[:3]) and v == count for k, v in by_name.items()), (name, by_name)
    assert by_name["合计"] == sum(expected.values())
    applications = {row[0]: row[rows[0].index("报读申请（人）")] for row in rows[1:]}
    assert applications["西湖区总工会"] == applied == 1 and applications["合计"] == 1
    pdf = client.get("/reports/330100/2026.pdf")
    assert pdf.status_code == 200
    assert_embeds_the_site_font(pdf.data, "2026年度 职工学历技能双提升行动统计报告")
    assert client.get("/reports/330000").status_code == 403
    assert client.get("/reports/330100/report.xlsx?year=1999").status_code == 200


def test_charts_escape_labels_and_scale_bars():
    svg = str(charts.bar_chart("t<", [("<b>x</b>", 10), ("y", 5)]))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and 'width="150.0"' in svg and 'width="75.0"' in svg
    assert "—" in str(charts.bar_chart("empty", []))
    columns = str(charts.column_chart("years", {"a": [("2025", 1)], "b": [("2025", 2), ("2026", 4)]}))
    assert columns.count("<rect") == 2 + 4 and "<title>2026 a: 0</title>" in columns


def test_programme_figures_count_in_the_applications_county(db):
    from programme.admissions import applications
    from programme.exchange import imports as exchange
    from programme.money import subsidies
    from tests.programme.helpers import admitted_on

    world = programme_world()
    plan, offering = world["plan"], world["offering"]
    township = organisations.create_organisation(db.session, SYSTEM, parent_code="330106", code="330106001",
                                                 name="西溪街道总工会", kind=OrgKind.union)
    second = eligible_worker("330106198505054562", referred_by=township)
    applications.apply(db.session, second, offering, date(2026, 6, 2))
    applications.admit(db.session, SYSTEM, world["application"], True)
    admitted_on(world["application"], date(2026, 9, 1))
    record = applications.enrol(db.session, SYSTEM, world["application"], "S001", date(2026, 9, 1))
    exchange.import_file(db.session, SYSTEM, _org("INST-T1"), "graduation", (
        "id_number,name,level,major,diploma_no,graduated_on\n"
        f"{world['worker'].profile.id_number},{world['worker'].profile.real_name},专科,机电一体化技术,D-1,"
        f"{beijing_today().isoformat()}\n").encode(), "g.csv")  # the result the claim rests on
    claim = subsidies.claim(db.session, SYSTEM, record, "dazhuan", "D-1", "毕业")
    subsidies.decide(db.session, SYSTEM, claim, True)
    subsidies.pay(db.session, SYSTEM, plan, _org("330106"), [claim.id], beijing_today())
    hangzhou, xihu = _org("330100"), _org("330106")
    province = reports.build(db.session, SYSTEM, _org("330000"), year=2026)
    assert province.by_region["applications"][hangzhou.id] == 2 and province.total("applications") == 2
    assert province.by_region["admitted"][hangzhou.id] == 1 and province.total("enrolled") == 1
    assert province.by_region["subsidies"][hangzhou.id] == 1000 == claim.amount
    assert province.by_region["budget"] == {**dict.fromkeys(province.by_region["budget"], 0),
                                            _org("330000").id: 10_000_000 - 200_000, hangzhou.id: 200_000}
    assert province.total("budget") == 10_000_000
    assert province.by_region["referred_applications"][hangzhou.id] == 1
    city = reports.build(db.session, SYSTEM, hangzhou)
    assert city.by_region["applications"][xihu.id] == 2 and city.by_year["applications"] == {2026: 2}
    assert city.by_region["budget"][hangzhou.id] == 180_000 and city.by_region["budget"][xihu.id] == 20_000
    assert reports.build(db.session, SYSTEM, hangzhou, year=2025).total("applications") == 0
