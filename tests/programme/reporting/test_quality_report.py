"""An institution's public quality report (质量报告): a row per offering of the year from its own figures, with
the same floor and complementing as the yearly report; anyone reads it, and its PDF embeds the site's font."""

from __future__ import annotations

from datetime import date

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from programme.admissions import applications, declarations, plans, quotas
from programme.reporting import quality_report
from tests.pdfs import assert_embeds_the_site_font
from tests.programme.reporting.test_open_report import FLOOR, _rows
from tests.programme.reporting.test_reports import eligible_worker


def _admitted(offering, n: int) -> None:
    for _i in range(n):
        application = applications.apply(_db.session, eligible_worker(""), offering, date(2026, 6, 1))
        applications.verify(_db.session, SYSTEM, application, True)
        applications.admit(_db.session, SYSTEM, application, True)


def world() -> None:
    """INST-T1's two offerings of 2026: one admits FLOOR + 3 workers, the other one short of the floor."""
    org = organisations.get_by_code
    plan = plans.open_plan(_db.session, SYSTEM, plans.PlanInput(
        year=2026, notice_date=date(2026, 3, 1), opens_on=date(2026, 3, 1), closes_on=date(2026, 12, 31)))
    quotas.allocate(_db.session, SYSTEM, plan, org(_db.session, "330100"), 100, 200_000)
    quotas.allocate(_db.session, SYSTEM, plan, org(_db.session, "330106"), 50, 20_000)
    made = []
    for level, major in (("zhuanke", "机电一体化技术"), ("gaoqiben", "工商管理")):
        offering = declarations.declare(_db.session, SYSTEM, plan, org(_db.session, "INST-T1"),
                                        declarations.OfferingInput(level=level, major=major, mode="业余", years=3,
                                                                   tuition_yuan=6000, places=50))
        declarations.review(_db.session, SYSTEM, offering, "select", "")
        made.append(offering)
    _admitted(made[0], FLOOR + 3)
    _admitted(made[1], FLOOR - 1)
    _db.session.commit()


def test_an_offering_one_short_of_the_floor_cannot_be_read_or_worked_out(app, client):
    with app.app_context():
        world()
    page = client.get("/open/quality/2026/INST-T1")
    assert page.status_code == 200 and "public" in page.headers["Cache-Control"]
    rows = _rows(page.get_data(as_text=True))
    admitted = 1  # 报读申请, 录取, ...
    assert rows["工商管理"][admitted] == f"不足{FLOOR}人，不公布"
    assert rows["机电一体化技术"][admitted] == "为防推算，不公布"  # else the total minus it gives the four
    assert rows["合计"][admitted] == str(2 * FLOOR + 2)
    assert client.get("/open/quality/2026/330100").status_code == 404  # a union has no quality report


def test_totals_equal_the_institutions_applications(app, db):
    world()
    report = quality_report.build(db.session, quality_report.institution(db.session, "INST-T1"), 2026, FLOOR)
    assert report.totals["applications"].value == report.totals["admitted"].value == 2 * FLOOR + 2
    other = quality_report.build(db.session, quality_report.institution(db.session, "INST-T2"), 2026, FLOOR)
    assert other.totals["admitted"].value == 0  # another institution's figures are its own


def test_the_quality_pdf_embeds_the_font(app, client):
    with app.app_context():
        world()
    pdf = client.get("/open/quality/2026/INST-T1.pdf")
    assert pdf.status_code == 200
    assert_embeds_the_site_font(pdf.data, "测试职业技术学院 2026年度 双提升行动质量报告")
