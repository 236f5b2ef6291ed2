"""Public pages of the voice package, attacked as an outsider would: survey figures below the privacy floor, a
notice scheduled ahead, and an enterprise probing a non-consenting worker's learning through its own forms."""
from __future__ import annotations

from datetime import date, timedelta

from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db as _db
from app.timefmt import beijing_today
from catalog.models import Resource
from learning.enrolment import enrol
from programme.admissions import applications
from programme.partnership import mentors
from programme.partnership.mentors import MentorInput
from programme.voice import notices, surveys
from tests import factories
from tests.catalog.helpers import make
from tests.programme.enterprises.helpers import boss, linked
from tests.programme.helpers import offering, open_year, org, staff, worker
from tests.programme.voice.helpers import studied

FLOOR = 5  # ANALYTICS_MIN_LEARNERS by default
WITHHELD = f"不足{FLOOR}人评价，暂不公布"


def _rated(course: Resource, scores: list[int]) -> None:
    found = surveys.target(_db.session, "resource", course.id)
    for score in scores:
        surveys.respond(_db.session, studied(factories.user(), course), found, satisfaction=score, teaching=score)


def test_one_learners_scores_are_not_printed_on_the_public_survey_pages(app, client):
    """Course analytics withhold a course's ratings below the floor even from its provider's staff; the public
    survey page and the teaching-quality ranking printed the single learner's 1 and 2 to anyone."""
    with app.app_context():
        lone = make(publish=True, title="劳动维权与仲裁")
        _rated(lone, [1])
        _db.session.commit()
        lone_id = lone.id
    page = client.get(f"/surveys/resource/{lone_id}").get_data(as_text=True)
    assert "1人评价" not in page and WITHHELD in page
    quality = client.get("/surveys/quality").get_data(as_text=True)
    assert WITHHELD in quality and "1.0" not in quality and "2.0" not in quality


def test_an_offerings_single_answer_is_withheld_and_a_full_group_is_shown(app, client):
    """The quality report withholds an offering's satisfaction from one respondent; its survey page did not."""
    with app.app_context():
        plan = open_year()
        small = offering(plan)
        application = applications.apply(_db.session, worker(), small, date(2026, 6, 1))
        applications.verify(_db.session, SYSTEM, application, True)
        applications.admit(_db.session, SYSTEM, application, True, "")
        surveys.respond(_db.session, application.user, surveys.target(_db.session, "offering", small.id),
                        satisfaction=1)
        big = make("INST-T2", publish=True, title="叉车操作")
        _rated(big, [4] * FLOOR)  # at the floor: published as before
        _db.session.commit()
        small_id, big_id = small.id, big.id
    page = client.get(f"/surveys/offering/{small_id}").get_data(as_text=True)
    assert "1人评价" not in page and WITHHELD in page
    page = client.get(f"/surveys/resource/{big_id}").get_data(as_text=True)
    assert f"{FLOOR}人评价，平均 4.0 分" in page and "教学质量 4.0 分" in page
    quality = client.get("/surveys/quality").get_data(as_text=True)
    ranked, rest = quality.split("<td>测试职业技术学院</td>")  # INST-T2 ranked; INST-T1 after it, no figure
    assert "4.0" in ranked and WITHHELD in rest and "1.0" not in rest


def test_a_notice_scheduled_ahead_is_not_public_before_its_date(app, client, auth):
    with app.app_context():
        plan = open_year()
        offering(plan)
        today = beijing_today()
        notice = notices.publish(_db.session, staff(code="330100"), plan, org("330100"), "institutions",
                                 today + timedelta(days=20), 5, today=today)
        _db.session.commit()
        url = f"/programme/notices/{notice.id}"
    assert client.get(url).status_code == 404
    assert "测试职业技术学院" not in client.get(url).get_data(as_text=True)
    assert url not in client.get("/programme/notices").get_data(as_text=True)
    auth.as_role("union_staff", "330100")  # the publishing union's staff still check it before its day
    assert "测试职业技术学院" in client.get(url).get_data(as_text=True)
    assert url in client.get("/programme/notices").get_data(as_text=True)
    with app.app_context():
        assert notices.get(_db.session, notice.id, today=today + timedelta(days=20)).id == notice.id  # on its day


def _mentor(db, course) -> str:
    staff_member = boss()
    try:
        with db.session.begin_nested() as nested:
            mentors.name_mentor(db.session, staff_member, org(factories.ENTERPRISE),
                                MentorInput(staff_member.id, resource_id=course.id))
            nested.rollback()
        return "named"
    except Invalid as err:
        return err.code or "invalid"


def _vote(db, course) -> str:
    try:
        with db.session.begin_nested() as nested:
            surveys.respond(db.session, boss(), surveys.target(db.session, "resource", course.id), satisfaction=3,
                            as_employer=True)
            nested.rollback()
        return "voted"
    except Invalid as err:
        return err.code or "invalid"


def test_the_enterprise_cannot_probe_a_non_consenting_workers_learning(db):
    """Naming a mentor, or casting the employer vote, answered by whether a confirmed worker who never consented
    to share his learning was enrolled in (or studied) the course: a yes/no look-up of what he studies."""
    course = make(title="劳动维权与仲裁", publish=True)
    private = linked(factories.user(name="王五"))  # confirmed by ENT-T1, never consented
    before = (_mentor(db, course), _vote(db, course))
    studied(private, course)  # he studies labour arbitration, privately
    assert (_mentor(db, course), _vote(db, course)) == before == ("no_worker_studies", "no_worker_attended")
    enrol(db.session, linked(factories.user(), consent=True), course.id)  # one who shares his progress: counts
    assert _mentor(db, course) == "named"
    studied(linked(factories.user(), consent=True), course)
    assert _vote(db, course) == "voted"
