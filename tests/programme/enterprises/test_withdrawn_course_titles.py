"""A course an institution withdrew and renamed after a worker enrolled: the enterprise reading that worker's
progress (its pages and its HR-system API) sees the course as the catalog shows it to the enterprise, withheld
("#12（已撤回或未发布）"), never the draft title; a course the enterprise may view (its own) keeps its title."""

from __future__ import annotations

from app.extensions import db as _db
from catalog import service as catalog
from learning.enrolment import enrol
from programme.enterprises import progress
from tests import factories
from tests.catalog.helpers import make
from tests.programme.enterprises.helpers import boss, linked
from tests.programme.helpers import org

DRAFT = "【内部草稿】裁员安置方案培训"


def _withdrawn_and_renamed(provider: str = factories.INSTITUTION, *, kind: str = "micro_course"):
    """A published course a consenting worker (王建国) enrolled in, then withdrawn and renamed by its provider."""
    course = make(provider, publish=True, title="安全用电", kind=kind, lesson_count=2 if kind == "course" else 1)
    worker = linked(factories.user(name="王建国"), consent=True)
    enrol(_db.session, worker, course.id)
    staff = factories.user("institution_staff" if provider == factories.INSTITUTION else "enterprise_staff", provider)
    catalog.withdraw(_db.session, staff, course, "改版")
    catalog.update_resource(_db.session, staff, course, {
        "title": DRAFT, "kind": kind, "summary": "一段简介", "category": "skills-construction"})
    return course, worker


def test_attack_enterprise_api_reads_a_withdrawn_courses_draft_title(app, client, auth):
    with app.app_context():
        course, _worker = _withdrawn_and_renamed()
        phone, rid = boss().phone, course.id
        _db.session.commit()
    auth.login(phone)
    assert client.get(f"/catalog/r/{rid}").status_code == 404  # the enterprise may not view the draft
    courses = client.get("/api/v1/programme/enterprise/workers").get_json()["workers"][0]["courses"]
    assert [(c["resource_id"], c["title"]) for c in courses] == [(rid, f"#{rid}（已撤回或未发布）")]


def test_attack_enterprise_progress_pages_show_a_withdrawn_courses_draft_title(app, client, auth):
    with app.app_context():
        course, worker = _withdrawn_and_renamed()
        phone, rid, worker_id = boss().phone, course.id, worker.id
        _db.session.commit()
    auth.login(phone)
    for page in ("/programme/enterprise/progress", f"/programme/enterprise/progress/{worker_id}"):
        body = client.get(page).get_data(as_text=True)
        assert "王建国" in body and f"#{rid}（已撤回或未发布）" in body, page
        assert "裁员" not in body and "安全用电" not in body, page


def test_withheld_course_keeps_its_progress_but_not_its_lessons_titles(db):
    course, _worker = _withdrawn_and_renamed(kind="course")
    [seen] = progress.workers(db.session, boss(), org(factories.ENTERPRISE))
    [row] = seen.courses
    assert row.resource.title == f"#{course.id}（已撤回或未发布）"
    assert row.total == 2 and [step.title for step in row.resource.steps] == ["", ""]


def test_a_course_the_enterprise_may_view_keeps_its_title(db):
    """Its own course, withdrawn and renamed: its staff may view the draft, so they read its title."""
    _withdrawn_and_renamed(factories.ENTERPRISE)
    [seen] = progress.workers(db.session, boss(), org(factories.ENTERPRISE))
    assert [c.resource.title for c in seen.courses] == [DRAFT]


def test_a_published_course_keeps_its_title(db):
    worker = linked(factories.user(name="王建国"), consent=True)
    enrol(db.session, worker, make(publish=True, title="安全用电").id)
    [seen] = progress.workers(db.session, boss(), org(factories.ENTERPRISE))
    assert [c.resource.title for c in seen.courses] == ["安全用电"]
