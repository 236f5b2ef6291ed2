"""The parts of catalog pages shared by every viewer (app/sharedparts.py): a change shows on the very next page,
in this process and in another one on the same data; each person still sees only their own part."""

from pathlib import Path

from flask import Flask

from app import create_app
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog import service
from catalog.models import Resource
from learning import enrolment
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import Auth, _config


def _title(db, resource_id: int, title: str) -> None:
    """A published resource's title changed in the database (by an operator's correction, say)."""
    db.session.get(Resource, resource_id).title = title
    db.session.commit()


def test_a_changed_resource_shows_on_the_next_list_and_resource_page(app, client, auth, db):
    course = make(title="钢筋工培训", kind="course", lesson_count=2, publish=True)
    db.session.commit()
    auth.as_role("worker")
    for url in ("/catalog/all", "/catalog/menu/skills", f"/catalog/r/{course.id}"):
        assert "钢筋工培训" in client.get(url).get_data(as_text=True)
        assert "钢筋工培训" in client.get(url).get_data(as_text=True)  # now from the shared part
    _title(db, course.id, "钢筋工进阶")
    for url in ("/catalog/all", "/catalog/menu/skills", f"/catalog/r/{course.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "钢筋工进阶" in page and "钢筋工培训" not in page, url
    db.session.get(Resource, course.id).lessons[1].title = "改过的一课"
    db.session.commit()
    assert "改过的一课" in client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    service.unpublish(db.session, SYSTEM, db.session.get(Resource, course.id), "过时")
    db.session.commit()
    assert client.get(f"/catalog/r/{course.id}").status_code == 404
    assert "钢筋工进阶" not in client.get("/catalog/all").get_data(as_text=True)


def test_an_enrolment_moves_the_count_shown_to_everyone(app, client, auth, db):
    course = make(title="电工基础", kind="course", lesson_count=1, publish=True)
    db.session.commit()
    before = client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert "0人在学" in client.get("/catalog/all").get_data(as_text=True) and "<dd>0</dd>" in before
    enrolment.enrol(db.session, factories.user("worker"), course.id)
    db.session.commit()
    assert "<dd>1</dd>" in client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert "1人在学" in client.get("/catalog/all").get_data(as_text=True)


def test_two_workers_each_see_their_own_part_around_the_shared_one(app):
    with app.app_context():  # only for the setting up: each request below gets its own context (and `g`)
        course = make(title="安全用电", kind="course", lesson_count=2, publish=True)
        first = factories.user("worker", name="甲工人")
        second = factories.user("worker", name="乙工人")
        enrolment.enrol(_db.session, first, course.id)
        course_id, phones = course.id, {"first": first.phone, "second": second.phone}
        _db.session.commit()
    pages = {}
    for who in ("first", "second", "first"):  # the second and third pages use the parts the first one made
        client = app.test_client()
        Auth(app, client).login(phones[who])
        pages[who] = (client.get(f"/catalog/r/{course_id}").get_data(as_text=True),
                      client.get("/catalog/all").get_data(as_text=True))
    (mine, my_list), (theirs, their_list) = pages["first"], pages["second"]
    assert "继续学习" in mine and "甲工人" in mine and "乙工人" not in mine
    assert "立即学习" in theirs and "继续学习" not in theirs and "乙工人" in theirs and "甲工人" not in theirs
    assert "甲工人" in my_list and "乙工人" not in my_list and "乙工人" in their_list and "甲工人" not in their_list
    assert "安全用电" in mine and "安全用电" in theirs


def test_a_change_made_by_another_process_shows_at_once(app, client):
    """Another app on the same data (another web process, `qiuxue worker`, an import from the command line); each
    request gets its own context here, as in a server."""
    with app.app_context():
        course_id = make(title="焊工入门", kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    assert "焊工入门" in client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    assert "焊工入门" in client.get("/catalog/all").get_data(as_text=True)
    other: Flask = create_app(_config(Path(app.config["DATA_DIR"])))
    with other.app_context():
        _title(_db, course_id, "焊工提高")
        _db.engine.dispose()
    assert other.extensions["shared_parts"] is not app.extensions["shared_parts"]
    assert "焊工提高" in client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    assert "焊工提高" in client.get("/catalog/all").get_data(as_text=True)


def test_page_views_counted_in_batches_do_not_throw_the_shared_parts_away(app, client, db):
    course = make(title="叉车驾驶", publish=True)
    db.session.commit()
    parts = app.extensions["shared_parts"]
    client.get(f"/catalog/r/{course.id}")
    generation = parts.generation()
    assert app.extensions["catalog_views"].flush(db.engine) == 1
    assert parts.generation() == generation
    assert "叉车驾驶" in client.get(f"/catalog/r/{course.id}").get_data(as_text=True)


def test_an_unpublished_resource_is_rendered_for_its_staff_every_time(app, client, auth, db):
    draft = make(title="内部草稿")
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    page = client.get(f"/catalog/r/{draft.id}").get_data(as_text=True)
    assert "此资源尚未发布" in page and "内部草稿" in page
    kept = {key[:2]: value for (key, _lang), (_gen, _ttl, value, _size) in
            app.extensions["shared_parts"]._parts.items()}
    assert kept.get(("catalog.resource", draft.id)) is None  # nothing of the draft's page is kept


def test_the_share_card_names_the_host_the_page_was_asked_on(app, client, db):
    """The resource page's share card and Open Graph tags are absolute URLs, kept with the shared part: a page
    asked on one host name must not be served with another's links."""
    course = make(title="砌筑工", kind="course", lesson_count=1, publish=True)
    db.session.commit()
    for host in ("one.example", "two.example", "one.example"):
        page = client.get(f"/catalog/r/{course.id}", base_url=f"http://{host}").get_data(as_text=True)
        assert f'property="og:url" content="http://{host}/catalog/r/{course.id}"' in page
        assert f'value="http://{host}/catalog/r/{course.id}"' in page
        assert ("two.example" in page) == (host == "two.example")
