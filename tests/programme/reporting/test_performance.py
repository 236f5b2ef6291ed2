"""Performance evaluation: the ranking and traffic lights (pure), targets and 督办 through the services with
their permissions, the answer flow, the export's columns, and the pages a province and a city use."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db as _db
from app.timefmt import beijing_today
from programme.reporting import performance, supervision
from programme.reporting.performance import Row, light, percent, rank, score
from tests.conftest import post_form
from tests.programme.helpers import open_year, org, staff


class _Org:
    def __init__(self, name):
        self.name = name


def _row(name, actual, target):
    return Row(_Org(name), target, actual)


def test_percent_score_and_lights():
    assert percent(45, 50) == 90.0 and percent(3, 0) is None
    assert light(90.0) == "green" and light(89.9) == "amber" and light(60.0) == "amber"
    assert light(59.9) == "red" and light(None) == "none"
    # each measure capped at 100: overshooting admissions does not hide lagging completions
    assert score({"admissions": 300, "completions": 10}, {"admissions": 100, "completions": 100}) == 55.0
    assert score({"admissions": 5}, {}) is None


def test_rank_puts_best_first_and_untargeted_last_unranked():
    rows = rank([_row("乙", {"admissions": 20}, {"admissions": 100}),
                 _row("丙", {}, {}),
                 _row("甲", {"admissions": 95}, {"admissions": 100}),
                 _row("丁", {"admissions": 70}, {"admissions": 100})])
    assert [r.org.name for r in rows] == ["甲", "丁", "乙", "丙"]
    assert [r.rank for r in rows] == [1, 2, 3, None]
    assert [r.light for r in rows] == ["green", "amber", "red", "none"]


TARGETS = {"admissions": 10, "upgrades": 5, "completions": 5, "funds_yuan": 10_000}


def test_province_sets_city_targets_city_cannot_set_its_own(db):
    plan = open_year()
    province, city = staff(code="330000"), staff(code="330100")
    performance.set_target(_db.session, province, plan, org("330100"), TARGETS)
    with pytest.raises(Forbidden):
        performance.set_target(_db.session, city, plan, org("330100"), TARGETS)  # its own: no
    with pytest.raises(Forbidden):
        performance.set_target(_db.session, staff(code="330200"), plan, org("330106"), TARGETS)  # another city's
    with pytest.raises(Forbidden):
        performance.set_target(_db.session, staff("worker"), plan, org("330100"), TARGETS)
    performance.set_target(_db.session, city, plan, org("330106"), TARGETS)  # its own county: yes
    with pytest.raises(Invalid) as err:
        performance.set_target(_db.session, province, plan, org("330200"), {"admissions": "-3", "upgrades": "十"})
    assert set(err.value.fields) == {"admissions", "upgrades"}
    board = performance.dashboard(_db.session, province, org("330000"), plan)
    hangzhou = next(r for r in board.rows if r.org.code == "330100")
    assert hangzhou.target == TARGETS and hangzhou.rank == 1 and hangzhou.light == "red"
    assert hangzhou.allocated == 100_000  # the province money open_year handed Hangzhou
    assert board.can_manage
    assert performance.dashboard(_db.session, city, org("330100"), plan).rows[0].org.code == "330106"
    with pytest.raises(Forbidden):
        performance.dashboard(_db.session, city, org("330000"), plan)


def test_supervision_is_answered_once_by_the_receiving_unit_only(db):
    plan = open_year()
    province, city = staff(code="330000"), staff(code="330100")
    due = beijing_today() + timedelta(days=7)
    with pytest.raises(Forbidden):
        supervision.send(_db.session, city, plan, org("330200"), "快", due)  # a sibling city
    with pytest.raises(Invalid):
        supervision.send(_db.session, province, plan, org("330100"), "  ", due)
    with pytest.raises(Invalid):
        supervision.send(_db.session, province, plan, org("330100"), "请加快", date(2000, 1, 1))
    notice = supervision.send(_db.session, province, plan, org("330100"), "录取进度滞后，请说明原因。", due)
    assert notice.from_org.code == "330000"
    assert [n.id for n in supervision.received(_db.session, city, open_only=True)] == [notice.id]
    for outsider in (province, staff(code="330200"), staff(code="330106"), staff("worker")):
        with pytest.raises(Forbidden):
            supervision.answer(_db.session, outsider, notice, "我来替他们回答")
    with pytest.raises(NotFound):
        supervision.get(_db.session, staff(code="330200"), notice.id)
    supervision.answer(_db.session, city, notice, "已督促各区县加快审核。")
    assert notice.answered_by_id == city.id and notice.answered_at is not None
    with pytest.raises(Conflict):
        supervision.answer(_db.session, city, notice, "再答一次")
    assert supervision.received(_db.session, city, open_only=True) == []
    assert supervision.sent_below(_db.session, province, org("330000"), plan) == [notice]


def test_a_supervision_reaches_the_unit_s_staff_and_its_answer_the_sender(db):
    """督办 through the notifications centre: the lagging unit's staff find it under the bell, and the sender is told
    of the answer; nobody else hears of it."""
    from app.notifications.models import Notification

    def told(user) -> list[str]:
        return [n.url for n in _db.session.query(Notification).filter_by(user_id=user.id)]

    plan = open_year()
    province, city, county = staff(code="330000"), staff(code="330100"), staff(code="330106")
    notice = supervision.send(_db.session, province, plan, org("330100"), "完成率偏低，请说明。",
                              beijing_today() + timedelta(days=7))
    assert told(city) == [f"/supervision/{notice.id}"] and told(county) == [] and told(province) == []
    supervision.answer(_db.session, city, notice, "已部署整改。")
    assert told(province) == [f"/supervision/{notice.id}"]


def test_province_sees_the_city_lagging_sends_and_the_city_answers(app, client, auth):
    with app.app_context():
        plan = open_year()
        performance.set_target(_db.session, staff(code="330000"), plan, org("330100"), TARGETS)
        _db.session.commit()
    auth.as_role("union_staff", "330000")
    page = client.get("/reports/330000/performance?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "红灯" in html and "绿灯：90%及以上" in html and 'data-label="' in html
    response = client.get("/reports/330000/performance.csv?year=2026")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["排名", "单位", "综合完成率（%）", "信号灯"] and "省级资金分配（元）" in rows[0]
    hangzhou = next(r for r in rows if r[1].startswith("杭州"))
    assert hangzhou[0] == "1" and hangzhou[3] == "红灯"
    book = load_workbook(io.BytesIO(client.get("/reports/330000/performance.xlsx?year=2026").data))
    assert [c.value for c in next(book.active.iter_rows(max_row=1))] == rows[0]
    due = (beijing_today() + timedelta(days=5)).isoformat()
    sent = post_form(client, "/reports/330000/performance/330100/supervise?year=2026",
                     {"text": "录取进度滞后，请于期限前说明。", "due_on": due},
                     source="/reports/330000/performance?year=2026")
    assert sent.status_code == 302
    auth.logout()
    auth.as_role("union_staff", "330100")
    desk = client.get("/api/v1/me/desk").get_json()
    queue = [q for r in desk["roles"] for q in r["queues"] if q["key"] == "programme.supervision"]
    assert queue and queue[0]["count"] == 1
    inbox = client.get("/supervision").get_data(as_text=True)
    assert "录取进度滞后" in inbox and "待回复" in inbox
    with app.app_context():
        notice_id = supervision.received(_db.session, staff(code="330100"))[0].id
    answered = post_form(client, f"/supervision/{notice_id}", {"answer": "已督促各区县加快录取。"},
                         follow_redirects=True)
    assert "已督促各区县加快录取。" in answered.get_data(as_text=True)
    assert client.get("/reports/330000/performance").status_code == 403
    assert client.get("/reports/330000/performance.csv?year=2026").status_code == 403
    assert client.get("/reports/330100/performance.txt?year=2026").status_code == 404
    bad = post_form(client, "/reports/330100/performance/330100/target?year=2026", {"admissions": "5"},
                    source="/reports/330100/performance?year=2026", follow_redirects=True)
    assert "您没有权限" in bad.get_data(as_text=True) or bad.status_code == 403
