"""Demo data for last year's public report (/open/report/<last year>): last year's plan, 西湖区 (330106) with
eight workers admitted to a 专科 offering and enrolled, who finished a course and rated the offering, 上城区
(330102) with six, and 萧山区 (330109) with three, fewer than the floor, so the report shows withheld cells.
Every row goes through the services the pages use; only the dates are moved back into last year."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from app.accounts import organisations, profiles, service
from app.accounts.models import Role, User
from app.accounts.policy import SYSTEM
from app.demo import DEMO_PASSWORD
from app.timefmt import beijing_today
from catalog.models import Resource, ResourceStatus
from learning import enrolment
from programme.admissions import applications, declarations, plans, quotas
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import Application
from programme.voice import surveys
from programme.voice.models import SurveyTarget

COUNTIES = [("330106", 8), ("330102", 6), ("330109", 3)]
NAMES = "赵钱孙李周吴郑王冯陈褚"


def _worker(session: Session, n: int, county: str, year: int) -> User:
    user = service.create_user(session, SYSTEM, phone=f"1390100{n:04d}", name=f"{NAMES[n % len(NAMES)]}师傅",
                               role=Role.worker, org=None, password=DEMO_PASSWORD)
    number = f"33010619880101{n:03d}0"  # a made-up number; its check digit in place of the last 0
    profiles.update_profile(session, user, user, {
        "real_name": f"{NAMES[n % len(NAMES)]}师傅", "id_number": number[:-1] + ric.calc_check_digit(number),
        "job_level": "front_line", "union_member": True,
        "union_code": county, "employer_type": "enterprise", "contract_start": f"{year - 2}-03-01",
        "contract_end": "", "education": "high_school"})
    return user


def _back_date(application: Application, year: int) -> None:
    """Last year's steps on last year's days (UTC, early morning in Beijing): enrolling on 1 September needs an
    admission on or before it."""
    application.applied_at, application.verified_at = datetime(year, 4, 1, 1), datetime(year, 5, 1, 1)
    application.admitted_at = datetime(year, 8, 1, 1)


def load(session: Session) -> dict[str, int]:
    """Needs the accounts, the catalog and the demo institutions; runs after this year's programme."""
    year = beijing_today().year - 1
    plan = plans.open_plan(session, SYSTEM, plans.PlanInput(year=year, notice_date=date(year, 1, 1),
                                                            opens_on=date(year, 1, 1), closes_on=date(year, 12, 31)))
    for code, places, budget in [("330100", 500, 500_000), ("330106", 20, 20_000), ("330102", 20, 20_000),
                                 ("330109", 20, 20_000)]:
        quotas.allocate(session, SYSTEM, plan, organisations.get_by_code(session, code), places, budget)
    offering = declarations.declare(session, SYSTEM, plan, organisations.get_by_code(session, "INST-HZVTC"),
                                    OfferingInput(kind="academic", level="zhuanke", major="机电一体化技术", mode="业余",
                                                  years=3, tuition_yuan=6000, discount_yuan=1500, places=100))
    declarations.review(session, SYSTEM, offering, "select", "办学条件良好，同意入选。")
    course = session.scalar(select(Resource).where(Resource.status == ResourceStatus.published).order_by(Resource.id))
    made, n = 0, 0
    for county, count in COUNTIES:
        for _i in range(count):
            n += 1
            user = _worker(session, n, county, year)
            application = applications.apply(session, user, offering, date(year, 4, 1))
            applications.verify(session, SYSTEM, application, True)
            applications.admit(session, SYSTEM, application, True)
            _back_date(application, year)
            applications.enrol(session, SYSTEM, application, f"{year}{n:04d}", date(year, 9, 1))
            if course is not None:
                enrolment.enrol(session, user, course.id)
                taken = enrolment.enrolment_of(session, user.id, course.id)
                if taken is not None:
                    taken.completed_at = datetime(year, 10, 1)
            target = surveys.Target(SurveyTarget.offering, offering.id, offering.major, offering.institution)
            answer = surveys.respond(session, user, target, satisfaction=4 + n % 2)
            answer.created_at = datetime(year, 12, 1)
            made += 1
    session.flush()
    return {"programme_applications": made}
