"""The parts of catalog pages shared by every viewer (app/sharedparts.py): a change shows on the very next page,
in this process and in another one on the same data; each person still sees only their own part."""

import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine

from app import create_app, parts_listener
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog import service
from catalog.models import Resource
from learning import enrolment
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, Auth, _config
from tests.waiting import wait_until


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


def _counts(client, resource_id: int) -> tuple[str, str]:
    """The learners' count on the resource page and on its card in the list (anonymous)."""
    page = client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)
    card = client.get("/catalog/all").get_data(as_text=True)
    return page.split("<dt>学习人数</dt><dd>")[1].split("</dd>")[0], card.split("人在学")[0].rsplit(">", 1)[-1].strip()


def test_an_enrolment_keeps_the_pages_parts_and_a_real_change_still_shows_at_once(app, client, db):
    """At the province's peak (an enrolment a second) no kept part would be used twice if each enrolment made them
    all again: the pages keep their parts, the count up to SHARED_COUNTS_SECONDS (60 s) old."""
    course = make(title="电工基础", kind="course", lesson_count=1, publish=True)
    db.session.commit()
    assert _counts(client, course.id) == ("0", "0")
    enrolment.enrol(db.session, factories.user("worker"), course.id)
    db.session.commit()
    assert _counts(client, course.id) == ("0", "0")  # the parts made before the enrolment
    _title(db, course.id, "电工基础（新版）")
    assert "电工基础（新版）" in client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert _counts(client, course.id) == ("1", "1")  # made again by the change, with the count as it is now


@pytest.mark.app_config(SHARED_COUNTS_SECONDS=1.0)
def test_an_enrolment_made_by_another_process_shows_once_the_parts_are_that_old(app, client):
    other: Flask = create_app(_config(Path(app.config["DATA_DIR"])))  # made first: the parts' second starts below
    with app.app_context():
        course_id = make(title="电工基础", kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    assert _counts(client, course_id) == ("0", "0")
    made = time.monotonic()
    with other.app_context():
        enrolment.enrol(_db.session, factories.user("worker"), course_id)
        _db.session.commit()
        _db.engine.dispose()
    assert _counts(client, course_id) == ("0", "0")
    time.sleep(max(0.0, made + 1.05 - time.monotonic()))
    assert _counts(client, course_id) == ("1", "1")


@pytest.mark.app_config(SHARED_COUNTS_SECONDS=0)
def test_with_no_counts_lifetime_an_enrolment_shows_on_the_next_page(app, client, db):
    course = make(title="电工基础", kind="course", lesson_count=1, publish=True)
    db.session.commit()
    assert _counts(client, course.id) == ("0", "0")
    enrolment.enrol(db.session, factories.user("worker"), course.id)
    db.session.commit()
    assert _counts(client, course.id) == ("1", "1")


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


def _another_host(tmp_path: Path) -> Flask:
    """Another host: its own data folder (no generation file shared), the same database."""
    return create_app({**_config(tmp_path / "other-host"), "SHARED_PARTS_LISTEN": False})


def _title_there(other: Flask, resource_id: int, title: str) -> None:
    with other.app_context():
        _title(_db, resource_id, title)
        _db.engine.dispose()


def _kept_page(app, client, title: str) -> tuple[int, str]:
    """A published resource and its page, seen twice: the shared part kept (while hearing, when the app listens)."""
    with app.app_context():
        course_id = make(title=title, kind="course", lesson_count=1, publish=True).id
        _db.session.commit()
    page = f"/catalog/r/{course_id}"
    assert title in client.get(page).get_data(as_text=True)  # starts listening
    listener = app.extensions.get("parts_listener")
    assert listener is None or wait_until(listener.hearing, 10)
    assert title in client.get(page).get_data(as_text=True)  # kept
    return course_id, page


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True, SHARED_PARTS_SECONDS=600.0)
def test_a_change_made_on_another_host_shows_at_once_and_parts_are_kept_until_a_change(app, client, tmp_path):
    """Without a notification this page would show the old title for SHARED_PARTS_SECONDS (here 10 minutes)."""
    listener = app.extensions["parts_listener"]
    try:
        other = _another_host(tmp_path)
        course_id, page = _kept_page(app, client, "焊工入门")
        parts = app.extensions["shared_parts"]
        assert min(entry[1] for entry in parts._parts.values()) - time.monotonic() > 3000  # an hour, not 600 s
        _title_there(other, course_id, "焊工提高")
        assert wait_until(lambda: "焊工提高" in client.get(page).get_data(as_text=True), 10)
        assert "焊工提高" in client.get("/catalog/all").get_data(as_text=True)
    finally:
        stopped = listener.stop()
    assert stopped  # ended, not ending: a probe's pool connection given back after the engine's disposal stays open


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True, SHARED_PARTS_SECONDS=600.0)
def test_a_change_made_while_the_listener_is_cut_off_still_shows_once_it_hears_again(app, client, tmp_path):
    """Its connection ended by the database (a restart, a failover): what it kept is dropped, since a change may
    go unheard, and it listens again."""
    listener = app.extensions["parts_listener"]
    try:
        other = _another_host(tmp_path)
        course_id, page = _kept_page(app, client, "电焊安全")
        cut = listener.backend_pid
        with app.app_context():
            _db.session.execute(_db.text("SELECT pg_terminate_backend(:pid)"), {"pid": cut})
            _db.session.commit()
        _title_there(other, course_id, "电焊安全（修订）")  # maybe while nobody listens
        assert wait_until(lambda: "电焊安全（修订）" in client.get(page).get_data(as_text=True), 20)
        assert wait_until(lambda: listener.hearing() and listener.backend_pid != cut, 20)
    finally:
        listener.stop()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True, SHARED_PARTS_SECONDS=600.0)
