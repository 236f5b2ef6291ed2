"""The public quality report's privacy floor counts graduates without an account (records kept unmatched, user_id
NULL): they were in the figure but not in its people, so one such graduate alone was printed as a group of none."""
from __future__ import annotations

from app.extensions import db as _db
from programme.exchange import imports as exchange
from tests.programme.helpers import fresh_id_number, org, staff, worker
from tests.programme.reporting.test_open_report import FLOOR, _rows

GRADUATIONS = 3  # 报读申请, 录取, 注册学籍, 学历毕业, ...


def _graduates(id_numbers: list[str]) -> None:
    rows = "".join(f"{number},钱七,专科,机电一体化,ZJ-2026-{n:04d},2026-07-01\n" for n, number in enumerate(id_numbers))
    report = exchange.import_file(_db.session, staff("institution_staff", "INST-T1"), org("INST-T1"), "graduation",
                                  ("id_number,name,level,major,diploma_no,graduated_on\n" + rows).encode(), "g.csv")
    assert report.imported == len(id_numbers), report.errors


def test_one_graduate_without_an_account_is_withheld(app, client):
    with app.app_context():
        _graduates([fresh_id_number()])  # nobody has this ID number: kept unmatched
        _db.session.commit()
    rows = _rows(client.get("/open/quality/2026/INST-T1").get_data(as_text=True))
    assert rows["合计"][GRADUATIONS] == f"不足{FLOOR}人，不公布", rows["合计"]


def test_graduates_with_and_without_accounts_are_all_counted_as_people(app, client):
    """Four matched and ten unmatched graduates are fourteen people: shown, not withheld as a group of four."""
    with app.app_context():
        matched = [worker(f"毕业{n}").profile.id_number for n in range(FLOOR - 1)]
        _graduates(matched + [fresh_id_number() for _n in range(10)])
        _db.session.commit()
    rows = _rows(client.get("/open/quality/2026/INST-T1").get_data(as_text=True))
    assert rows["合计"][GRADUATIONS] == str(FLOOR - 1 + 10), rows["合计"]
