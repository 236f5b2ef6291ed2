"""Batch enrolment (every row checked first, each refusal on its own line, nobody enrolled while one row is
wrong) and nominations (only the enterprise's confirmed workers; seen by the worker and the verifying union)."""

import pytest
from sqlalchemy import func, select

from app.errors import Forbidden, Invalid
from credits import pathways
from learning.models import Enrolment
from programme.admissions import applications
from programme.enterprises import batch, nominations
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.programme.enterprises.helpers import OTHER, boss, linked
from tests.programme.helpers import OPEN_DAY, offering, open_year, org, staff, worker


def _csv(*lines: str) -> bytes:
    return ("手机号,姓名\n" + "\n".join(lines) + "\n").encode()


def _enrolments(db) -> int:
    return db.session.scalar(select(func.count(Enrolment.id)))


def test_a_list_with_bad_rows_enrols_nobody_and_says_why_per_row(db):
    course = make(publish=True)
    good = linked(factories.user(name="李小梅"))
    other = linked(factories.user(name="外企职工"), OTHER)
    stranger = factories.user(name="未关联")
    data = _csv(f"{good.phone},李小梅", "12345,某人", "13999999999,", f"{good.phone},李小梅", f"{other.phone},外企职工",
                f"{stranger.phone},", f"{linked(factories.user(name='张三')).phone},李四")
    found = batch.target(db.session, "resource", course.id)
    with pytest.raises(Invalid) as err:
        batch.enrol_group(db.session, boss(), org(factories.ENTERPRISE), found, batch.rows_from_file(data, "l.csv"))
    fields = err.value.fields
    assert set(fields) == {"row-3", "row-4", "row-5", "row-6", "row-7", "row-8"}  # row 2 is the good one
    # a number without an account reads as a stranger's: the list does not tell who is registered
    assert "不是11位手机号码" in fields["row-3"] and "不是本企业已确认的职工" in fields["row-4"]
    assert "注册" not in fields["row-4"].split("（")[0]
    assert "与第2行重复" in fields["row-5"] and "不是本企业已确认的职工" in fields["row-6"]
    assert "不是本企业已确认的职工" in fields["row-7"] and "姓名“李四”" in fields["row-8"]
    assert "6行有误" in err.value.message
    assert _enrolments(db) == 0  # not even the good row


def test_a_good_list_or_picks_enrol_everyone_in_a_resource_or_a_pathway(db):
    first, second = make(publish=True, title="安全用电"), make(publish=True, title="电工基础")
    path = pathways.create(db.session, staff("institution_staff"), org(factories.INSTITUTION),
                           {"title": "电工技能提升", "kind": "skill", "required_credits": "0"})
    for course in (first, second):
        pathways.add_item(db.session, staff("institution_staff"), path.id, course.id, True)
    people = [linked(factories.user(name=f"职工{i}")) for i in range(3)]
    enterprise = org(factories.ENTERPRISE)
    done = batch.enrol_group(db.session, boss(), enterprise, batch.target(db.session, "resource", first.id),
                             batch.rows_from_file(_csv(*(p.phone for p in people)), "l.csv"))
    assert (len(done.workers), done.enrolled) == (3, 3)
    done = batch.enrol_group(db.session, boss(), enterprise, batch.target(db.session, "pathway", path.id),
                             batch.rows_from_picks(db.session, enterprise, [p.id for p in people]))
    assert done.enrolled == 6  # 3 workers x 2 courses open, made now or before: the answer does not say which
    assert _enrolments(db) == 6  # the first course was already theirs: nothing twice
    with pytest.raises(Forbidden):
        batch.enrol_group(db.session, boss(OTHER), enterprise, done.target, [batch.Row(1, people[0].phone)])
    with pytest.raises(Invalid):
        batch.target(db.session, "resource", make(title="草稿").id)  # unpublished


def test_the_upload_page_lists_each_bad_row(app, client, auth):
    with app.app_context():
        from app.extensions import db as _db
        course = make(publish=True)
        good = linked(factories.user(name="李小梅"))
        phone, course_id, good_phone = boss().phone, course.id, good.phone
        _db.session.commit()
    auth.login(phone)
    import io
    response = post_form(client, "/programme/enterprise/enrol", {
        "target": f"resource:{course_id}",
        "file": (io.BytesIO(_csv(good_phone, "13999999999")), "名单.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "第3行" in page and "没有为任何人报名" in page


def test_nominations_go_to_confirmed_workers_and_show_to_the_worker_and_the_union(app, db):
    plan = open_year()
    item = offering(plan)
    people = [linked(worker(f"职工{i}")) for i in range(3)]
    unconfirmed = linked(worker("未确认"), confirm=False)
    enterprise = org(factories.ENTERPRISE)
    with pytest.raises(Invalid) as err:  # one not confirmed: nobody is nominated
        nominations.nominate(db.session, boss(), enterprise, [p.id for p in people] + [unconfirmed.id], item)
    assert list(err.value.fields) == [f"user-{unconfirmed.id}"]
    assert nominations.of_enterprise(db.session, boss(), enterprise) == []
    made = nominations.nominate(db.session, boss(), enterprise, [p.id for p in people], item, "车间骨干")
    assert len(made) == 3 and nominations.for_worker(db.session, people[0])[0].note == "车间骨干"
    with pytest.raises(Invalid):  # twice the same
        nominations.nominate(db.session, boss(), enterprise, [people[0].id], item)
    with pytest.raises(Forbidden):
        nominations.nominate(db.session, boss(OTHER), enterprise, [people[0].id], item)
    application = applications.apply(db.session, people[0], item, OPEN_DAY)  # the worker applies themselves
    assert [n.enterprise.code for n in nominations.for_application(db.session, application)] == [factories.ENTERPRISE]
    nominations.withdraw(db.session, boss(), enterprise, made[0].id)
    assert nominations.for_application(db.session, application) == []


def test_the_union_verifying_and_the_worker_see_the_recommendation(app, client, auth):
    from app.extensions import db as _db

    with app.app_context():
        item = offering(open_year())
        person = linked(worker("陈志强"))
        nominations.nominate(_db.session, boss(), org(factories.ENTERPRISE), [person.id], item, "车间骨干")
        applications.apply(_db.session, person, item, OPEN_DAY)
        county, phone = staff(code="330106").phone, person.phone
        _db.session.commit()
    auth.login(county)
    assert "测试电器有限公司 推荐：车间骨干" in client.get("/programme/verify").get_data(as_text=True)
    auth.logout()
    auth.login(phone)
    assert "测试电器有限公司 推荐" in client.get("/programme/mine").get_data(as_text=True)
    assert "测试电器有限公司 推荐您报读" in client.get("/programme/employer").get_data(as_text=True)
