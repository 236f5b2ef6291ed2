"""A course provider's own staff rating its courses into the public teaching-quality ranking (a review: five
INST-T1 staff enrolled in INST-T1's course and rated it 5/5; the ranking put INST-T1 first). The provider's staff,
and those of an organisation co-authoring the course (校企合作), are refused with 409 "own_provider"."""

from __future__ import annotations

import pytest

from app.errors import Conflict
from app.extensions import db as _db
from catalog import coauthors
from learning import ratings
from learning.qa_models import CourseRating
from programme.voice import surveys
from tests import factories
from tests.catalog.helpers import reviewed_change
from tests.conftest import post_form
from tests.learning.conftest import finished


def test_provider_staff_cannot_rate_their_own_course(short_course):
    for _n in range(5):  # five staff accounts of INST-T1, each finishing the course in a tap
        own = factories.user("institution_staff", "INST-T1")
        finished(own, short_course)
        with pytest.raises(Conflict) as err:
            ratings.rate(_db.session, own, short_course.id, 5)
        assert err.value.code == "own_provider" and err.value.status == 409
        assert err.value.message == "您是这门课程（或这个项目）的提供单位或合作单位的工作人员，不能评价它。"
    assert _db.session.query(CourseRating).count() == 0
    assert surveys.teaching_quality(_db.session) == []
    outsider = factories.user("institution_staff", "INST-T2")  # another provider's staff are learners here
    finished(outsider, short_course)
    assert ratings.rate(_db.session, outsider, short_course.id, 4).stars == 4


def test_coauthor_staff_cannot_rate_the_course(short_course):
    row = reviewed_change(short_course, lambda: coauthors.invite(
        _db.session, factories.user("institution_staff", "INST-T1"), short_course, "ENT-T1"))
    partner = factories.user("enterprise_staff", "ENT-T1")
    finished(partner, short_course)
    with pytest.raises(Conflict) as err:  # invited, not yet accepted: already writing it with the provider
        ratings.rate(_db.session, partner, short_course.id, 5)
    assert err.value.code == "own_provider"
    reviewed_change(short_course, lambda: coauthors.accept(_db.session, partner, row))
    with pytest.raises(Conflict):
        ratings.rate(_db.session, partner, short_course.id, 5)


def test_provider_staff_cannot_rate_through_the_page(short_course, client, auth):
    own = factories.user("institution_staff", "INST-T1")
    finished(own, short_course)
    _db.session.commit()
    auth.login(own.phone)
    page = f"/learning/lessons/{short_course.lessons[0].id}"
    response = post_form(client, f"/learning/r/{short_course.id}/rating", {"stars": "5", "back": page}, source=page)
    assert response.status_code == 409
    assert "不能评价" in response.get_data(as_text=True)
    assert _db.session.query(CourseRating).count() == 0
