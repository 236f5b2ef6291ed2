"""An enrolment (学籍) is dated between the admission and today, both Beijing days. A claim counts results
attained on or after the enrolment date, so a back-dated enrolment let an older certificate be subsidised; a
future one could never graduate (graduate wants a day from the enrolment to today). Attacked on the staff form,
in an admission file and in the service."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Offering
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.conftest import csrf_token
from tests.programme.helpers import OPEN_DAY, admitted_on, certificate, offering, open_year, staff, worker
from tests.programme.test_staff_pages import post
from tests.programme.test_views import open_now

ADMITTED = date(2026, 10, 1)  # the notice of that year is 1 March (helpers.NOTICE)
DESK = "/programme/admissions"


def _admitted() -> Application:
    """A 2026 applicant verified and admitted; admitted on ADMITTED (setup data: admit stamps now)."""
    application = applications.apply(db.session, worker(), offering(open_year()), OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    applications.admit(db.session, staff("institution_staff"), application, True)
    return admitted_on(application, ADMITTED)


def _enrolments() -> int:
    return db.session.scalar(select(func.count(EnrolmentRecord.id))) or 0


def test_an_enrolment_back_dated_before_admission_is_refused_so_an_older_certificate_never_counts(app, client,
                                                                                                  auth):
    """The review's attack: admitted on 1 October, enrolled "on 1 May" through the desk; the worker's 高级工
    certificate of 1 June (after the notice, before this programme took them) then passed "attained after
    enrolling" and was subsidised."""
    with app.app_context():
        application = _admitted()
        certificate(application.user, "S-OLD-1", on=date(2026, 6, 1))
        db.session.commit()
        application_id, user_id = application.id, application.user_id
    auth.as_role("institution_staff")
    path = f"/programme/applications/{application_id}/admit"
    post(client, path, {"decision": "enrol", "student_number": "S1", "enrolled_on": "2026-05-01"}, source=DESK)
    page = client.get(DESK).get_data(as_text=True)
    assert "入学日期不能早于录取日期（2026-10-01）" in page and "2026-05-01 注册" not in page
    assert 'min="2026-10-01"' in page  # the date field itself offers no earlier day
    with app.app_context():
        assert db.session.get(Application, application_id).status == AppStatus.admitted and _enrolments() == 0
    post(client, path, {"decision": "enrol", "student_number": "S1", "enrolled_on": "2026-10-01"}, source=DESK)
    assert "2026-10-01 注册" in client.get(DESK).get_data(as_text=True)  # the admission day itself is fine
    with app.app_context():
        record = db.session.get(Application, application_id).enrolment
        claim = subsidies.claim(db.session, db.session.get(User, user_id), record, "senior_worker", "S-OLD-1", "")
        assert [r.label for r in claim_checks.review(db.session, claim).rows if not r.ok] == ["取得日期"]
        with pytest.raises(Invalid):
            subsidies.decide(db.session, staff(code="330106"), claim, True)
        assert claim.status == ClaimStatus.claimed


def test_the_admission_day_is_beijings(db):
    """Admitted at 17:00 UTC on 30 September, 01:00 on 1 October in Beijing: 30 September is before it."""
    application = _admitted()
    application.admitted_at = datetime(2026, 9, 30, 17)
    with pytest.raises(Invalid) as err:
        applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 9, 30))
    assert err.value.code == "enrolled_before_admission" and "2026-10-01" in err.value.fields["enrolled_on"]
    assert application.status == AppStatus.admitted and _enrolments() == 0
    record = applications.enrol(db.session, staff("institution_staff"), application, "S1", date(2026, 10, 1))
    assert record.enrolled_on == date(2026, 10, 1)


def test_an_enrolment_dated_after_today_is_refused_and_a_valid_one_graduates(app, client, auth):
    """Enrolled "tomorrow": graduate wants a day on or after the enrolment and on or before today, so no
    graduation could ever be recorded for that student."""
    offering_id = open_now(app)
    with app.app_context():
        me = worker(contract_start=f"{beijing_today().year - 1}-01-01", contract_end="")
        application = applications.apply(db.session, me, db.session.get(Offering, offering_id), beijing_today())
        applications.verify(db.session, staff(code="330106"), application, True)
        applications.admit(db.session, staff("institution_staff"), application, True)
        db.session.commit()
        application_id = application.id
    today, tomorrow = beijing_today(), beijing_today() + timedelta(days=1)
    auth.as_role("institution_staff")
    path = f"/programme/applications/{application_id}/admit"
    post(client, path, {"decision": "enrol", "student_number": "S1", "enrolled_on": tomorrow.isoformat()},
         source=DESK)
    page = client.get(DESK).get_data(as_text=True)
    assert "入学日期不能晚于今天（北京时间）" in page and f'max="{today.isoformat()}"' in page
    with app.app_context():
        refused = db.session.get(Application, application_id)
        assert refused.status == AppStatus.admitted and _enrolments() == 0
        with pytest.raises(Invalid) as err:
            applications.enrol(db.session, staff("institution_staff"), refused, "S1", tomorrow)
        assert err.value.code == "future_date" and list(err.value.fields) == ["enrolled_on"]
        db.session.rollback()
    post(client, path, {"decision": "enrol", "student_number": "S1", "enrolled_on": today.isoformat()}, source=DESK)
    post(client, path, {"decision": "graduate", "graduated_on": today.isoformat()}, source=DESK)
    page = client.get(DESK).get_data(as_text=True)
    assert f"{today.isoformat()} 注册" in page and f"{today.isoformat()} 毕业" in page


def test_an_admission_file_cannot_back_date_the_enrolment_it_records(app, client, auth):
    """The exchange import admits and enrols through the same service: a file admitting today and enrolling on
    1 September is refused, and neither the admission nor the enrolment is kept."""
    from tests.programme.exchange.test_exchange import ADMIT_HEADER
    from tests.programme.reporting.test_reports import programme_world

    with app.app_context():
        world = programme_world()
        db.session.commit()
        application_id, id_number = world["application"].id, world["worker"].profile.id_number
    auth.as_role("institution_staff")
    data = (ADMIT_HEADER + f"{id_number},赵六,录取,机电一体化技术,S-1,2026-09-01,\n").encode()
    form = {"csrf_token": csrf_token(client, "/exchange"), "org": factories.INSTITUTION, "kind": "admission",
            "file": (io.BytesIO(data), "a.csv")}
    response = client.post("/exchange", data=form)
    assert response.status_code == 400 and "入学日期不能早于录取日期" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status == AppStatus.verified and _enrolments() == 0
