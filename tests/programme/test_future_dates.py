"""Graduation and certificate dates in the future are refused (issue 17, item 9): in exchange rows (each row
with its own message), on the claim form and service, and when an institution records a graduation; "today"
is Beijing's (Asia/Shanghai), whatever the server's clock zone."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.exchange import imports as exchange
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.money import subsidies
from programme.money.models import SubsidyClaim
from tests import factories
from tests.programme.helpers import hr_department, id_number, open_year, org, staff
from tests.programme.money.test_subsidies import enrolled as enrolled_in_2026
from tests.programme.test_staff_pages import enrolled, post

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NUMBERS = itertools.count(1)
FORMATS = [lambda d: d.isoformat(), lambda d: f"{d.year}/{d.month}/{d.day}",
           lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d.isoformat()} 00:00:00"]


# from 1992: China kept summer time (UTC+9) from 1986 to 1991, which zoneinfo rightly applies
@given(st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_today_is_the_date_in_beijing_eight_hours_ahead_of_utc(now):
    assert beijing_today(now) == (now + timedelta(hours=8)).date()
    evening = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # the UTC date is still the 3rd; Beijing's is the 4th
    assert beijing_today(evening) == date(2026, 12, 4)


@SETTINGS
@given(offset=st.integers(min_value=-4000, max_value=4000), form=st.sampled_from(FORMATS),
       kind=st.sampled_from(["graduation", "certificate"]))
def test_exchange_rows_dated_after_today_in_beijing_are_refused_each_with_its_message(db, offset, form, kind):
    day = beijing_today() + timedelta(days=offset)
    number = f"N-{next(NUMBERS)}"
    if kind == "graduation":
        sender, clerk = org(factories.INSTITUTION), staff("institution_staff")
        data = f"身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n{id_number(1)},张三,专科,电工,{number},{form(day)}\n"
        model, column = GraduationRecord, "毕业日期"
    else:
        sender, clerk = hr_department()
        data = f"身份证号,姓名,职业,等级,证书编号,发证日期\n{id_number(1)},张三,电工,高级工,{number},{form(day)}\n"
        model, column = CertificateRecord, "发证日期"
    before = db.session.scalar(select(func.count()).select_from(model))
    report = exchange.import_file(db.session, clerk, sender, kind, data.encode(), "x.csv")
    if offset > 0:
        assert [(e.row, e.column) for e in report.errors] == [(2, column)]
        assert "晚于今天" in report.errors[0].message and day.isoformat() in report.errors[0].message
        assert report.imported == 0 and db.session.scalar(select(func.count()).select_from(model)) == before
    else:
        assert report.errors == [] and report.imported == 1


@SETTINGS
@given(offset=st.integers(min_value=1, max_value=40_000))
def test_a_claim_stating_a_future_date_is_refused_and_nothing_saved(db, offset):
    me, record = _claimant()
    when = beijing_today() + timedelta(days=offset)
    with pytest.raises(Invalid) as err:
        subsidies.claim(db.session, me, record, "dazhuan", "F-1", "", attained_on=when)
    assert "attained_on" in err.value.fields and "不能晚于今天" in err.value.fields["attained_on"]
    assert db.session.scalar(select(func.count(SubsidyClaim.id))) == 0


def _claimant():
    """One enrolled worker per test database (hypothesis runs many examples in one test)."""
    from app.accounts.models import User
    from programme.admissions.models import EnrolmentRecord

    record = db.session.scalar(select(EnrolmentRecord))
    if record is None:
        return enrolled_in_2026(open_year())
    return db.session.get(User, record.user_id), record


def test_a_claim_dated_today_in_beijing_is_accepted(db):
    me, record = enrolled_in_2026(open_year())
    claim = subsidies.claim(db.session, me, record, "dazhuan", "F-2", "", attained_on=beijing_today())
    assert claim.attained_on == beijing_today()


def test_the_claim_form_refuses_a_future_date_beside_the_field(app, client, auth):
    phone, record_id = enrolled(app)
    auth.login(phone)
    tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
    response = post(client, f"/programme/enrolments/{record_id}/claim",
                    {"attainment": "dazhuan", "certificate_number": "F-3", "attained_on": tomorrow})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "取得日期不能晚于今天" in page and f'value="{tomorrow}"' in page
    response = post(client, f"/programme/enrolments/{record_id}/claim",
                    {"attainment": "dazhuan", "certificate_number": "F-3", "attained_on": "2026-02-30"})
    assert response.status_code == 400 and "日期格式应为" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(SubsidyClaim.id))) == 0
