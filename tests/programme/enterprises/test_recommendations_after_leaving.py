"""An enterprise's recommendation (推荐报读) lasts only while the worker is its confirmed worker: once they unlink,
move to another enterprise or are refused, the worker's pages and the union verifying their application no
longer show them as recommended by it (they had: the worker who left was still "推荐" by their old employer)."""

from app.extensions import db as _db
from programme.admissions import applications
from programme.enterprises import links, nominations
from tests import factories
from tests.conftest import post_form
from tests.programme.enterprises.helpers import OTHER, boss, linked, other_enterprise
from tests.programme.helpers import OPEN_DAY, offering, open_year, org, staff, worker

SHOWN = "测试电器有限公司 推荐"


def test_a_worker_who_unlinks_is_no_longer_shown_as_recommended(app, client, auth):
    with app.app_context():
        item = offering(open_year())
        person = linked(worker("陈志强"))
        nominations.nominate(_db.session, boss(), org(factories.ENTERPRISE), [person.id], item, "车间骨干")
        applications.apply(_db.session, person, item, OPEN_DAY)
        county, phone = staff(code="330106").phone, person.phone
        _db.session.commit()
    auth.login(phone)
    assert SHOWN + "您报读" in client.get("/programme/employer").get_data(as_text=True)  # while linked
    assert post_form(client, "/programme/employer/unlink", {}, source="/programme/employer").status_code == 302
    assert SHOWN not in client.get("/programme/employer").get_data(as_text=True)
    assert SHOWN not in client.get("/programme/mine").get_data(as_text=True)
    auth.logout()
    auth.login(county)
    page = client.get("/programme/verify").get_data(as_text=True)
    assert "陈志强" in page and SHOWN + "：车间骨干" not in page


def test_a_move_or_a_refusal_ends_the_recommendation_and_a_new_confirmation_is_needed(db):
    item = offering(open_year())
    mover, refused = linked(worker("吴海涛")), linked(worker("郑晓东"))
    enterprise = org(factories.ENTERPRISE)
    nominations.nominate(db.session, boss(), enterprise, [mover.id, refused.id], item)
    mine = applications.apply(db.session, mover, item, OPEN_DAY)
    other_enterprise()
    links.link(db.session, mover, OTHER)  # a new employer, not yet confirmed
    links.decide(db.session, boss(), enterprise, links.link_of(db.session, refused).id, False)
    for person in (mover, refused):
        assert nominations.for_worker(db.session, person) == []
    assert nominations.for_application(db.session, mine) == []
    again = links.link(db.session, mover, factories.ENTERPRISE)  # back, but the enterprise has not confirmed
    assert nominations.for_worker(db.session, mover) == []
    links.decide(db.session, boss(), enterprise, again.id, True)
    assert [n.enterprise.code for n in nominations.for_worker(db.session, mover)] == [factories.ENTERPRISE]
