"""Demo data for data sharing: an account for the HR department (the education department's is app.demo's
13900000009), one API token for each department with fixed secrets (on a demo database only, so the README and
`qiuxue programme api-tokens demo` can quote them), and a worker, 赵春燕 (13900000011), enrolled in the 焊工
training project, whose 高级工 subsidy claim waits for the HR department's certificate: pushing it with the HR
token (the call `instructions()` prints) is what the claim then rests on, and 西湖区 can approve it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import organisations, profiles, service
from app.accounts.models import Role
from app.accounts.policy import SYSTEM
from app.demo import DEMO_PASSWORD
from app.timefmt import beijing_today
from programme.admissions import applications
from programme.admissions.models import Offering, Plan
from programme.money import subsidies
from programme.sharing import tokens

EDU_TOKEN = "qxe_demo_education_dept_0000000000000000"  # noqa: S105 - demo database only
HR_TOKEN = "qxe_demo_hr_dept_00000000000000000000000"  # noqa: S105 - demo database only
WORKER_PHONE, WORKER_ID = "13900000011", "330106199206180029"  # a made-up number with a valid check digit
HR_PHONE = "13900000010"
PROFILE = {"real_name": "赵春燕", "id_number": WORKER_ID, "job_level": "front_line", "union_member": True,
           "union_code": "330106", "employer_type": "enterprise", "contract_end": "", "education": "high_school"}


def certificate_number() -> str:
    return f"S0000330000{beijing_today().year}00002"


def _waiting_claim(session: Session) -> None:
    """赵春燕 applies for the 焊工 project, is verified, admitted and enrolled, and claims her 高级工 subsidy."""
    today = beijing_today()
    offering = session.scalar(select(Offering).join(Plan, Plan.id == Offering.plan_id)
                              .where(Plan.year == today.year, Offering.major == "焊工"))
    assert offering is not None, "the programme demo declares the 焊工 project"
    worker = service.create_user(session, SYSTEM, phone=WORKER_PHONE, name="赵春燕", role=Role.worker, org=None,
                                 password=DEMO_PASSWORD)
    profiles.update_profile(session, worker, worker, {**PROFILE, "contract_start": f"{today.year - 1}-03-01"})
    application = applications.apply(session, worker, offering, today)
    applications.verify(session, SYSTEM, application, True)
    applications.admit(session, SYSTEM, application, True)
    record = applications.enrol(session, SYSTEM, application, f"{today.year}0002", today)
    subsidies.claim(session, worker, record, "senior_worker", certificate_number(), "浙江省人力资源和社会保障厅",
                    attained_on=today)


def load(session: Session) -> dict[str, int]:
    """Called from app.demo.load after the programme's part (which makes HR-ZJ and the 焊工 project)."""
    hr, edu = organisations.get_by_code(session, "HR-ZJ"), organisations.get_by_code(session, "DEPT-ZJ-EDU")
    service.create_user(session, SYSTEM, phone=HR_PHONE, name="省人社厅职业能力建设处", role=Role.union_staff,
                        org=hr, password=DEMO_PASSWORD, org_admin=True)
    tokens.create(session, SYSTEM, edu, "演示：教育厅学籍系统", list(tokens.ALLOWED[edu.kind]), raw=EDU_TOKEN)
    tokens.create(session, SYSTEM, hr, "演示：人社厅证书系统", list(tokens.ALLOWED[hr.kind]), raw=HR_TOKEN)
    _waiting_claim(session)
    session.flush()
    return {"api_tokens": 2}


def instructions(base: str = "http://127.0.0.1:5000") -> str:
    """What to type to see the HR department's token push the certificate 赵春燕's claim waits for."""
    body = (f'{{"id_number": "{WORKER_ID}", "name": "赵春燕", "occupation": "焊工", "skill_level": 3, '
            f'"certificate_no": "{certificate_number()}", "issued_on": "{beijing_today().isoformat()}"}}')
    return "\n".join([
        f"education department (DEPT-ZJ-EDU) token: {EDU_TOKEN}",
        f"HR department (HR-ZJ) token:             {HR_TOKEN}",
        f"API document: {base}/api/exchange/v1/openapi.json",
        "",
        "The HR department pushes 赵春燕's 高级工 certificate:",
        f"  curl -s -X POST {base}/api/exchange/v1/certificates -H 'Authorization: Bearer {HR_TOKEN}' \\",
        f"       -H 'Content-Type: application/json' -d '{body}'",
        "Then sign in as 13900000004 (西湖区总工会, password qiuxue-demo), open 补贴核发 and 赵春燕's claim:",
        "it now rests on the HR department's record (every line ✓) and can be approved.",
        "",
        f"Pull statistics: curl -s {base}/api/exchange/v1/statistics -H 'Authorization: Bearer {EDU_TOKEN}'",
    ])
