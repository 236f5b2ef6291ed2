"""A change to one resource's rows makes again only what shows that resource (its page) and what shows no one
resource (lists): every other resource's kept page stays (app/part_scopes.py). Anything else, or a write whose rows
cannot be told, still makes every page again.

Whether a page was made again is seen as a visitor would see it: each test first changes the other resource's title
straight in the database, which no commit of the site announces, so that page shows the new title only if it is
made again."""

import os
import warnings
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.exc import SAWarning

from app import create_app
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from app.part_scopes import Versions
from catalog import service
from catalog.models import Lesson, Resource, ResourceTeacher, Tag
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, _config
from tests.waiting import wait_until


def _by_hand(resource_id: int, title: str) -> None:
    """A title changed on the driver's own connection: nothing of the site hears of it."""
    raw = _db.engine.raw_connection()
    try:
        raw.cursor().execute("UPDATE resources SET title = %s WHERE id = %s" if TEST_DATABASE_URL else
                             "UPDATE resources SET title = ? WHERE id = ?", (title, resource_id))
        raw.commit()
    finally:
        raw.close()


@pytest.fixture
def two(app, client):
    """Two published resources, each page seen (kept), then the second one's title changed unannounced."""
    with app.app_context():
        first = make(title="砌筑工入门", kind="course", lesson_count=2, publish=True, tags="砌筑")
        second = make(title="抹灰工入门", kind="course", lesson_count=1, publish=True)
        _db.session.commit()
        ids = first.id, second.id
    for rid, title in zip(ids, ("砌筑工入门", "抹灰工入门"), strict=True):
        assert title in client.get(f"/catalog/r/{rid}").get_data(as_text=True)
    with app.app_context():
        _by_hand(ids[1], "抹灰工（未通知）")
    return ids


def _shows(client, resource_id: int, text: str) -> bool:
    return text in client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)


def test_a_resource_changed_makes_its_page_and_the_lists_again_and_keeps_the_others(app, client, db, two):
    first, second = two
    db.session.get(Resource, first).title = "砌筑工提高"
    db.session.commit()
    assert _shows(client, first, "砌筑工提高")
    assert _shows(client, second, "抹灰工入门")  # kept: its rows did not change
    listed = client.get("/catalog/all").get_data(as_text=True)
    assert "砌筑工提高" in listed and "抹灰工（未通知）" in listed  # a list shows every resource: made again


def test_a_lesson_renamed_moved_or_deleted_makes_its_resources_pages_again(app, client, db, two):
    first, second = two
    lesson = db.session.get(Resource, first).lessons[0]
    lesson.title = "墙体砌筑"  # by its id alone: its resource is read before the statement
    db.session.commit()
    assert _shows(client, first, "墙体砌筑") and _shows(client, second, "抹灰工入门")
    lesson = db.session.get(Lesson, lesson.id)
    lesson.resource_id, lesson.unit_id = second, None  # moved: both resources' pages
    db.session.commit()
    assert not _shows(client, first, "墙体砌筑")
    assert _shows(client, second, "墙体砌筑") and _shows(client, second, "抹灰工（未通知）")
    with app.app_context():
        _by_hand(second, "抹灰工（再次未通知）")
    other = db.session.get(Resource, first).lessons[0]
    db.session.delete(other)
    db.session.commit()
    assert not _shows(client, first, other.title)
    assert _shows(client, second, "抹灰工（未通知）")  # kept since the move


def test_a_change_to_what_many_resources_show_makes_every_page_again(app, client, db, two):
    """A tag renamed (many resources show it) and a statement whose rows cannot be told: every page."""
    first, second = two
    db.session.query(Tag).filter_by(name="砌筑").one().name = "砌筑技术"
    db.session.commit()
    assert _shows(client, first, "砌筑技术") and _shows(client, second, "抹灰工（未通知）")
    with app.app_context():
        _by_hand(second, "抹灰工（再次未通知）")
    db.session.execute(update(Lesson).where(Lesson.duration_s >= 0).values(required=True))
    db.session.commit()
    assert _shows(client, second, "抹灰工（再次未通知）")


@pytest.mark.parametrize("shape", ["bound under another name", "an expression", "insert from a select",
                                   "another table's column"])
def test_statements_whose_rows_cannot_be_told_make_every_page_again(app, client, db, two, shape):
    """Each writes rows of the second resource while naming only the first, or names rows it does not write: the
    second page must be made again (it shows the title changed unannounced)."""
    first, second = two
    lessons = Lesson.__table__
    if shape == "bound under another name":
        lesson_id = db.session.get(Resource, first).lessons[0].id
        db.session.execute(update(lessons).where(lessons.c.id == bindparam("lid"))
                           .values(resource_id=bindparam("rid"), unit_id=None), {"lid": lesson_id, "rid": second})
    elif shape == "an expression":
        lesson_id = db.session.get(Resource, first).lessons[0].id
        db.session.execute(update(lessons).where(lessons.c.id == lesson_id)
                           .values(resource_id=lessons.c.resource_id + (second - first), unit_id=None))
    elif shape == "insert from a select":
        names = ["resource_id", "title", "type", "duration_s", "body_html", "body_md", "external_url", "required",
                 "position", "updated_at"]
        db.session.execute(insert(lessons).from_select(names, select(
            literal(second), lessons.c.title, lessons.c.type, lessons.c.duration_s, lessons.c.body_html,
            lessons.c.body_md, lessons.c.external_url, lessons.c.required, lessons.c.position + 10,
            lessons.c.updated_at).where(lessons.c.resource_id == bindparam("resource_id"))), {"resource_id": first})
    else:  # every teacher row, through the other table's condition (SQLAlchemy warns of the cartesian product)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            db.session.execute(update(ResourceTeacher.__table__).where(lessons.c.resource_id == first)
                               .values(name="不相干"))
    db.session.commit()
    assert _shows(client, second, "抹灰工（未通知）")


