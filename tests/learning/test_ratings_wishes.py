"""The one-tap rating of a finished course and its place in teaching quality; the 我想学 wishes: one vote per
person, ranked within a union's area, answered with a course and the wishers told (issue 24 item 5)."""

from __future__ import annotations

import pytest

from app.accounts import profiles
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db as _db
from app.notifications.models import Notification
from learning import enrolment, ratings, wishes
from programme.voice import surveys
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import post_form
from tests.learning.conftest import finished, make_course


def test_rating_only_after_finishing(short_course):
    worker = factories.user()
    enrolment.enrol(_db.session, worker, short_course.id)
    with pytest.raises(Invalid) as err:
        ratings.rate(_db.session, worker, short_course.id, 5)
    assert err.value.code == "not_finished"
    finished(worker, short_course)
    with pytest.raises(Invalid):
        ratings.rate(_db.session, worker, short_course.id, 6)
    ratings.rate(_db.session, worker, short_course.id, 4, "讲得清楚")
    again = ratings.rate(_db.session, worker, short_course.id, 5)  # a second tap changes the one rating
    assert (again.stars, ratings.rating_of(_db.session, worker.id, short_course.id).stars) == (5, 5)


def test_teaching_quality_counts_ratings_once_per_person(short_course):
    rater, surveyed = factories.user(), factories.user()
    for user in (rater, surveyed):
        finished(user, short_course)
    ratings.rate(_db.session, rater, short_course.id, 2)
    ratings.rate(_db.session, surveyed, short_course.id, 1)  # also answers the survey: counted as that answer
    target = surveys.target(_db.session, "resource", short_course.id)
    surveys.respond(_db.session, surveyed, target, satisfaction=5, teaching=5)
    [quality] = surveys.teaching_quality(_db.session)
    assert (quality.provider.code, quality.answers, quality.satisfaction, quality.teaching) == ("INST-T1", 2, 3.5, 5.0)


def test_rating_from_the_finished_lesson_page(short_course, client, auth):
    worker = factories.user()
    finished(worker, short_course)
    _db.session.commit()
    auth.login(worker.phone)
    page = f"/learning/lessons/{short_course.lessons[0].id}"
    assert "给这门课评分" in client.get(page).get_data(as_text=True)
    post_form(client, f"/learning/r/{short_course.id}/rating", {"stars": "4", "back": page}, source=page)
    assert "你的评分：4星" in client.get(page).get_data(as_text=True)


def _worker_in(union_code: str):
    worker = factories.user()
    profiles.update_profile(_db.session, worker, worker, {"union_member": True, "union_code": union_code})
    return worker


def test_one_vote_per_person_and_ranked_within_the_union_area(db, client, auth):
    city, elsewhere = "330106", "330200"  # 西湖区 under 杭州市; 宁波市
    small = wishes.make(_db.session, _worker_in(city), "叉车操作")
    big = wishes.make(_db.session, _worker_in(city), "电工证")
    far = wishes.make(_db.session, _worker_in(elsewhere), "焊工")
    voter = factories.user()
    assert wishes.vote(_db.session, voter, big) is True
    assert wishes.vote(_db.session, voter, big) is False
    wishes.vote(_db.session, factories.user(), big)
    wishes.vote(_db.session, factories.user(), far)
    wishes.vote(_db.session, factories.user(), far)
    wishes.vote(_db.session, factories.user(), far)
    assert (big.votes, small.votes) == (3, 1)
    hangzhou = factories.user("union_staff", "330100")
    assert [w.title for w in wishes.in_area(_db.session, hangzhou)] == ["电工证", "叉车操作"]
    assert wishes.in_area(_db.session, factories.user()) == []
    province = factories.user("union_staff", "330000")
    assert [w.title for w in wishes.in_area(_db.session, province)] == ["焊工", "电工证", "叉车操作"]
    _db.session.commit()
    auth.login(voter.phone)
    post_form(client, f"/learning/wishes/{big.id}/vote", {}, source="/learning/wishes")
    _db.session.expire_all()
    assert _db.session.get(type(big), big.id).votes == 3


def test_an_institution_answers_a_wish_and_the_wishers_are_told(db):
    asker, voter = factories.user(), factories.user()
    wish = wishes.make(_db.session, asker, "电工证")
    wishes.vote(_db.session, voter, wish)
    course = make(publish=True, title="低压电工上岗证")
    with pytest.raises(Forbidden):
        wishes.answer(_db.session, factories.user("institution_staff", factories.OTHER_INSTITUTION), wish, course.id)
    with pytest.raises(Forbidden):
        wishes.answer(_db.session, voter, wish, course.id)
    wishes.answer(_db.session, factories.user("institution_staff"), wish, course.id)
    assert wish.resource_id == course.id
    told = {n.user_id for n in _db.session.query(Notification).filter_by(url=f"/catalog/r/{course.id}")}
    assert told == {asker.id, voter.id}
    # another institution answering it again took the first one's answer and told the voters again (a review)
    theirs = make(provider=factories.OTHER_INSTITUTION, publish=True, title="别校课")
    with pytest.raises(Conflict) as err:
        wishes.answer(_db.session, factories.user("institution_staff", factories.OTHER_INSTITUTION), wish, theirs.id)
    assert err.value.code == "wish_answered" and wish.resource_id == course.id


def test_a_merged_person_s_twin_vote_and_mark_leave_their_counts(db):
    """Both of one person's accounts voted for a wish and marked an answer helpful: the merge keeps one row of each,
    and the counts the rankings sort by now say one, not two (3 shown for 2 rows before)."""
    from app.accounts import merge
    from learning import questions
    from learning.qa_models import Answer, Wish, WishVote
    from tests.app.identities import identity_settled
    from tests.programme.helpers import id_number

    asker = factories.user()
    wish = wishes.make(db.session, asker, "叉车证培训")
    old, new = factories.user(name="李四"), factories.user(name="李四")
    number = id_number(77)
    profiles.update_profile(db.session, old, old, {"real_name": "李四", "id_number": number})
    identity_settled(db.session, old)  # filled in long ago: no hold on a merge by ID card
    assert wishes.vote(db.session, old, wish) and wishes.vote(db.session, new, wish)
    course = make_course("安全用电")
    for person in (asker, old, new):
        enrolment.enrol(db.session, person, course.id)
    question = questions.ask(db.session, asker, course.lessons[0], "漏电保护器多久测试一次？")
    answer = questions.answer(db.session, factories.user("institution_staff", "INST-T1"), question, "每月一次。")
    assert questions.mark_helpful(db.session, old, answer) and questions.mark_helpful(db.session, new, answer)
    merge.merge(db.session, factories.user("admin"), old, new, id_number=number)
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(Wish, wish.id).votes == db.session.query(WishVote).filter_by(wish_id=wish.id).count() == 2
    assert db.session.get(Answer, answer.id).helpful == 1
