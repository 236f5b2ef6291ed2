"""The funds pages: a city's reconciliation of itself and its counties, the forms to record a top-up and hand
money down, the export, the province's overview and split by rule, and the scope (a county never sees another
county's ledger)."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db as _db
from programme.money import funds
from programme.money.models import EntryKind, FundEntry
from tests.conftest import post_form
from tests.programme.helpers import open_year, org

YEAR = 2026


def _year(app):
    with app.app_context():
        open_year(budget=100_000)  # 杭州市 100,000 yuan, 西湖区 50,000
        _db.session.commit()


def test_a_city_records_a_top_up_hands_it_down_and_exports(app, client, auth):
    _year(app)
    auth.as_role("union_staff", "330100")
    url = f"/programme/funds/330100?year={YEAR}"
    done = post_form(client, f"/programme/funds/330100/top-up?year={YEAR}",
                     {"amount": "20000.50", "note": "市财政配套"}, source=url, follow_redirects=True)
    assert "配套资金已入账" in done.get_data(as_text=True)
    post_form(client, f"/programme/funds/330100/pass-down?year={YEAR}",
              {"child": "330106", "amount": "5000", "note": "配套下拨"}, source=url)
    page = client.get(url).get_data(as_text=True)
    assert "市财政配套" in page and "西湖区总工会" in page
    assert "65,000.50" in page  # 100,000 + 20,000.50 − 55,000 handed to 西湖区
    refused = post_form(client, f"/programme/funds/330100/pass-down?year={YEAR}",
                        {"child": "330106", "amount": "9999999"}, source=url, follow_redirects=True)
    assert "经费余额不足" in refused.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get(f"/programme/funds/330100/reconciliation.csv?year={YEAR}")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["年度", "单位", "上级划拨（元）"]
    city = next(r for r in rows if r[1] == "杭州市总工会")
    assert city[2:7] == ["100000", "20000.5", "0", "55000", "65000.5"]
    county = next(r for r in rows if r[1] == "西湖区总工会")
    assert county[2] == "55000" and county[6] == "55000"
    book = load_workbook(io.BytesIO(client.get(f"/programme/funds/330100/reconciliation.xlsx?year={YEAR}").data))
    sheet = book.active
    assert [c.value for c in sheet[1]][:2] == ["年度", "单位"]
    assert any(row[1] == "杭州市总工会" and float(row[6]) == 65000.5 for row in sheet.iter_rows(values_only=True))
    assert client.get(f"/programme/funds/330100/reconciliation.pdf?year={YEAR}").status_code == 404


def test_a_county_sees_its_own_ledger_only(app, client, auth):
    _year(app)
    auth.as_role("union_staff", "330106")
    assert client.get("/programme/funds").headers["Location"].endswith("/programme/funds/330106")
    own = client.get(f"/programme/funds/330106?year={YEAR}")
    assert own.status_code == 200 and "50,000.00" in own.get_data(as_text=True)
    assert "拱墅区" not in own.get_data(as_text=True)
    for path in ("/programme/funds/330105", "/programme/funds/330100", "/programme/funds/330105/reconciliation.csv",
                 "/programme/funds-overview"):
        assert client.get(f"{path}?year={YEAR}").status_code == 403, path
    refused = post_form(client, f"/programme/funds/330105/top-up?year={YEAR}", {"amount": "100"},
                        source=f"/programme/funds/330106?year={YEAR}")
    assert refused.status_code == 403
    with app.app_context():
        assert funds.balance(_db.session, 1, org("330105").id) == 0


def test_the_province_overview_and_split_by_rule(app, client, auth):
    _year(app)
    auth.as_role("union_staff", "330000")
    page = client.get(f"/programme/funds-overview?year={YEAR}").get_data(as_text=True)
    assert "杭州市总工会" in page and "按规则划拨到各市" in page
    done = post_form(client, f"/programme/funds-overview/allocate?year={YEAR}", {},
                     source=f"/programme/funds-overview?year={YEAR}", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已按名额和实际招生人数划拨到各市" in text
    hangzhou = re.search(r'<tr data-org="330100">.*?</tr>', text, re.S).group(0)
    assert "10,000,000.00" in hangzhou  # all of it went to 杭州市, the only city with places
    with app.app_context():
        assert funds.balance(_db.session, 1, org("330000").id) == 0
    auth.logout()
    auth.as_role("union_staff", "330100")  # the city: its allocation, reconciled, on its own page
    city = client.get(f"/programme/funds/330100?year={YEAR}").get_data(as_text=True)
    assert "10,000,000.00" in city and "9,950,000.00" in city  # 50,000 of it handed to 西湖区


def test_a_county_corrects_its_top_up_by_a_new_entry(app, client, auth):
    _year(app)
    auth.as_role("union_staff", "330106")
    url = f"/programme/funds/330106?year={YEAR}"
    post_form(client, f"/programme/funds/330106/top-up?year={YEAR}", {"amount": "3000", "note": "区财政配套"},
              source=url)
    with app.app_context():
        entry_id = _db.session.scalar(select(FundEntry.id).where(FundEntry.kind == EntryKind.top_up))
    done = post_form(client, f"/programme/funds/entries/{entry_id}/adjust", {"amount": "-500", "note": "多记"},
                     source=url, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已另记一笔调整" in page and f"更正 #{entry_id}" in page
    assert "3,000.00" in page and "-500.00" in page and "52,500.00" in page  # 50,000 + 3,000 − 500
    refused = post_form(client, f"/programme/funds/entries/{entry_id}/adjust", {"amount": "-5000", "note": "再减"},
                        source=url, follow_redirects=True)
    assert "不能为负数" in refused.get_data(as_text=True)