def test_a_listener_that_cannot_listen_again_stops_trusting_what_it_kept(app, client, tmp_path):
    """Cut off, and every new connection of its own refused (say, max_connections reached) while the site's pool
    still works: it stays deaf, so what it kept for an hour is dropped and a change made meanwhile shows."""
    listener = app.extensions["parts_listener"]
    try:
        other = _another_host(tmp_path)
        course_id, page = _kept_page(app, client, "管道工入门")
        listener.dsn = "postgresql://postgres@127.0.0.1:1/refused"  # nothing listens on port 1
        with app.app_context():
            _db.session.execute(_db.text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.backend_pid})
            _db.session.commit()
        assert wait_until(lambda: not listener.hearing(), 10)
        _title_there(other, course_id, "管道工进阶")  # heard by nobody here
        assert "管道工进阶" in client.get(page).get_data(as_text=True)
        assert not listener.hearing()
    finally:
        listener.stop()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="PostgreSQL only")
@pytest.mark.app_config(SHARED_PARTS_LISTEN=True, SHARED_PARTS_SECONDS=600.0)
def test_a_listener_stuck_without_failing_stops_trusting_what_it_kept(app, client, tmp_path, monkeypatch):
    """The listening thread stuck where nothing times out soon (here its probe waits for a connection from a pool
    that has none to give, as when every connection hangs): no error ever comes, yet once its probe is LAPSE_S
    late the process counts as deaf, so the page kept for an hour is dropped and a change nobody heard shows."""
    monkeypatch.setattr(parts_listener, "CHECK_S", 0.5)
    monkeypatch.setattr(parts_listener, "LAPSE_S", 1.5)
    listener = app.extensions["parts_listener"]
    stuck = create_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0, pool_timeout=60)
    held = stuck.connect()
    try:
        other = _another_host(tmp_path)
        course_id, page = _kept_page(app, client, "架子工入门")
        listener.engine = stuck  # its next probe waits for `held`
        time.sleep(2 * parts_listener.CHECK_S)  # it is waiting now, and has not heard its probe since
        _title_there(other, course_id, "架子工进阶")  # told, but the stuck thread reads nothing
        assert wait_until(lambda: "架子工进阶" in client.get(page).get_data(as_text=True), 10)
        assert not listener.hearing()
        held.close()  # the probe goes out and comes back: it hears again
        assert wait_until(listener.hearing, 10)
    finally:
        listener.stop()
        held.close()
        stuck.dispose()


