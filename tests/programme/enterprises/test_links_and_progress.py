"""The link and the consent: an enterprise sees the learning of its own confirmed workers who consent, and of
nobody else — not another enterprise's, not one who never consented, not one who withdrew (from that moment)."""

import pytest
from sqlalchemy import select

from app.audit import AuditEntry
from app.errors import Forbidden, Invalid, NotFound
from learning.enrolment import enrol
from programme.enterprises import links, progress
from programme.enterprises.models import LinkStatus
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import csrf_token, post_form
from tests.programme.enterprises.helpers import OTHER, boss, linked, other_enterprise
from tests.programme.helpers import org


def test_consent_shows_progress_and_withdrawal_hides_it_at_once(db):
    worker = linked(factories.user(name="李小梅"))
    enrol(db.session, worker, make(publish=True).id)
    staff = boss()
    assert progress.workers(db.session, staff, org(factories.ENTERPRISE)) == []  # linked, not consenting
    with pytest.raises(NotFound):
        progress.worker(db.session, staff, org(factories.ENTERPRISE), worker.id)
    links.set_consent(db.session, worker, True)
    seen = progress.workers(db.session, staff, org(factories.ENTERPRISE))
    assert [p.worker for p in seen] == [worker] and len(seen[0].courses) == 1
    links.set_consent(db.session, worker, False)
    assert progress.workers(db.session, staff, org(factories.ENTERPRISE)) == []
    with pytest.raises(NotFound):
        progress.worker(db.session, staff, org(factories.ENTERPRISE), worker.id)
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_kind == "enterprise_link").order_by(AuditEntry.id))]
    assert actions == ["enterprise.link", "enterprise.confirm", "enterprise.consent", "enterprise.consent_withdraw"]
    assert [e.action for e in links.history(db.session, worker)][0] == "enterprise.consent_withdraw"
    links.unlink(db.session, worker)
    links.link(db.session, worker, factories.ENTERPRISE)  # a new link row: the record still shows the first one's
    assert [e.action for e in links.history(db.session, worker)] == [
        "enterprise.link", "enterprise.unlink", "enterprise.consent_withdraw", "enterprise.consent",
        "enterprise.confirm", "enterprise.link"]


def test_another_enterprise_never_sees_the_workers(db):
    worker = linked(factories.user(), consent=True)
    other = boss(OTHER)
    with pytest.raises(Forbidden):  # its staff asking for the first enterprise's list
        progress.workers(db.session, other, org(factories.ENTERPRISE))
    assert progress.workers(db.session, other, other_enterprise()) == []
    with pytest.raises(NotFound):  # and through its own enterprise, the worker is simply not there
        progress.worker(db.session, other, other_enterprise(), worker.id)
    for outsider in (factories.user(), factories.user("institution_staff"), factories.user("union_staff", "330106")):
        with pytest.raises(Forbidden):
            progress.workers(db.session, outsider, org(factories.ENTERPRISE))
        with pytest.raises(Forbidden):
            links.decide(db.session, outsider, org(factories.ENTERPRISE), links.link_of(db.session, worker).id, True)


def test_no_one_confirms_their_own_link(db):
    """A reviewer's attack: an enterprise's staff member, also a worker, linked their own account to the enterprise
    and confirmed it themselves, then drew the enterprise's top-up on their own subsidy claim. Their own link is
    now decided by another of the enterprise's staff, on every path (the pages call `decide`)."""
    clerk = boss()
    link = links.link(db.session, clerk, factories.ENTERPRISE)
    for confirm in (True, False):
        with pytest.raises(Forbidden) as err:
            links.decide(db.session, clerk, org(factories.ENTERPRISE), link.id, confirm)
        assert err.value.code == "own_link"
    assert link.status == LinkStatus.requested and link.decided_by_id is None
    assert links.decide(db.session, boss(), org(factories.ENTERPRISE), link.id, True).status == LinkStatus.confirmed


