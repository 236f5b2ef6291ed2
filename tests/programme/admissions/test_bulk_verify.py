"""Bulk verification (programme/admissions/bulk.py): one note for many applications, each through
applications.verify, so the quota, the status and the policy (nobody verifies their own application) hold item by
item."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import audit
from app.accounts.models import Role
from app.accounts.service import grant_role
from app.errors import Invalid
from app.extensions import db
from programme.admissions import bulk, quotas
from programme.admissions.applications import apply
from programme.admissions.models import AppStatus
from tests.conftest import post_form
from tests.programme.helpers import OPEN_DAY, offering, open_year, org, staff, worker


def _applied(plan, *names):
    item = offering(plan)
    return [apply(db.session, worker(name), item, OPEN_DAY) for name in names]


def test_many_verified_at_once_each_audited(db):
    plan = open_year()
    first, second = _applied(plan, "张三明", "李四光")
    outcome = bulk.verify_many(db.session, staff(code="330106"), [first.id, second.id], True)
    assert outcome.done == [f"张三明（#{first.id}）", f"李四光（#{second.id}）"] and outcome.refused == []
    assert first.status == second.status == AppStatus.verified
    assert quotas.quota_of(db.session, plan, org("330106")).used == 2
    rows = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "application.verify")).all()
    assert sorted(r.target_kind for r in rows) == ["application", "application", "batch"]


def test_refusing_needs_the_note_and_a_full_county_refuses_the_rest(db):
    plan = open_year()
    quotas.allocate(db.session, staff(code="330100"), plan, org("330106"), 1, 0)
    first, second = _applied(plan, "张三明", "李四光")
    with pytest.raises(Invalid):
        bulk.verify_many(db.session, staff(code="330106"), [first.id], False, " ")
    outcome = bulk.verify_many(db.session, staff(code="330106"), [first.id, second.id], True)
    assert first.status == AppStatus.verified and second.status == AppStatus.applied
    assert [r.name for r in outcome.refused] == [f"李四光（#{second.id}）"] and outcome.refused[0].reason


def test_attack_verifying_ones_own_application_among_others(db):
    plan = open_year()
    item = offering(plan)
    person = worker("王五")
    grant_role(db.session, person, Role.union_staff, org("330106"))
    own = apply(db.session, person, item, OPEN_DAY)
    other = apply(db.session, worker("赵六"), item, OPEN_DAY)
    outcome = bulk.verify_many(db.session, person, [own.id, other.id], True)
    assert own.status == AppStatus.applied and other.status == AppStatus.verified
    assert outcome.refused[0].reason == "不能处理自己（或本单位）的事项，请由其他工作人员处理。"


def test_attack_another_countys_applications_are_refused_without_names(db):
    plan = open_year()
    (application,) = _applied(plan, "张三明")
    outcome = bulk.verify_many(db.session, staff(code="330105"), [application.id], True)
    assert application.status == AppStatus.applied
    assert [r.name for r in outcome.refused] == [f"#{application.id}"]


def test_verify_page_bulk_form(app, db, client, auth):
    plan = open_year()
    first, second = _applied(plan, "张三明", "李四光")
    db.session.commit()
    auth.as_role("union_staff", "330106")
    page = client.get("/programme/verify").get_data(as_text=True)
    assert page.count('form="bulk-verify"') == 2
    assert post_form(client, "/programme/applications/verify", {"decision": "approve"}, "/programme/verify"
                     ).status_code == 303
    assert "请先勾选要处理的条目" in client.get("/programme/verify").get_data(as_text=True)
    assert post_form(client, "/programme/applications/verify", {"ids": [str(first.id)], "decision": "reject"},
                     "/programme/verify").status_code == 303
    assert "不通过时请写明理由" in client.get("/programme/verify").get_data(as_text=True)
    response = post_form(client, "/programme/applications/verify",
                         {"ids": [str(first.id), str(second.id)], "decision": "reject", "note": "非会员"},
                         "/programme/verify")
    assert response.status_code == 303
    assert "已处理2项" in client.get("/programme/verify").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(first), first.id).status == AppStatus.rejected
