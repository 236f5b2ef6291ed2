"""Organisation pages: anyone sees the tree; union staff add organisations below them, import
townships and appoint staff; nobody acts above or beside their own organisation."""

import io

from app.accounts import organisations
from app.accounts.models import Membership, Organisation
from app.extensions import db as _db
from tests import factories
from tests.app.appointing import accept_invitation
from tests.conftest import Auth, post_form


def test_public_page_shows_the_tree_without_management_forms(client):
    body = client.get("/orgs/330100").get_data(as_text=True)
    assert "杭州市总工会" in body and "西湖区总工会" in body
    assert "添加下级组织" not in body and "工作人员" not in body


def test_unknown_code_is_404(client):
    assert client.get("/orgs/999999").status_code == 404


def test_union_staff_add_an_institution_whose_admin_then_appoints_its_staff(client, auth, app):
    """No `db` fixture: its app context would be shared by the two clients' requests (and Flask-Login's user)."""
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/orgs/330106", {"action": "child", "child-kind": "institution",
                                                  "child-code": "INST-XH", "child-name": "西湖社区学院"})
    assert response.status_code == 302
    assert "邀请为工作人员" not in client.get("/orgs/INST-XH").get_data(as_text=True)  # not the union's to appoint
    with app.app_context():
        assert organisations.get_by_code(_db.session, "INST-XH").parent.code == "330106"
        head, teacher = factories.user("worker", name="王校长"), factories.user("worker", name="陈老师")
        head_phone, teacher_phone, teacher_id = head.phone, teacher.phone, teacher.id
        _db.session.commit()
    admin = app.test_client()
    Auth(app, admin).as_role("admin")
    made = post_form(admin, "/orgs/INST-XH", {"action": "staff", "staff-phone": head_phone, "staff-org_admin": "y"})
    assert made.status_code == 302
    auth.logout()
    auth.login(head_phone)
    accept_invitation(client)  # an appointment takes effect when its holder accepts
    nobody = post_form(client, "/orgs/INST-XH", {"action": "staff", "staff-phone": "13000000000"},
                       follow_redirects=True)
    assert nobody.status_code == 200 and "邀请已发送" in nobody.get_data(as_text=True)  # as for anyone
    ok = post_form(client, "/orgs/INST-XH", {"action": "staff", "staff-phone": teacher_phone})
    assert ok.status_code == 302
    page = client.get("/orgs/INST-XH").get_data(as_text=True)
    assert "陈老师" not in page and teacher_phone[-4:] in page and teacher_phone not in page  # pending, masked
    auth.logout()
    auth.login(teacher_phone)
    accept_invitation(client)
    auth.logout()
    auth.login(head_phone)
    page = client.get("/orgs/INST-XH").get_data(as_text=True)
    assert "陈老师" in page and teacher_phone not in page  # the phone is masked
    assert "审计日志" in page
    with app.app_context():
        membership = _db.session.query(Membership).filter_by(user_id=teacher_id).one()
        assert not membership.is_admin
        membership_id = membership.id
    assert post_form(client, "/orgs/INST-XH", {"action": "revoke", "membership": membership_id}).status_code == 302
    with app.app_context():
        assert _db.session.query(Membership).filter_by(user_id=teacher_id).count() == 0


def test_bad_child_input_keeps_the_page_and_says_what_is_wrong(client, auth, db):
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/orgs/330106", {"action": "child", "child-kind": "enterprise",
                                                  "child-code": "bad code!", "child-name": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "代码只能由字母" in body and "请填写名称" in body


def test_staff_cannot_act_outside_their_subtree(client, auth, db):
    auth.as_role("union_staff", "330106")
    response = post_form(client, "/orgs/330105", {"action": "child", "child-kind": "enterprise",
                                                  "child-code": "ENT-X", "child-name": "x"}, source="/me/password")
    assert response.status_code == 403
    assert db.session.query(Organisation).filter_by(code="ENT-X").count() == 0


def test_anonymous_posts_are_refused(client, db):
    response = post_form(client, "/orgs/330106", {"action": "child", "child-kind": "enterprise",
                                                  "child-code": "ENT-X", "child-name": "x"}, source="/auth/login")
    assert response.status_code == 403


def test_import_townships_through_the_page(client, auth, db):
    auth.as_role("union_staff", "330106")
    good = "code,name,level,parent_code\n330106001,北山街道,township,330106\n".encode()
    bad = "code,name,level,parent_code\n330106002,灵隐街道,township,339999\n".encode()
    gbk = "code,name,level,parent_code\n330106003,西溪街道,township,330106\n".encode("gb18030")
    for data, status, text in ((bad, 400, "339999"), (gbk, 400, "UTF-8"), (good, 302, "")):
        response = post_form(client, "/orgs/330106", {"action": "import", "imp-file": (io.BytesIO(data), "t.csv")},
                             content_type="multipart/form-data")
        assert response.status_code == status and text in response.get_data(as_text=True)
    assert db.session.query(Organisation).filter_by(level="township").count() == 1