def test_an_unconfirmed_link_or_a_move_shows_nothing(db):
    worker = linked(factories.user(), confirm=False, consent=True)  # claims to work there; not confirmed
    assert progress.workers(db.session, boss(), org(factories.ENTERPRISE)) == []
    links.decide(db.session, boss(), org(factories.ENTERPRISE), links.link_of(db.session, worker).id, True)
    assert len(progress.workers(db.session, boss(), org(factories.ENTERPRISE))) == 1
    other_enterprise()
    moved = links.link(db.session, worker, OTHER)  # a new employer: the consent was never given to it
    assert (moved.status, moved.consent_at) == (LinkStatus.requested, None)
    assert progress.workers(db.session, boss(), org(factories.ENTERPRISE)) == []
    with pytest.raises(Invalid):
        links.link(db.session, worker, "330106")  # a union is not an enterprise


def test_pages_keep_the_same_rules(app, client, auth):
    with app.app_context():
        worker = linked(factories.user(name="王建国"), consent=True)
        hidden = linked(factories.user(name="赵不授权"))
        worker_id, hidden_id = worker.id, hidden.id
        staff = boss(OTHER)
        phone = staff.phone
        mine = boss()
        mine_phone = mine.phone
        from app.extensions import db as _db
        _db.session.commit()
    auth.login(mine_phone)
    page = client.get("/programme/enterprise/progress").get_data(as_text=True)
    assert "王建国" in page and "赵不授权" not in page
    assert client.get(f"/programme/enterprise/progress/{hidden_id}").status_code == 404
    auth.logout()
    auth.login(phone)
    assert client.get(f"/programme/enterprise/progress/{worker_id}").status_code == 404
    assert "王建国" not in client.get("/programme/enterprise/progress").get_data(as_text=True)
    auth.logout()
    auth.as_role("worker")
    assert client.get("/programme/enterprise/progress").status_code == 403
    response = post_form(client, "/programme/employer/link", {"enterprise": factories.ENTERPRISE},
                         source="/programme/employer?q=测试电器")
    assert response.status_code == 302
    assert "待企业确认" in client.get("/programme/employer").get_data(as_text=True)


def test_the_api_lists_consenting_workers_and_enrols_all_or_nothing(app, client, auth):
    from app.extensions import db as _db
    from learning.models import Enrolment

    with app.app_context():
        course = make(publish=True, title="安全用电")
        shown = linked(factories.user(name="王建国"), consent=True)
        linked(factories.user(name="赵不授权"))
        phone, course_id, good = boss().phone, course.id, shown.phone
        _db.session.commit()
    auth.login(phone)
    token = csrf_token(client, "/programme/enterprise/enrol")
    body = client.get("/api/v1/programme/enterprise/workers").get_json()
    assert [w["name"] for w in body["workers"]] == ["王建国"]
    sent = {"target": {"kind": "resource", "id": course_id}, "phones": [good, "13999999999"]}
    response = client.post("/api/v1/programme/enterprise/enrolments", json=sent, headers={"X-CSRFToken": token})
    assert response.status_code == 400 and "row-2" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert _db.session.query(Enrolment).count() == 0
    sent["phones"] = [good]
    response = client.post("/api/v1/programme/enterprise/enrolments", json=sent, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["enrolled"] == 1
    workers = client.get("/api/v1/programme/enterprise/workers").get_json()["workers"]
    assert workers[0]["courses"][0]["title"] == "安全用电"


def test_the_desk_holds_the_links_to_confirm(app, client, auth):
    from app.extensions import db as _db

    with app.app_context():
        waiting = linked(factories.user(name="郑晓东"), confirm=False)
        linked(factories.user(name="别家职工"), OTHER, confirm=False)
        phone, link_id = boss().phone, links.link_of(_db.session, waiting).id
        _db.session.commit()
    auth.login(phone)
    desk = client.get("/api/v1/me/desk").get_json()
    queue = next(q for r in desk["roles"] for q in r["queues"] if q["key"] == "enterprise.links")
    assert queue["count"] == 1
    assert [i["title"] for r in desk["roles"] for i in r["items"] if i["queue"] == "enterprise.links"] == ["郑晓东"]
    response = post_form(client, f"/programme/enterprise/links/{link_id}", {"decision": "confirm"},
                         source="/programme/enterprise")
    assert response.status_code == 302
    desk = client.get("/api/v1/me/desk").get_json()
    assert next(q for r in desk["roles"] for q in r["queues"] if q["key"] == "enterprise.links")["count"] == 0
