"""Deadlines and defaults follow Beijing's calendar: at 23:30 UTC on the last day of a window it is already
07:30 the next morning in Beijing, so applications and objections are closed, and "today" in forms is the
Beijing day. Calendar dates (notice date, contract dates) are never shifted; reports count a timestamp in its
Beijing year. The clock is moved with time-machine; everything else is the real app and database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from app.accounts import profiles
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.extensions import db
from learning import enrolment
from learning.models import Enrolment
from programme.admissions.models import Application
from programme.reporting import reports
from programme.voice import enquiries, notices
from programme.voice.models import Notice, Objection
from tests.conftest import post_form
from tests.programme.helpers import offering, open_year, org, staff, worker

CLOSES = date(2026, 6, 30)  # open_year(): applications 2026-03-15 .. 2026-06-30, notice date 2026-03-01


def _at(*moment: int) -> time_machine.travel:
    """The clock at a UTC moment, ticking on from there (sessions and tokens see a consistent time)."""
    return time_machine.travel(datetime(*moment, tzinfo=UTC))


def _offering_and_worker(app, **profile) -> tuple[int, str]:
    with app.app_context():
        item, me = offering(open_year()), worker("张三明", **profile)
        db.session.commit()
        return item.id, me.phone


@pytest.mark.parametrize(("moment", "shown"), [((2026, 6, 29, 23, 30), "2026-06-30"),
                                              ((2026, 6, 30, 15, 30), "2026-06-30"),
                                              ((2026, 6, 30, 23, 30), None)])
def test_applying_on_the_last_day_follows_the_beijing_clock(app, client, auth, moment, shown):
    """23:30 UTC on the 29th and 15:30 UTC on the 30th are both 30 June in Beijing (open, and the timeline says
    so); 23:30 UTC on the 30th is 07:30 on 1 July there: closed."""
    offering_id, phone = _offering_and_worker(app)
    with _at(*moment):
        auth.login(phone)
        response = post_form(client, f"/programme/offerings/{offering_id}", {})
        mine = client.get("/programme/mine").get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalar(select(func.count(Application.id)))
    if shown:
        assert response.status_code == 302 and saved == 1
        assert f"提交申请 <span class=\"muted\">{shown}</span>" in mine and "2026-06-29" not in mine
    else:
        assert response.status_code == 400 and saved == 0
        assert "报读时间为 2026-03-15 至 2026-06-30" in response.get_data(as_text=True)


def test_an_enquiry_asked_at_23_30_utc_is_shown_at_07_30_beijing(app, client, auth):
    phone = auth.as_role("worker")
    with app.app_context():
        asker = db.session.scalar(select(User).where(User.phone == phone))
        profiles.update_profile(db.session, asker, asker, {"union_member": True, "union_code": "330106"})
        enquiry = enquiries.ask(db.session, asker, subject="学费", question="学费怎么补贴？",
                                now=datetime(2026, 3, 14, 23, 30))
        enquiries.answer(db.session, staff(code="330106"), enquiry, "按标准补贴。", now=datetime(2026, 3, 15, 16, 5))
        enquiry_id = enquiry.id
        db.session.commit()
    page = client.get(f"/enquiries/{enquiry_id}").get_data(as_text=True)
    assert "2026-03-15 07:30" in page and "2026-03-16 00:05" in page and "2026-03-14" not in page


def test_an_objection_at_23_30_utc_on_the_last_day_is_refused(app, client, auth):
    with app.app_context():
        plan = open_year()
        notice = notices.publish(db.session, staff(code="330106"), plan, org("330106"), "institutions",
                                 date(2026, 7, 1), 5, today=date(2026, 7, 1))  # objections 07-01 .. 07-05
        notice_id, phone = notice.id, worker("李异议").phone
        db.session.commit()
    with _at(2026, 7, 5, 23, 30):
        auth.login(phone)
        assert "现在不在异议期内" in client.get(f"/programme/notices/{notice_id}").get_data(as_text=True)
        response = post_form(client, f"/programme/notices/{notice_id}/objections", {"text": "名单有误，请核实。"},
                             source="/me/profile")  # the closed notice shows no form: post as a script would
    assert response.status_code == 409 and "异议期已于 2026-07-05 结束" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Objection.id))) == 0


def test_the_notice_form_defaults_to_beijing_today(app, client, auth):
    with app.app_context():
        open_year()
        db.session.commit()
    with _at(2026, 7, 5, 23, 30):
        auth.as_role("union_staff", "330106")
        form = client.get("/programme/notices/new").get_data(as_text=True)
        assert 'name="published_on" type="date" value="2026-07-06"' in form
        response = post_form(client, "/programme/notices/new", {"org": "330106", "kind": "institutions",
                                                                "objection_days": "5"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Notice.published_on)) == date(2026, 7, 6)


def test_the_notice_date_rule_judges_calendar_dates_whatever_the_clock(app, client, auth):
    """A contract starting on the notice date (2026-03-01) counts, seen at 23:30 UTC on 28 February (already
    1 March in Beijing): the page prints the notice date as it is stored, unshifted."""
    offering_id, phone = _offering_and_worker(app, contract_start="2026-03-01", contract_end="2027-02-28")
    with _at(2026, 2, 28, 23, 30):
        auth.login(phone)
        page = client.get(f"/programme/offerings/{offering_id}").get_data(as_text=True)
    assert 'data-rule="contract" data-passed="yes"' in page
    assert "按 2026-03-01（当年发文之日）判断" in page and "2026-03-02" not in page


def test_reports_count_a_timestamp_in_its_beijing_year(db):
    """Completed at 23:30 UTC on 31 December 2025 = 07:30 on 1 January 2026 in Beijing: a 2026 completion."""
    from tests.catalog.helpers import make

    course = make(publish=True, title="砌筑工", industries="建筑")
    for name, finished in (("甲", datetime(2025, 12, 31, 23, 30)), ("乙", datetime(2025, 12, 31, 15, 59))):
        learner = worker(name)
        enrolment.enrol(db.session, learner, course.id)
        enrolment.enrolment_of(db.session, learner.id, course.id).completed_at = finished
    db.session.flush()
    [metric] = [m for m in reports.learning_metrics() if m.key == "completions"]
    report = reports.build(db.session, SYSTEM, org("330100"), 2026, [metric])
    assert report.by_year["completions"] == {2025: 1, 2026: 1}
    assert report.total("completions") == 1 and report.by_industry["completions"] == {"construction": 1}
    assert db.session.scalar(select(func.count(Enrolment.id))) == 2


def test_an_exchange_file_may_carry_beijing_today_but_not_tomorrow(db):
    """At 23:30 UTC on 14 March a graduation dated 15 March (today in Beijing) is fine; 16 March is not yet."""
    from app.accounts import organisations
    from programme.exchange import imports as exchange
    from programme.exchange.models import GraduationRecord

    inst, sender = organisations.get_by_code(db.session, "INST-T1"), staff("institution_staff")
    data = ("身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n33010619900101123X,张三,专科,机电一体化,D-1,2026-03-15\n"
            "330106198505054562,李四,专科,会计,D-2,2026-03-16\n").encode()
    with _at(2026, 3, 14, 23, 30):
        report = exchange.import_file(db.session, sender, inst, "graduation", data, "g.csv", valid_only=True)
    assert report.imported == 1 and [(e.row, e.column) for e in report.errors] == [(3, "毕业日期")]
    assert db.session.scalar(select(GraduationRecord.graduated_on)) == date(2026, 3, 15)
