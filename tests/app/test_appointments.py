"""Who may appoint whom (issue 17, item 1), performed as attacks: union staff making themselves staff of an
institution below them to approve their own declarations and courses, self-appointment, department seats that
would make a union its own co-reviewer; and the honest paths, each kept in the audit log."""

from __future__ import annotations

import pytest

from app import audit
from app.accounts import invitations, organisations, service
from app.accounts.models import Membership, Role
from app.accounts.policy import SYSTEM, Grant, can
from app.errors import Forbidden
from catalog import service as catalog
from programme.admissions import declarations
from programme.admissions.declarations import OfferingInput
from tests import factories
from tests.app.appointing import appointed
from tests.catalog.helpers import make
from tests.programme.helpers import open_year


def _org(db, code):
    return organisations.get_by_code(db.session, code)


def _entries(db, action="role.grant"):
    return audit.entries(db.session, audit.Filter(action=action))


def test_union_staff_cannot_make_themselves_staff_of_an_institution_below_them(db):
    union = factories.user("union_staff", "330100")  # 杭州; INST-T1 sits under it
    with pytest.raises(Forbidden):
        invitations.invite_staff(db.session, union, org=_org(db, factories.INSTITUTION), phone=union.phone,
                                  role=Role.institution_staff)
    colleague = factories.user("worker")
    with pytest.raises(Forbidden):  # nor a second account of theirs, nor anyone: it is not the union's to appoint
        invitations.invite_staff(db.session, union, org=_org(db, factories.INSTITUTION), phone=colleague.phone,
                                  role=Role.institution_staff, org_admin=True)
    assert not [m for m in union.memberships if m.role == Role.institution_staff]
    assert db.session.query(Membership).filter_by(user_id=colleague.id).count() == 0


def test_the_escalation_through_the_organisation_page_is_refused(client, auth, app):
    auth.as_role("union_staff", "330100")
    with app.app_context():
        from app.accounts.models import User

        me = app.extensions["sqlalchemy"].session.query(User).order_by(User.id.desc()).first()
        phone = me.phone
    response = client.post(f"/orgs/{factories.INSTITUTION}", data={
        "csrf_token": _token(client), "action": "staff", "staff-phone": phone})
    assert response.status_code == 403
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.query(Membership).filter_by(
            role=Role.institution_staff).count() == 0


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/me/password")


def test_nobody_appoints_themselves_not_even_a_site_admin(db):
    admin = factories.user("admin")
    with pytest.raises(Forbidden):
        invitations.invite_staff(db.session, admin, org=_org(db, factories.INSTITUTION), phone=admin.phone,
                                  role=Role.institution_staff)
    county = factories.user("union_staff", "330106")
    city = factories.user("union_staff", "330100")
    with pytest.raises(Forbidden):  # a city union staffer taking a seat in a county union below
        invitations.invite_staff(db.session, city, org=_org(db, "330106"), phone=city.phone, role=Role.union_staff)
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    assert not can(head, "user.grant_role", Grant(_org(db, factories.INSTITUTION), Role.institution_staff, head))
    assert can(county, "user.grant_role", Grant(_org(db, "330106"), Role.union_staff))


def test_a_union_cannot_seat_itself_in_a_department_to_co_review_offerings(db):
    union = factories.user("union_staff", "330106")
    dept = organisations.create_organisation(db.session, union, parent_code="330106", code="EDU-XH",
                                             name="西湖区教育局", kind=organisations.OrgKind.education_dept)
    with pytest.raises(Forbidden):
        invitations.invite_staff(db.session, union, org=dept, phone=union.phone, role=Role.union_staff)


