"""The public yearly report: anyone reads it, its totals are the data's, and no group below the floor can be
read off it or worked out from its total (an attacker's subtraction is tried on the page itself)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.accounts import profiles
from app.accounts.models import User
from app.extensions import db as _db
from learning import enrolment
from learning.models import Enrolment
from programme.reporting import disclosure, open_report
from tests import factories
from tests.catalog.helpers import make
from tests.pdfs import assert_embeds_the_site_font

FLOOR = 5  # ANALYTICS_MIN_LEARNERS by default


def learners(union_code: str, n: int, resource, when=datetime(2025, 6, 1)) -> None:
    """`n` workers of this union's area, each finishing `resource` at `when`."""
    for _i in range(n):
        user = factories.user(name="学员")
        profiles.update_profile(_db.session, user, user, {"union_member": True, "union_code": union_code})
        enrolment.enrol(_db.session, user, resource.id)
        enrolment.enrolment_of(_db.session, user.id, resource.id).completed_at = when
    _db.session.flush()


def _rows(html: str) -> dict[str, list[str]]:
    """The report table as the page shows it: region -> its cells, in column order."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        name = re.search(r"<th[^>]*>(.*?)</th>", tr, re.S).group(1).strip()
        rows[name] = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
    return rows


def test_a_city_one_short_of_the_floor_cannot_be_read_or_worked_out(app, client):
    with app.app_context():
        course = make(publish=True, title="安全生产")
        learners("330106", FLOOR + 1, course)      # 杭州市: six
        learners("330203", FLOOR - 1, course)      # 宁波市: four, one short
        _db.session.commit()
    response = client.get("/open/report/2025")
    assert response.status_code == 200
    rows = _rows(response.get_data(as_text=True))
    column = 2  # 录取, 学历毕业, 课程结业 ...
    hangzhou = next(v for k, v in rows.items() if k.startswith("杭州"))
    ningbo = next(v for k, v in rows.items() if k.startswith("宁波"))
    assert ningbo[column] == f"不足{FLOOR}人，不公布"
    assert hangzhou[column] == "为防推算，不公布"  # else 10 - 6 would give 宁波's 4 back
    assert rows["合计"][column] == str(2 * FLOOR)
    shown = [int(v[column].replace(",", "")) for v in rows.values() if v[column].replace(",", "").isdigit()]
    assert str(FLOOR - 1) not in [v[column] for v in rows.values()]
    assert sum(shown[:-1]) == 0  # what is shown besides the total gives nothing to subtract


def test_totals_equal_the_underlying_data(app, db, client):
    course = make(publish=True, title="电工基础")
    learners("330106", 7, course)
    learners("330102", 6, course)
    learners("330106", 3, course, when=datetime(2024, 6, 1))  # another year: not in 2025's figures
    db.session.commit()
    in_2025 = db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.completed_at >= datetime(2025, 1, 1), Enrolment.completed_at < datetime(2026, 1, 1)))
    report = open_report.build(db.session, open_report.area(db.session, "330100"), 2025, FLOOR)
    assert report.totals["completions"].value == in_2025 == 13
    by_code = {r.code: report.by_region["completions"][n] for n, r in enumerate(report.regions)}
    assert by_code["330106"].value == 7 and by_code["330102"].value == 6
    assert report.by_year["completions"][2024].shown is False  # three people: withheld in the trend too
    rows = _rows(client.get("/open/report/2025/330100").get_data(as_text=True))
    assert rows["合计"][2] == "13"


def test_anyone_reads_it_and_caches_may_keep_it(app, client):
    page = client.get("/open/report/2025")
    assert page.status_code == 200 and "public" in page.headers["Cache-Control"]
    assert "年度暂无可公布的数据" in page.get_data(as_text=True)
    assert client.get("/open/report").status_code == 200
    assert client.get("/open/report/2018").status_code == 404     # before the programme
    assert client.get("/open/report/2999.pdf").status_code == 404
    assert client.get("/open/report/2025/330106").status_code == 404  # a county is not a city
    assert client.get("/open/report/2025/nowhere.pdf").status_code == 404


def test_the_pdfs_embed_the_font_and_carry_the_title(app, client):
    with app.app_context():
        learners("330106", FLOOR, make(publish=True, title="叉车"))
        _db.session.commit()
    pdf = client.get("/open/report/2025.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert_embeds_the_site_font(pdf.data, "2025年度 职工学历技能双提升行动工作通报")
    city = client.get("/open/report/2025/330100.pdf")
    assert_embeds_the_site_font(city.data, "杭州市总工会 2025年度")
    assert client.get("/open/report/2025.pdf").data == pdf.data  # kept, not made again


def test_withholding_rules():
    cells = disclosure.breakdown({"a": (4, 4.0), "b": (6, 6.0), "c": (0, 0.0), "d": (30, 30.0)}, 5, 40)
    assert cells["a"].withheld == disclosure.SMALL and cells["b"].withheld == disclosure.COMPLEMENT
    assert cells["c"].value == 0 and cells["d"].value == 30
    two_small = disclosure.breakdown({"a": (2, 2.0), "b": (3, 3.0), "d": (30, 30.0)}, 5, 35)
    assert two_small["d"].shown  # the two withheld hold five people together: nothing smaller can be worked out
    alone = disclosure.breakdown({"a": (3, 3.0)}, 5, 3)
    assert alone["a"].withheld == disclosure.SMALL and not disclosure.cell(3, 3.0, 5).shown


@pytest.mark.demo
def test_anyone_can_open_last_years_report_in_the_demo(app, db, client):
    from app.timefmt import beijing_today

    last = beijing_today().year - 1
    province = _rows(client.get(f"/open/report/{last}").get_data(as_text=True))
    hangzhou = next(v for k, v in province.items() if k.startswith("杭州"))
    assert hangzhou[0] == "17" and province["合计"][0] == "17"  # admitted: 8 + 6 + 3
    city = _rows(client.get(f"/open/report/{last}/330100").get_data(as_text=True))
    assert city["萧山区总工会"][0] == f"不足{FLOOR}人，不公布" and city["西湖区总工会"][0] == "8"
    assert_embeds_the_site_font(client.get(f"/open/report/{last}/330100.pdf").data, f"{last}年度")


def test_satisfaction_is_the_mean_of_the_workers_answers_once_enough_answered(app, db):
    from programme.voice import surveys
    from programme.voice.models import SurveyResponse

    course = make(publish=True, title="电工安全")
    learners("330106", FLOOR, course)
    scores = [5, 4, 4, 3, 5][:FLOOR]
    takers = db.session.scalars(select(Enrolment.user_id).where(Enrolment.resource_id == course.id)).all()
    target = surveys.target(db.session, "resource", course.id)
    for user_id, score in zip(takers, scores, strict=True):
        answer = surveys.respond(db.session, _db.session.get(User, user_id), target, satisfaction=score)
        answer.created_at = datetime(2025, 7, 1)
    db.session.flush()
    report = open_report.build(db.session, open_report.area(db.session, None), 2025, FLOOR)
    assert report.totals["satisfaction"].value == round(sum(scores) / len(scores), 2)
    db.session.delete(db.session.scalars(select(SurveyResponse)).first())
    db.session.flush()
    fewer = open_report.build(db.session, open_report.area(db.session, None), 2025, FLOOR)
    assert fewer.totals["satisfaction"].withheld == disclosure.SMALL  # four answers: withheld


def test_a_city_s_page_withholds_what_the_province_s_page_withheld_for_it(app, client):
    """杭州市 6 learners, 宁波市 4: the province's page withholds 宁波 (small) and 杭州 (complement) but prints 10;
    杭州's own page printed its 6, and 10 - 6 gave 宁波's 4 back to anyone. Now 杭州's page withholds that figure
    for that year too, in its total, its rows and its year column."""
    with app.app_context():
        course = make(publish=True, title="安全生产")
        learners("330106", FLOOR + 1, course)
        learners("330203", FLOOR - 1, course)
        _db.session.commit()
    column = 2
    province = _rows(client.get("/open/report/2025").get_data(as_text=True))
    assert next(v for k, v in province.items() if k.startswith("杭州"))[column] == "为防推算，不公布"
    assert province["合计"][column] == str(2 * FLOOR)
    city_page = client.get("/open/report/2025/330100").get_data(as_text=True)
    city = _rows(city_page)
    assert city["合计"][column] == "为防推算，不公布"
    assert all(cells[column] in ("为防推算，不公布", "0") for cells in city.values())
    assert str(FLOOR + 1) not in "".join(cells[column] for cells in city.values())
    with app.app_context():
        from app.accounts import organisations

        report = open_report.build(_db.session, organisations.get_by_code(_db.session, "330100"), 2025, FLOOR)
        withheld = [key for key, cell in report.totals.items() if not cell.shown]
        assert withheld and all(report.by_year[key][2025].withheld == disclosure.COMPLEMENT for key in withheld)
