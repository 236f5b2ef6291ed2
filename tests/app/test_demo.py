"""The demo accounts (issue 18): the home page of a demo database lists every account the demo makes, each with
what it can do; a site without the demo lists none (a real user's phone is never shown with a password)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo
from app.accounts.models import User


def test_a_site_without_the_demo_advertises_no_account(client):
    assert "演示账号" not in client.get("/").get_data(as_text=True)


@pytest.mark.demo
def test_the_home_page_of_a_demo_database_lists_every_demo_account(app, client, db, auth):
    page = client.get("/").get_data(as_text=True)
    assert "演示账号" in page and demo.DEMO_PASSWORD in page
    listed = [phone for phone, _who, _can in demo.DEMO_ACCOUNTS]
    demo_users = db.session.scalars(select(User.phone).where(User.phone.like("139000%"))).all()
    covered = set(listed) | {f"1390000010{n}" for n in range(3)}  # the QR workers share one line
    assert set(demo_users) == covered  # every account the demo made, and no account it did not
    for phone, who, can in demo.DEMO_ACCOUNTS:
        assert phone in page and str(who) in page and str(can) in page
    for phone, _spec in demo.ACCOUNTS:  # and each one signs in with the demo password
        assert auth.login(phone, demo.DEMO_PASSWORD).status_code == 302, phone
        auth.logout()
    # the service network (issue 23): the demo worker of 西湖区 finds their county's point on their applications
    auth.login("13900000007", demo.DEMO_PASSWORD)
    assert "西湖区职工教育服务点" in client.get("/programme/mine").get_data(as_text=True)
    auth.logout()
    # the funds ledger (issue 23, part 5): 杭州市's staff see its allocation, top-up and 西湖区's payment reconciled
    auth.login("13900000003", demo.DEMO_PASSWORD)
    ledger = client.get("/programme/funds/330100").get_data(as_text=True)
    assert "杭州市财政配套资金" in ledger and "300,000.00" in ledger  # the city's own top-up
    assert "2,000,000.00" in ledger  # the province's allocation
    assert "1,300.00" in ledger  # 王建国's subsidy (800 province standard + 300 + 200 top-ups), paid by 西湖区
