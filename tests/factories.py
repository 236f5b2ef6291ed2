"""Test data made through the services, so tests see what real use would create."""

from __future__ import annotations

import itertools

from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role, User
from app.accounts.policy import SYSTEM
from app.extensions import db

PASSWORD = "correct-horse-9"
_phones = itertools.count(13800000000)

INSTITUTION = "INST-T1"
OTHER_INSTITUTION = "INST-T2"
ENTERPRISE = "ENT-T1"


def seed_orgs() -> None:
    organisations.seed_zhejiang(db.session)
    for code, name, parent, kind in (
        (INSTITUTION, "测试职业技术学院", "330100", OrgKind.institution),
        (OTHER_INSTITUTION, "另一所技师学院", "330200", OrgKind.institution),
        (ENTERPRISE, "测试电器有限公司", "330106", OrgKind.enterprise),
    ):
        organisations.create_organisation(db.session, SYSTEM, parent_code=parent, code=code, name=name, kind=kind)
    db.session.flush()


DEFAULT_ORG = {
    Role.union_staff.value: "330100",
    Role.institution_staff.value: INSTITUTION,
    Role.enterprise_staff.value: ENTERPRISE,
}


def user(role: str = "worker", org_code: str | None = None, name: str = "测试用户",
         password: str = PASSWORD, org_admin: bool = False) -> User:
    """`org_admin`: also an administrator of that organisation (who appoints its staff)."""
    org_code = org_code or DEFAULT_ORG.get(role)
    org = organisations.get_by_code(db.session, org_code) if org_code else None
    created = service.create_user(db.session, SYSTEM, phone=str(next(_phones)), name=name, role=Role(role),
                                  org=org if role != "admin" else None, password=password, org_admin=org_admin)
    db.session.flush()
    return created
