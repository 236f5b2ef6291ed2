"""Departments and their API tokens, made through the services, and a client call with a bearer token."""

from __future__ import annotations

import pytest

from app.accounts import organisations
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import SYSTEM
from app.extensions import db
from programme.sharing import tokens
from tests.programme.helpers import hr_department


def education_department() -> Organisation:
    found = db.session.query(Organisation).filter_by(code="DEPT-EDU").one_or_none()
    return found or organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="DEPT-EDU",
                                                      name="浙江省教育厅", kind=OrgKind.education_dept)


def token_for(org: Organisation, *scopes: str) -> str:
    _token, raw = tokens.create(db.session, SYSTEM, org, "测试", list(scopes or tokens.ALLOWED[org.kind]))
    db.session.commit()
    return raw


@pytest.fixture
def hr(db):
    org, _clerk = hr_department()
    db.session.commit()
    return org


@pytest.fixture
def edu(db):
    org = education_department()
    db.session.commit()
    return org


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}
