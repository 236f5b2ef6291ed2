"""Programme test data made through the services: a year, quotas down to 西湖区, a selected offering of
INST-T1, eligible workers under 西湖区 (330106), each with an ID number of their own, and the graduation or
certificate records data exchange brings in (what a subsidy claim rests on)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date, datetime

from stdnum.cn import ric

from app.accounts import organisations, profiles, service
from app.errors import Conflict
from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions import declarations, plans, quotas
from programme.admissions.declarations import OfferingInput
from programme.exchange import imports as exchange
from tests import factories

YEAR = 2026
NOTICE = date(2026, 3, 1)
OPEN_DAY = date(2026, 4, 1)
ELIGIBLE = {"real_name": "张三明", "job_level": "front_line", "union_member": True, "union_code": "330106",
            "employer_type": "enterprise", "contract_start": "2025-09-01", "contract_end": "2026-08-31",
            "education": "high_school"}


def org(code: str):
    return organisations.get_by_code(db.session, code)


def staff(role: str = "union_staff", code: str | None = None):
    return factories.user(role=role, org_code=code)


def open_year(places: int = 100, budget: int = 100_000) -> plans.Plan:
    """Province opens the year; Hangzhou gets `places`, 西湖区 half of them."""
    province = staff(code="330000")
    plan = plans.open_plan(db.session, province, plans.PlanInput(
        year=YEAR, notice_date=NOTICE, opens_on=date(2026, 3, 15), closes_on=date(2026, 6, 30)))
    quotas.allocate(db.session, province, plan, org("330100"), places, budget)
    quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), places // 2, budget // 2)
    return plan


def offering(plan, level: str = "zhuanke", places: int = 30, institution: str = factories.INSTITUTION):
    item = declarations.declare(db.session, staff("institution_staff", institution), plan, org(institution),
                                OfferingInput(kind="academic", level=level, major="机电一体化", mode="业余", years=3,
                                              tuition_yuan=6000, discount_yuan=1000, places=places))
    declarations.review(db.session, staff(code="330000"), item, "select", "")
    return item


def admitted_on(application, day: date):
    """Setup data: the institution admitted `application` on `day` (Beijing; 09:00 there, stored in UTC), so a
    test may enrol it on a past date: enrol refuses a date before the admission, and admit stamps now."""
    application.admitted_at = datetime(day.year, day.month, day.day, 1)
    db.session.flush()
    return application


_IDS = itertools.count(1)


def id_number(n: int) -> str:
    """A made-up 18-digit ID number with a valid check digit (330106, born 1990-01-01, sequence n)."""
    body = f"33010619900101{n % 1000:03d}0"
    return body[:-1] + ric.calc_check_digit(body)


def fresh_id_number() -> str:
    """A made-up ID number no other test worker of this run has."""
    return id_number(next(_IDS))


def worker(name: str = "张三明", **changes):
    user = factories.user(name=name)
    data = {**ELIGIBLE, "real_name": name, "id_number": id_number(next(_IDS)), **changes}
    profiles.update_profile(db.session, user, user, data)
    db.session.flush()
    return user


def _csv(header: str, row: list[str]) -> bytes:
    return (header + "\n" + ",".join(row) + "\n").encode()


def graduation(person, number: str, *, institution: str = factories.INSTITUTION, level: str = "专科",
               major: str = "机电一体化", on: date | None = None, **changes: str):
    """The institution sends `person`'s graduation by data exchange (as its own staff); `changes` override the
    record's name or id_number, as a wrong or forged record would."""
    values = {"id_number": person.profile.id_number, "name": person.profile.real_name, **changes}
    data = _csv("id_number,name,level,major,diploma_no,graduated_on",
                [values["id_number"], values["name"], level, major, number, (on or beijing_today()).isoformat()])
    report = exchange.import_file(db.session, staff("institution_staff", institution), org(institution),
                                  "graduation", data, "g.csv")
    assert report.imported == 1, report.errors
    return report


def hr_department():
    """The province HR department (HR-ZJ), once, and one of its staff."""
    from sqlalchemy import select

    from app.accounts.models import Organisation, OrgKind, Role
    from app.accounts.policy import SYSTEM

    hr = db.session.scalar(select(Organisation).where(Organisation.code == "HR-ZJ"))
    if hr is None:
        hr = organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="HR-ZJ",
                                               name="浙江省人力资源和社会保障厅", kind=OrgKind.hr_dept)
    clerk = factories.user()
    service.grant_role(db.session, clerk, Role.union_staff, hr)  # the role org_views gives department staff
    return hr, clerk


def certificate(person, number: str, *, occupation: str = "机电一体化", level: str = "高级工", on: date | None = None,
                **changes: str):
    """The HR department sends `person`'s skill certificate by data exchange."""
    values = {"id_number": person.profile.id_number, "name": person.profile.real_name, **changes}
    data = _csv("id_number,name,occupation,skill_level,certificate_no,issued_on",
                [values["id_number"], values["name"], occupation, level, number, (on or beijing_today()).isoformat()])
    hr, clerk = hr_department()
    report = exchange.import_file(db.session, clerk, hr, "certificate", data, "c.csv")
    assert report.imported == 1, report.errors
    return report


def at_once(app, count: int, prepare: Callable[[int], Callable[[], object]]) -> list[str]:
    """`count` clerks acting at the same moment, each in a thread with its own app context and session:
    `prepare(i)` loads what clerk i needs and returns the act, run once every clerk is ready. Each act is committed,
    or rolled back on a Conflict; the outcomes are "ok" or the conflict's code, in the order they ended."""
    ready, outcomes = threading.Barrier(count), []

    def run(i: int) -> None:
        with app.app_context():
            act = prepare(i)
            ready.wait()
            try:
                act()
                db.session.commit()
                outcomes.append("ok")
            except Conflict as err:
                db.session.rollback()
                outcomes.append(err.code or "conflict")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
