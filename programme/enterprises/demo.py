"""Demo data for enterprises: four workers of 萧山华成电器 (ENT-XH-ELEC, whose staff account is 13900000006) linked
themselves to it. Three are confirmed and two of those let it see their learning; the fourth waits on the
enterprise's desk to be confirmed. So the enterprise can, by hand, nominate the three for an offering, enrol
them in one batch, see the progress of the two who consented and top up their subsidy. Through the services."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.accounts import organisations, profiles, service
from app.accounts.models import Role, User
from app.accounts.policy import SYSTEM
from app.demo import DEMO_PASSWORD
from app.timefmt import beijing_today
from programme.enterprises import links

ENTERPRISE = "ENT-XH-ELEC"
# phone, name, confirmed by the enterprise, consented
WORKERS = [("13900000201", "陈志强", True, True), ("13900000202", "周丽华", True, True),
           ("13900000203", "吴海涛", True, False), ("13900000204", "郑晓东", False, False)]


def _worker(session: Session, phone: str, name: str) -> User:
    today = beijing_today()
    user = service.create_user(session, SYSTEM, phone=phone, name=name, role=Role.worker, org=None,
                               password=DEMO_PASSWORD)
    profiles.update_profile(session, user, user, {
        "real_name": name, "job_level": "front_line", "union_member": True, "union_code": "330109",
        "employer": "萧山华成电器有限公司", "employer_type": "enterprise", "education": "high_school",
        "contract_start": date(today.year - 2, 3, 1).isoformat(), "contract_end": ""})
    return user


def load(session: Session) -> dict[str, int]:
    enterprise = organisations.get_by_code(session, ENTERPRISE)
    for phone, name, confirmed, consented in WORKERS:
        worker = _worker(session, phone, name)
        link = links.link(session, worker, ENTERPRISE)
        if confirmed:
            links.decide(session, SYSTEM, enterprise, link.id, True)
        if consented:
            links.set_consent(session, worker, True)
    session.flush()
    return {"enterprise_links": len(WORKERS)}
