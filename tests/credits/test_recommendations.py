"""Recommendations from real rows: enrolments, a pathway in progress, what other workers finished, the union's
catalog; shown on the home page with their reasons, in a bounded number of queries."""

from __future__ import annotations

from sqlalchemy import event, update

from app.accounts import organisations, profiles
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db
from catalog import union_catalogs
from credits import recommendations
from learning.enrolment import enrol
from learning.models import Enrolment
from tests.catalog.helpers import make
from tests.credits.credit_factories import complete, pathway, worker


def _course(title: str, industries: str = "能源") -> object:
    return make(title=title, publish=True, credits="2", industries=industries)


def _finish(user, course) -> None:
    enrol(db.session, user, course.id)
    db.session.execute(update(Enrolment).where(Enrolment.user_id == user.id, Enrolment.resource_id == course.id)
                       .values(completed_at=utcnow()))
    complete(user, course)


def _world():
    basics, wiring, motors, forklift, cooking = (_course("电工基础"), _course("照明电路安装"), _course("电动机控制"),
                                                 _course("叉车安全操作", "物流"), _course("浙菜制作", "餐饮"))
    track = pathway(10, ((basics, True), (motors, True)), title="电工 高级工", kind="skill")
    for name in ("甲", "乙", "丙"):  # workers who took 电工基础 went on to finish 照明电路安装
        peer = worker(name)
        _finish(peer, basics)
        _finish(peer, wiring)
    me = worker("张小明")
    _finish(me, basics)
    return me, track, basics, wiring, motors, forklift, cooking


def _ids(found) -> list[int]:
    return [r.course.id for r in found]


def test_pathway_first_then_peers_and_nothing_finished(db):
    me, track, basics, wiring, motors, forklift, cooking = _world()
    found = recommendations.for_user(db.session, me, 5)
    assert found[0].course.id == motors.id
    assert recommendations.explain(found[0].reasons[0]) == "因为你在学 电工 高级工 路径"
    assert found[1].course.id == wiring.id
    assert recommendations.explain(found[1].reasons[0]) == "学过《电工基础》的工友也学完了这门"
    assert basics.id not in _ids(found)
    assert all(r.reasons for r in found)


def test_union_catalog_courses_are_explained_by_the_union(db):
    me, *_rest, cooking = _world()
    hangzhou = organisations.get_by_code(db.session, "330100")
    catalog = union_catalogs.create_catalog(db.session, SYSTEM, hangzhou, inherit=False)
    union_catalogs.add_resource(db.session, SYSTEM, catalog, catalog.sections[0].id, cooking.id)
    profiles.update_profile(db.session, me, me, {"union_member": "1", "union_code": "330100"})
    found = {r.course.id: r for r in recommendations.for_user(db.session, me, 10)}
    assert cooking.id in found
    assert f"{hangzhou.name}资源目录推荐" in [recommendations.explain(x) for x in found[cooking.id].reasons]


def test_query_count_does_not_grow_with_the_number_of_cards(db):
    me, *_ = _world()
    statements: list[str] = []
    engine = db.engine

    def count(*_args) -> None:
        statements.append("q")

    event.listen(engine, "before_cursor_execute", count)
    try:
        few = len(recommendations.for_user(db.session, me, 2)) and len(statements)
        statements.clear()
        more = len(recommendations.for_user(db.session, me, 10)) and len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert few == more and more <= 20


def test_home_page_shows_the_worker_a_recommendation_that_explains_itself(app, client, auth):
    with app.app_context():
        me, *_ = _world()
        db.session.commit()
        phone = me.phone
    auth.login(phone)
    page = client.get("/").get_data(as_text=True)
    assert "接下来学什么" in page and "电动机控制" in page and "因为你在学 电工 高级工 路径" in page
    auth.logout()
    assert "接下来学什么" not in client.get("/").get_data(as_text=True)


def test_a_finished_course_says_what_to_study_next(app, client, auth):
    with app.app_context():
        me, _track, basics, *_ = _world()
        db.session.commit()
        phone, lesson_id = me.phone, basics.lessons[0].id
    auth.login(phone)
    page = client.get(f"/learning/lessons/{lesson_id}").get_data(as_text=True)
    card = page[page.index('data-celebrate="course"'):]
    assert "接下来学什么" in card and "电动机控制" in card and "因为你在学 电工 高级工 路径" in card