def test_a_connection_committing_twice_before_it_is_handed_back_moves_on_everything_it_changed(app, db, two):
    """A connection kept across transactions (the heartbeats' writer keeps one): what its check-in moves on adds up
    every commit's changes, and a change to everything wins over a resource's."""
    first, second = two
    with db.engine.connect() as conn:
        conn.execute(update(Tag.__table__).where(Tag.__table__.c.name == "砌筑").values(name="砌筑技术"))
        conn.commit()
        conn.execute(update(Resource.__table__).where(Resource.__table__.c.id == second).values(title="抹灰工提高"))
        conn.commit()
        assert conn.info["sharedparts_again"] is True
    with db.engine.connect() as conn:
        for rid in (first, second):
            conn.execute(update(Resource.__table__).where(Resource.__table__.c.id == rid).values(summary="新简介"))
            conn.commit()
        assert conn.info["sharedparts_again"] == frozenset({first, second})


def test_unpublishing_a_resource_takes_its_page_away_at_once(app, client, db, two):
    first, second = two
    service.unpublish(db.session, SYSTEM, db.session.get(Resource, first), "内容需要更新")
    db.session.commit()
    assert client.get(f"/catalog/r/{first}").status_code == 404
    assert _shows(client, second, "抹灰工入门")


def test_a_resource_changed_by_another_process_makes_only_its_page_again(app, client, two):
    """Another process on this host (its own app, the same data folder) tells through the generation file."""
    first, second = two
    other = create_app(_config(Path(app.config["DATA_DIR"])))
    with other.app_context():
        _db.session.get(Resource, first).title = "砌筑工（另一进程）"
        _db.session.commit()
    assert _shows(client, first, "砌筑工（另一进程）") and _shows(client, second, "抹灰工入门")
    with other.app_context():
        _db.session.query(Tag).filter_by(name="砌筑").one().name = "砌筑（另一进程）"
        _db.session.commit()
        _db.engine.dispose()
    assert _shows(client, second, "抹灰工（未通知）")


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True, SHARED_PARTS_SECONDS=600.0)
def test_a_resource_changed_on_another_host_makes_only_its_page_again(app, client, tmp_path):
    listener = app.extensions["parts_listener"]
    try:
        with app.app_context():
            first = make(title="钢筋工入门", kind="course", lesson_count=1, publish=True).id
            second = make(title="模板工入门", kind="course", lesson_count=1, publish=True).id
            _db.session.commit()
        assert _shows(client, first, "钢筋工入门")
        assert wait_until(listener.hearing, 10)
        assert _shows(client, first, "钢筋工入门") and _shows(client, second, "模板工入门")
        with app.app_context():
            _by_hand(second, "模板工（未通知）")
        other = create_app({**_config(tmp_path / "other-host"), "SHARED_PARTS_LISTEN": False})
        with other.app_context():
            _db.session.get(Resource, first).title = "钢筋工（另一主机）"
            _db.session.commit()
            _db.engine.dispose()
        assert wait_until(lambda: _shows(client, first, "钢筋工（另一主机）"), 10)
        assert _shows(client, second, "模板工入门")
    finally:
        listener.stop()


def test_the_generation_file_is_read_record_by_record(tmp_path):
    """Other processes' records: one resource, everything, a record still being written, and anything unreadable
    (which counts as everything)."""
    file = tmp_path / "g"
    file.write_bytes(b".")
    versions = Versions(file)

    def now(resource_id: int) -> tuple[int, int]:
        stat = file.stat()
        return versions.of(resource_id, (stat.st_ino, stat.st_size, 0))

    start = now(7)
    with open(file, "ab") as fh:
        fh.write(b"[99-ab 7,8]")
    assert now(7) == (start[0], start[1] + 1) and now(9) == (start[0], 0)
    with open(file, "ab") as fh:
        fh.write(versions.record(frozenset({9})) + b"[99-ab 9")  # its own record, then another's half written
    assert now(9) == (start[0], 0)
    with open(file, "ab") as fh:
        fh.write(b"]")
    assert now(9) == (start[0], 1)
    with open(file, "ab") as fh:
        fh.write(b".")
    assert now(9) == (start[0] + 1, 1)
    with open(file, "ab") as fh:
        fh.write(b"?")
    assert now(9)[0] == start[0] + 2
    assert versions.of(9, (file.stat().st_ino, 1, 0)) == now(9)  # a request's older look at the file: nothing new


def test_a_forked_process_counts_the_records_its_parent_writes_after_the_fork(tmp_path):
    """A server forks its workers after the app is made: a worker must not take its parent's records for its own."""
    file = tmp_path / "g"
    file.write_bytes(b".")
    versions = Versions(file)
    versions.record(frozenset({1}))  # the parent has written before the fork, and read the file
    versions.of(7, (file.stat().st_ino, file.stat().st_size, 0))
    written, answer = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: waits for the parent's record, then says what it counts for resource 7
        try:
            os.read(written[0], 1)
            stat = file.stat()
            os.write(answer[1], str(versions.of(7, (stat.st_ino, stat.st_size, 0))[1]).encode())
        finally:
            os._exit(0)
    with open(file, "ab") as fh:
        fh.write(versions.record(frozenset({7})))
    os.write(written[1], b"!")
    os.waitpid(pid, 0)
    assert os.read(answer[0], 16) == b"1"
