"""The lessons editor's delete and reorder paths on a course read back from the database (as the next request
sees it, not the objects that made it): units and lessons move and go, their media stays with the provider."""

from app.accounts.policy import SYSTEM
from catalog.models import Lesson, Resource, Unit
from tests.catalog.helpers import make
from tests.conftest import post_form


def _outline(db, resource_id):
    db.session.expire_all()
    resource = db.session.get(Resource, resource_id)
    return [(u.title, [lesson.title for lesson in resource.lessons if lesson.unit_id == u.id])
            for u in sorted(resource.units, key=lambda u: u.position)]


def test_units_and_lessons_move_and_go_through_the_editor(client, auth, db):
    from catalog import lessons

    course = make("INST-T1", kind="course", lesson_count=2)
    second = lessons.add_unit(db.session, SYSTEM, course, "第二章")
    db.session.commit()
    ids = {"course": course.id, "second": second.id, "first_lesson": course.lessons[0].id}
    auth.as_role("institution_staff", "INST-T1")
    url = f"/catalog/manage/{ids['course']}/lessons"
    assert post_form(client, url, {"action": "lesson_down", "lesson_id": ids["first_lesson"]}).status_code == 302
    assert _outline(db, ids["course"])[0][1] == ["第2课", "第1课"]
    assert post_form(client, url, {"action": "unit_up", "unit_id": ids["second"]}).status_code == 302
    assert [title for title, _lessons in _outline(db, ids["course"])] == ["第二章", "第一章"]
    assert post_form(client, url, {"action": "delete_lesson", "lesson_id": ids["first_lesson"]}).status_code == 302
    assert _outline(db, ids["course"])[1][1] == ["第2课"]
    first_unit = db.session.scalars(db.select(Unit).where(Unit.title == "第一章")).one()
    response = post_form(client, url, {"action": "delete_unit", "unit_id": first_unit.id})
    assert response.status_code == 302
    assert _outline(db, ids["course"]) == [("第二章", [])]
    assert db.session.scalars(db.select(Lesson).where(Lesson.resource_id == ids["course"])).all() == []
    assert "已更新章节" in client.get(url).get_data(as_text=True)
