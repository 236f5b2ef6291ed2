"""A batch of one worker must not tell the enterprise whether that worker already studies the course: that is their
learning, which it sees only while they consent. One studies 劳动维权与仲裁 after withdrawing consent, one never
did; through the API, the page's message and the audit log, the enterprise gets the same answer for both."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit import AuditEntry, detail_of
from learning.enrolment import enrol
from programme.enterprises import links
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import csrf_token, post_form
from tests.programme.enterprises.helpers import boss, linked

FLASH = re.compile(r'<p class="flash flash-success">(.*?)</p>')


def _world(app) -> dict:
    """A course an employer would like to know who studies, a worker who studies it having withdrawn consent, and
    one who never consented nor enrolled; both confirmed workers of the enterprise."""
    from app.extensions import db as _db

    with app.app_context():
        course = make(publish=True, title="劳动维权与仲裁")
        studies = linked(factories.user(name="赵维权"), consent=True)
        links.set_consent(_db.session, studies, False)  # withdrew: "from that moment it sees nothing"
        enrol(_db.session, studies, course.id)  # enrols on their own afterwards
        never = linked(factories.user(name="钱未学"))
        world = {"boss": boss().phone, "course": course.id, "studies": (studies.id, studies.phone),
                 "never": (never.id, never.phone)}
        _db.session.commit()
    return world


def _audit_details(app) -> list[dict]:
    from app.extensions import db as _db

    with app.app_context():
        rows = _db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise.batch_enrol")
                                   .order_by(AuditEntry.id)).all()
        return [{k: v for k, v in detail_of(row).items() if k != "workers"} for row in rows]


def test_the_api_answers_alike_for_a_worker_who_studies_the_course_and_one_who_never_did(app, client, auth):
    world = _world(app)
    auth.login(world["boss"])
    token = csrf_token(client, "/programme/enterprise/enrol")

    def probe(who: str) -> dict:
        worker_id, phone = world[who]
        response = client.post("/api/v1/programme/enterprise/enrolments", headers={"X-CSRFToken": token},
                               json={"target": {"kind": "resource", "id": world["course"]}, "phones": [phone]})
        assert response.status_code == 200
        body = response.get_json()
        assert body.pop("workers") == [worker_id]
        return body

    studies, never = probe("studies"), probe("never")
    assert studies == never and studies["enrolled"] == 1
    assert "already" not in studies and "new" not in studies
    first, second = _audit_details(app)  # what the enterprise's admins read in its audit log
    assert first == second == {"courses": [world["course"]]}


def test_the_enrol_page_says_the_same_for_both(app, client, auth):
    world = _world(app)
    auth.login(world["boss"])

    def probe(who: str) -> str:
        response = post_form(client, "/programme/enterprise/enrol",
                             {"target": f"resource:{world['course']}", "ids": str(world[who][0])},
                             follow_redirects=True)
        assert response.status_code == 200
        return FLASH.findall(response.get_data(as_text=True))[0]

    studies, never = probe("studies"), probe("never")
    assert studies == never
    assert "1名职工" in studies and "劳动维权与仲裁" in studies
