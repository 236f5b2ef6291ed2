"""我想学 answers (a review): any enterprise answered every open wish with its advert, whatever the wish asked for;
every voter was told "你想学的…有课了" and the wish was closed for good (the real answer refused `wish_answered`).
Now the wish's area union clears a wrong answer, which reopens the wish for a real course, and an organisation
answers at most ANSWER_MAX wishes a day. And a withdrawn course's new draft title no longer shows on the list."""

from __future__ import annotations

import pytest

from app.accounts import profiles
from app.errors import Conflict, Forbidden, TooManyRequests
from app.extensions import db as _db
from app.notifications.models import Notification
from catalog import service as catalog
from learning import wishes
from tests import factories
from tests.catalog.helpers import make
from tests.learning.conftest import make_course


def _wish(topic: str, voters: int = 2):
    """A wish of a worker of 西湖区 (330106, under 杭州市 330100) and `voters` more votes."""
    asker = factories.user()
    profiles.update_profile(_db.session, asker, asker, {"union_member": True, "union_code": "330106"})
    wish = wishes.make(_db.session, asker, topic)
    for _n in range(voters):
        wishes.vote(_db.session, factories.user(), wish)
    return wish


def _told(resource_id: int) -> int:
    return _db.session.query(Notification).filter_by(url=f"/catalog/r/{resource_id}").count()


def test_the_area_union_clears_an_advert_and_the_real_course_then_answers(db):
    wish = _wish("电工证")
    advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
    clerk = factories.user("enterprise_staff", "ENT-T1")
    wishes.answer(_db.session, clerk, wish, advert.id)
    assert _told(advert.id) == 3
    for outsider in (clerk, factories.user(), factories.user("union_staff", "330200")):  # 宁波: not this area
        with pytest.raises(Forbidden):
            wishes.clear(_db.session, outsider, wish)
    wishes.clear(_db.session, factories.user("union_staff", "330100"), wish)  # 杭州市, over 西湖区
    assert wish.resource is None and wish in wishes.ranked(_db.session, open_only=True)
    with pytest.raises(Conflict) as again:  # the advert's organisation cannot close it again
        wishes.answer(_db.session, factories.user("enterprise_staff", "ENT-T1"), wish, advert.id)
    assert again.value.code == "wish_answer_cleared"
    real = make("INST-T1", publish=True, title="低压电工上岗证")
    wishes.answer(_db.session, factories.user("institution_staff", "INST-T1"), wish, real.id)
    assert wish.resource_id == real.id and _told(real.id) == 3


def test_one_organisation_answering_every_wish_is_stopped_after_a_handful(db):
    found = [_wish(f"工种{i}") for i in range(wishes.ANSWER_MAX + 3)]
    advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
    clerk = factories.user("enterprise_staff", "ENT-T1")
    for wish in found[:wishes.ANSWER_MAX]:
        wishes.answer(_db.session, clerk, wish, advert.id)
    for wish in found[wishes.ANSWER_MAX:]:  # a second clerk of the same enterprise counts with the first
        with pytest.raises(TooManyRequests) as refused:
            wishes.answer(_db.session, factories.user("enterprise_staff", "ENT-T1"), wish, advert.id)
        assert refused.value.code == "too_many_wish_answers" and refused.value.status == 429
        assert wish.resource_id is None
    assert _told(advert.id) == 3 * wishes.ANSWER_MAX  # the voters of the last wishes heard nothing
    real = make("INST-T1", publish=True, title="电焊入门")  # another organisation's own limit is untouched
    wishes.answer(_db.session, factories.user("institution_staff", "INST-T1"), found[-1], real.id)
    assert found[-1].resource_id == real.id


def test_a_withdrawn_course_s_draft_title_is_not_on_the_wish_list(app, client, auth):
    with app.app_context():
        course = make_course("安全用电")
        wish = wishes.make(_db.session, factories.user(), "电工证")
        institution = factories.user("institution_staff", "INST-T1")
        wishes.answer(_db.session, institution, wish, course.id)
        _db.session.commit()
        auth.as_role("worker")
        assert "安全用电" in client.get("/learning/wishes").get_data(as_text=True)  # published: shown
        catalog.withdraw(_db.session, institution, course, "改版")
        catalog.update_resource(_db.session, institution, course, {
            "title": "【内部草稿】裁员安置方案培训", "kind": "course", "summary": "一段简介",
            "category": "skills-construction", "credits": 2})
        _db.session.commit()
        rid = course.id
    assert client.get(f"/catalog/r/{rid}").status_code == 404  # the course itself is hidden from this worker
    page = client.get("/learning/wishes").get_data(as_text=True)
    assert "裁员" not in page and f"/catalog/r/{rid}" not in page and "课程正在修订" in page


def test_the_area_page_clears_a_wrong_answer(app, client, auth):
    """The union's area page offers 撤销 on an answered wish; posted, the wish is open again; an outsider's post is
    refused and changes nothing."""
    from tests.conftest import post_form

    with app.app_context():
        wish = _wish("叉车证", voters=0)
        advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
        wishes.answer(_db.session, factories.user("enterprise_staff", "ENT-T1"), wish, advert.id)
        _db.session.commit()
        wish_id = wish.id
    auth.as_role("union_staff", "330200")  # 宁波: not this wish's area
    assert post_form(client, f"/learning/wishes/{wish_id}/clear", {}, source="/learning/wishes").status_code == 403
    auth.logout()
    auth.as_role("union_staff", "330100")
    page = client.get("/learning/wishes/area").get_data(as_text=True)
    assert "回应不对题，撤销" in page
    answer = post_form(client, f"/learning/wishes/{wish_id}/clear", {}, source="/learning/wishes/area")
    assert answer.status_code == 302
    with app.app_context():
        assert wishes.get(_db.session, wish_id).resource is None
