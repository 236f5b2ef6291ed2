"""Demo data for the programme: this year's plan (10,000 places, 10,000,000 yuan), quotas to two cities
and two counties, offerings declared by the demo institutions (most selected, one waiting), an eligible
demo worker (13900000007) who can apply, and a colleague already enrolled in a 焊工 training project with an
approved subsidy resting on the HR department's certificate record (HR-ZJ, sent by data exchange), and a
published admissions notice, and the year's targets
for two cities, one of them lagging. The funds ledger: 杭州市 records its own top-up, hands part of it to 西湖区,
which adds its own and pays 王建国's subsidy, so 杭州市's staff (13900000003) see allocation, top-ups and payment
reconciled on 经费台账. Every row goes through the services the pages use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import organisations, profiles, service
from app.accounts.models import OrgKind, Role, User
from app.accounts.policy import SYSTEM
from app.demo import DEMO_PASSWORD
from app.timefmt import beijing_today
from programme.admissions import applications, declarations, plans, quotas
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import Offering, Plan
from programme.exchange import imports as exchange
from programme.money import funds, subsidies
from programme.money.models import SubsidyClaim
from programme.reporting import performance
from programme.voice import notices

QUOTAS = [("330100", 2000, 2_000_000), ("330200", 1500, 1_500_000), ("330106", 300, 300_000),
          ("330109", 200, 200_000)]
OFFERINGS = [  # institution, kind, level, major, mode, years, tuition, discount, places, selected
    ("INST-HZVTC", "academic", "zhuanke", "机电一体化技术", "业余", 3, 6000, 1500, 120, True),
    ("INST-ZJOU", "academic", "zhuanshengben", "行政管理", "网络", 3, 7200, 2000, 300, True),
    ("INST-ZJOU", "academic", "gaoqiben", "工商管理", "网络", 5, 9000, 2000, 200, True),
    ("INST-NBPT", "academic", "zhuanke", "现代物流管理", "函授", 3, 5400, 1000, 80, False),
    ("INST-WZTC", "training", "", "焊工", "高级工", 0, 1800, 900, 60, True),
]
# The year's targets (绩效评估): Hangzhou reaches its (one admission, one certificate: 王建国's), Ningbo lags (red)
TARGETS = [("330100", {"admissions": 1, "upgrades": 1}), ("330200", {"admissions": 50, "upgrades": 20,
                                                                     "funds_yuan": 100_000})]
PROFILE = {"job_level": "front_line", "union_member": True, "union_code": "330106", "employer_type": "enterprise",
           "contract_end": "", "education": "high_school"}


COLLEAGUE_ID = "330106198503151238"  # a made-up number with a valid check digit


def _certificate(session: Session, today: date) -> str:
    """The HR department sends 王建国's 高级工 certificate through data exchange: what his claim rests on."""
    hr = organisations.create_organisation(session, SYSTEM, parent_code="330000", code="HR-ZJ",
                                           name="浙江省人力资源和社会保障厅", kind=OrgKind.hr_dept)
    number = f"S0000330000{today.year}00001"
    rows = "id_number,name,occupation,skill_level,certificate_no,issued_on\n" + \
        f"{COLLEAGUE_ID},王建国,焊工,高级工,{number},{today.isoformat()}\n"
    report = exchange.import_file(session, SYSTEM, hr, "certificate", rows.encode(), "demo-certificates.csv")
    assert report.imported == 1, report.errors
    return number


def _offerings(session: Session, plan: Plan) -> list[Offering]:
    made = []
    for code, kind, level, major, mode, years, tuition, discount, places, selected in OFFERINGS:
        item = declarations.declare(session, SYSTEM, plan, organisations.get_by_code(session, code), OfferingInput(
            kind=kind, level=level, major=major, mode=mode, years=years, tuition_yuan=tuition,
            discount_yuan=discount, places=places, scholarships="优秀学员奖学金 1000 元" if selected else ""))
        if selected:
            declarations.review(session, SYSTEM, item, "select", "办学条件良好，同意入选。")
        made.append(item)
    return made


def _funds(session: Session, plan: Plan, claim: SubsidyClaim, today: date) -> None:
    """Top-ups, a pass-down and a subsidy paid: the ledger of 杭州市 and 西湖区 with something to reconcile."""
    hangzhou, xihu = (organisations.get_by_code(session, code) for code in ("330100", "330106"))
    funds.top_up(session, SYSTEM, plan, hangzhou, 300_000_00, "杭州市财政配套资金")
    funds.pass_down(session, SYSTEM, plan, xihu, 100_000_00, "市级配套资金下拨西湖区")
    funds.top_up(session, SYSTEM, plan, xihu, 50_000_00, "西湖区配套资金")
    subsidies.pay(session, SYSTEM, plan, xihu, [claim.id], today)


def load(session: Session) -> dict[str, int]:
    """Called from app.demo.load after the accounts and the support demo (which sets the worker's union)."""
    today = beijing_today()
    plan = plans.open_plan(session, SYSTEM, plans.PlanInput(
        year=today.year, notice_date=date(today.year, 1, 1), opens_on=date(today.year, 1, 1),
        closes_on=date(today.year, 12, 31)))
    for code, places, budget in QUOTAS:
        quotas.allocate(session, SYSTEM, plan, organisations.get_by_code(session, code), places, budget)
    quotas.set_top_up(session, SYSTEM, plan, organisations.get_by_code(session, "330100"), 300)
    quotas.set_top_up(session, SYSTEM, plan, organisations.get_by_code(session, "330106"), 200)
    offerings = _offerings(session, plan)
    start = f"{today.year - 1}-03-01"
    worker = session.scalar(select(User).where(User.phone == "13900000007"))
    if worker is not None:
        profiles.update_profile(session, worker, worker, {**PROFILE, "real_name": "李小梅", "contract_start": start})
    colleague = service.create_user(session, SYSTEM, phone="13900000008", name="王建国", role=Role.worker, org=None,
                                    password=DEMO_PASSWORD)
    profiles.update_profile(session, colleague, colleague, {**PROFILE, "real_name": "王建国", "contract_start": start,
                                                            "id_number": COLLEAGUE_ID})
    application = applications.apply(session, colleague, offerings[4], today)  # 焊工 (高级工) training
    applications.verify(session, SYSTEM, application, True)
    applications.admit(session, SYSTEM, application, True)
    record = applications.enrol(session, SYSTEM, application, f"{today.year}0001", today)
    number = _certificate(session, today)
    claim = subsidies.claim(session, colleague, record, "senior_worker", number, "浙江省人力资源和社会保障厅",
                            attained_on=today)
    subsidies.decide(session, SYSTEM, claim, True)  # rests on the HR department's record, which agrees
    _funds(session, plan, claim, today)
    # 王建国 also applies for 杭职院's 专科; 西湖区 has verified it, so it waits on the institution's desk (工作台)
    second = applications.apply(session, colleague, offerings[0], today)
    applications.verify(session, SYSTEM, second, True)
    notices.publish(session, SYSTEM, plan, organisations.get_by_code(session, "330000"), "institutions", today)
    notices.publish(session, SYSTEM, plan, organisations.get_by_code(session, "330106"), "admissions", today)
    for code, values in TARGETS:
        performance.set_target(session, SYSTEM, plan, organisations.get_by_code(session, code), values)
    session.flush()
    return {"programme_plans": 1, "programme_offerings": len(offerings), "programme_applications": 2}