def test_the_institution_admin_appoints_and_removes_its_staff_and_the_log_keeps_both(db):
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    teacher = factories.user("worker", name="陈老师")
    institution = _org(db, factories.INSTITUTION)
    membership = appointed(head, institution, teacher.phone, Role.institution_staff)  # invited, then accepted
    granted = _entries(db)[0]
    assert (granted.actor_id, granted.target_id, granted.org_id) == (head.id, str(teacher.id), institution.id)
    assert audit.detail_of(granted) == {"role": "institution_staff", "org_admin": False}
    other = _org(db, factories.OTHER_INSTITUTION)
    with pytest.raises(Forbidden):  # its own institution only
        invitations.invite_staff(db.session, head, org=other, phone=teacher.phone, role=Role.institution_staff)
    plain = factories.user("institution_staff", factories.INSTITUTION)
    with pytest.raises(Forbidden):  # staff who are not its admin appoint nobody
        invitations.invite_staff(db.session, plain, org=institution, phone=factories.user().phone,
                                  role=Role.institution_staff)
    service.revoke_staff(db.session, head, membership)
    revoked = _entries(db, "role.revoke")[0]
    assert (revoked.actor_id, revoked.target_id) == (head.id, str(teacher.id))


def test_every_path_that_appoints_writes_an_entry(db, runner):
    before = len(_entries(db))
    union = factories.user("union_staff", "330100")  # factories: create_user as the operator
    appointed(union, _org(db, "330106"), factories.user().phone, Role.union_staff)  # in the unions below it
    db.session.commit()
    result = runner.invoke(args=["users", "create", "--phone", "13811112222", "--name", "院长", "--role",
                                 "institution_staff", "--org", factories.OTHER_INSTITUTION, "--org-admin",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    entries = _entries(db)
    assert len(entries) == before + 3  # the union staffer, the worker made staff, the CLI's institution admin
    cli = entries[0]
    assert cli.actor_id is None and cli.actor_label == "system"
    assert audit.detail_of(cli) == {"role": "institution_staff", "org_admin": True}
    assert entries[1].actor_id == union.id


def test_audit_entries_cannot_be_changed(db):
    entry = audit.record(db.session, SYSTEM, "role.grant", "user", 1)
    entry.action = "nothing happened"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_the_organisation_log_is_for_its_admins_and_the_unions_above(db):
    institution = _org(db, factories.INSTITUTION)
    assert can(factories.user("institution_staff", factories.INSTITUTION, org_admin=True), "audit.view", institution)
    assert can(factories.user("union_staff", "330100"), "audit.view", institution)
    assert not can(factories.user("institution_staff", factories.INSTITUTION), "audit.view", institution)
    assert not can(factories.user("union_staff", "330200"), "audit.view", institution)


# ---- a person holding both sides never reviews their own work ------------------------------------------

def _both_sides(db):
    """One person on staff at INST-T1 and at the Hangzhou union above it: what the escalation produced, and what
    a site admin or an institution admin could still do by mistake."""
    person = factories.user("union_staff", "330000")
    service.grant_role(db.session, person, Role.institution_staff, _org(db, factories.INSTITUTION))
    return person


def test_nobody_selects_their_own_institutions_declaration(db):
    person = _both_sides(db)
    plan = open_year()
    offering = declarations.declare(db.session, person, plan, _org(db, factories.INSTITUTION), OfferingInput(
        kind="academic", level="zhuanke", major="机电一体化", mode="业余", years=3, tuition_yuan=6000,
        discount_yuan=1000, places=30))
    with pytest.raises(Forbidden):
        declarations.review(db.session, person, offering, "select", "")
    declarations.review(db.session, factories.user("union_staff", "330000"), offering, "select", "")  # others can


def test_nobody_selects_their_own_institutions_course(db):
    person = _both_sides(db)
    resource = make(actor=person)
    catalog.submit(db.session, person, resource)
    with pytest.raises(Forbidden):
        catalog.review(db.session, person, resource, "select")
    assert resource not in catalog.review_queue(db.session, person)
    catalog.review(db.session, factories.user("union_staff", "330100"), resource, "select")


def test_a_site_admin_does_not_review_what_they_made(db):
    admin = factories.user("admin")
    resource = make("330100", actor=admin)
    catalog.submit(db.session, admin, resource)
    with pytest.raises(Forbidden):
        catalog.review(db.session, admin, resource, "select")
    union_made = make("330100", actor=factories.user("union_staff", "330100"))
    catalog.submit(db.session, SYSTEM, union_made)
    catalog.review(db.session, admin, union_made, "select")  # someone else's: fine


def test_the_audit_pages(app, client, auth):
    auth.as_role("admin")
    assert client.get("/me/audit").status_code == 200
    assert "审计日志" in client.get(f"/orgs/{factories.INSTITUTION}/audit").get_data(as_text=True)
    auth.logout()
    auth.as_role("institution_staff")  # staff, not its admin
    assert client.get("/me/audit").status_code == 403
    assert client.get(f"/orgs/{factories.INSTITUTION}/audit").status_code == 403


def test_the_cli_makes_a_site_admin_once_and_logs_it(db, runner):
    """It used to grant admin twice and stop on the second (该用户已拥有此角色)."""
    result = runner.invoke(args=["users", "create", "--phone", "13811113333", "--name", "管理员", "--role", "admin",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert audit.detail_of(_entries(db)[0]) == {"role": "admin", "org_admin": False}


@pytest.mark.demo
def test_the_demo_institution_account_administers_its_institution(db):
    from app import demo

    head = service.authenticate(db.session, phone="13900000005", password=demo.DEMO_PASSWORD)
    institution = _org(db, "INST-HZVTC")
    assert [m.is_admin for m in head.memberships if m.organisation_id == institution.id] == [True]
    assert can(head, "user.grant_role", Grant(institution, Role.institution_staff))


def test_an_organisation_admin_names_no_other_admin_and_removes_none(db):
    """Organisation admins are named by a site admin: a head could make a newcomer admin too, who then removed the
    head. Now both steps are refused; the site admin does both; plain staff are still the head's to appoint."""
    head = factories.user("enterprise_staff", factories.ENTERPRISE, org_admin=True, name="总经理")
    newcomer = factories.user("worker", name="新人")
    enterprise = _org(db, factories.ENTERPRISE)
    with pytest.raises(Forbidden):
        invitations.invite_staff(db.session, head, org=enterprise, phone=newcomer.phone, role=Role.enterprise_staff,
                                  org_admin=True)
    assert db.session.query(Membership).filter_by(user_id=newcomer.id).count() == 0
    plain = appointed(head, enterprise, newcomer.phone, Role.enterprise_staff)
    assert not plain.is_admin
    other_head = factories.user("enterprise_staff", factories.ENTERPRISE, org_admin=True, name="副总")
    head_seat = db.session.query(Membership).filter_by(user_id=head.id).one()
    with pytest.raises(Forbidden):  # one admin removing another
        service.revoke_staff(db.session, other_head, head_seat)
    service.revoke_staff(db.session, head, plain)  # plain staff: still the head's
    site = factories.user("admin")
    service.revoke_staff(db.session, site, head_seat)
    assert db.session.query(Membership).filter_by(user_id=head.id).count() == 0


def test_the_organisation_page_offers_the_admin_box_to_site_admins_only_and_refuses_a_forged_kind(app, client,
                                                                                                  auth):
    auth.as_role("enterprise_staff", factories.ENTERPRISE, org_admin=True)
    page = client.get(f"/orgs/{factories.ENTERPRISE}").get_data(as_text=True)
    assert "邀请为工作人员" in page and "同时设为本单位管理员" not in page
    auth.logout()
    auth.as_role("admin")
    assert "同时设为本单位管理员" in client.get(f"/orgs/{factories.ENTERPRISE}").get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330106")
    from tests.conftest import post_form

    forged = post_form(client, "/orgs/330106", {"action": "child", "child-kind": "xyz", "child-code": "ENT-X",
                                                "child-name": "某公司"})
    assert forged.status_code == 400 and "请选择组织类型" in forged.get_data(as_text=True)