@pytest.mark.app_config(SHARED_PARTS_LISTEN=bool(TEST_DATABASE_URL), SHARED_PARTS_SECONDS=600.0)
def test_a_row_changed_by_hand_shows_everywhere_once_an_operator_runs_drop_kept(app, client, tmp_path):
    """No commit of the site tells anyone of a row changed by hand (psql, a restore): the kept part shows the old
    title until `qiuxue drop-kept`, run on another host (PostgreSQL) or in another process of this one (SQLite)."""
    listener = app.extensions.get("parts_listener")
    try:
        other = _another_host(tmp_path) if TEST_DATABASE_URL else create_app(_config(Path(app.config["DATA_DIR"])))
        course_id, page = _kept_page(app, client, "钳工基础")
        with app.app_context():  # straight on the driver: no hook of the site sees it
            raw = _db.engine.raw_connection()
            try:
                raw.cursor().execute("UPDATE resources SET title = %s WHERE id = %s" if TEST_DATABASE_URL else
                                     "UPDATE resources SET title = ? WHERE id = ?", ("钳工进阶", course_id))
                raw.commit()
            finally:
                raw.close()
        assert "钳工基础" in client.get(page).get_data(as_text=True)  # nobody was told
        result = other.test_cli_runner().invoke(args=["drop-kept"])
        assert result.exit_code == 0 and "sharedparts" in result.output, result.output
        assert wait_until(lambda: "钳工进阶" in client.get(page).get_data(as_text=True), 10)
        with other.app_context():
            _db.engine.dispose()
    finally:
        if listener is not None:
            listener.stop()


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
    kept = {key[:2]: value for (key, _lang), (_gen, _ttl, value, _size, _made) in
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


def _page(client, resource_id: int) -> str:
    return client.get(f"/catalog/r/{resource_id}").get_data(as_text=True)


def test_a_page_made_anew_shows_every_fact_and_the_next_change_of_each(app, client, auth, db):
    """The shared part is read in statements of its own (catalog/resource_page.py) whenever it is made: each of the
    resource's collections shows, in order, and a change to any of them shows on the very next page."""
    from catalog.models import Lesson, LessonType, ResourceTeacher, Tag, Unit

    course = make(title="焊工入门", kind="course", lesson_count=2, publish=True, teachers="张老师（技师）\n李老师",
                  tags="焊接,安全", industries="manufacturing", audience="general", credits="2")
    db.session.commit()
    auth.as_role("worker")
    for _twice in range(2):  # made, then kept
        page = _page(client, course.id)
        assert "张老师（技师）、李老师" in page and "第一章" in page and page.index("第1课") < page.index("第2课")
        assert page.index(">安全<") < page.index(">焊接<") and '"keywords": ["安全", "焊接"]' in page
        assert "制造" in page and "立即学习" in page and "2 学分" in page
    item = db.session.get(Resource, course.id)
    item.teachers.append(ResourceTeacher(name="王师傅", title="", position=2))
    item.tags.append(Tag(name="气割"))
    unit = Unit(resource_id=item.id, title="第二章", position=1)
    db.session.add(unit)
    db.session.flush()
    db.session.add(Lesson(resource_id=item.id, unit_id=unit.id, position=2, title="实操一课", type=LessonType.reading,
                          body_html="<p>读</p>"))
    db.session.commit()
    page = _page(client, course.id)
    assert "张老师（技师）、李老师、王师傅" in page and ">气割<" in page
    assert page.index("<h3>第二章</h3>") < page.rindex("实操一课") and "3个，共20分钟" in page


def test_a_pathway_or_a_mentor_added_later_shows_on_the_next_page(app, client, auth, db):
    """Most resources are on no pathway and have no mentor: the page asks a set kept with the shared parts first,
    which a new pathway item or mentor moves on with everything else."""
    from app.accounts import organisations
    from credits import pathways
    from programme.partnership import mentors
    from programme.partnership.mentors import MentorInput
    from tests.credits.credit_factories import pathway
    from tests.programme.partnership.test_mentors import studied_by_a_worker

    course = make(title="电梯维保", publish=True)
    enterprise_staff = factories.user("enterprise_staff", "ENT-T1", name="赵师傅")
    studied_by_a_worker(course)  # what naming a mentor for it needs
    db.session.commit()
    auth.as_role("worker")
    page = _page(client, course.id)
    assert "可计入以下学分路径" not in page and "校企双导师" not in page
    track = pathway(60, ((course, True),), title="电梯安装维修工（中级）")
    db.session.commit()
    assert "电梯安装维修工（中级）" in _page(client, course.id)
    mentors.name_mentor(db.session, SYSTEM, organisations.get_by_code(db.session, "ENT-T1"),
                        MentorInput(enterprise_staff.id, resource_id=course.id, title="班组长"))
    db.session.commit()
    assert "赵师傅（班组长）" in _page(client, course.id)
    pathways.retire(db.session, SYSTEM, track.id)
    db.session.commit()
    page = _page(client, course.id)
    assert "电梯安装维修工（中级）" not in page and "赵师傅（班组长）" in page
