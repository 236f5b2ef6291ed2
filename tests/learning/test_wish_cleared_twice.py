"""An organisation whose answer the union cleared "cannot answer the wish again" (409 wish_answer_cleared), but the
wish kept only its latest answerer: once another organisation's answer was cleared too, the first answered again and
every voter was told of its advert a second time (a review). Now every cleared answerer is kept (0033 gives wishes
cleared before it their answerer's row)."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from app.accounts import organisations
from app.errors import Conflict
from app.extensions import db as _db
from catalog import categories
from learning import wishes
from learning.qa_models import Wish, WishClearedAnswer
from tests import factories
from tests.catalog.helpers import make
from tests.learning.test_wish_answer_attacks import _told, _wish
from tests.migrating import fresh_app

BEFORE = "0032_id_number_forms"


def _request_ends() -> None:
    _db.session.commit()
    _db.session.expire_all()  # each step its own request


def test_a_cleared_answerer_cannot_answer_again_after_another_is_cleared(db):
    wish = _wish("电工证")
    union = factories.user("union_staff", "330100")
    advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
    ent = factories.user("enterprise_staff", "ENT-T1")
    wishes.answer(_db.session, ent, wish, advert.id)
    _request_ends()
    wishes.clear(_db.session, union, wish)
    _request_ends()
    other = make("INST-T2", publish=True, title="另一门不对题的课")
    wishes.answer(_db.session, factories.user("institution_staff", "INST-T2"), wish, other.id)
    _request_ends()
    wishes.clear(_db.session, union, wish)
    _request_ends()
    assert wish.resource_id is None
    assert _told(advert.id) == 3
    for answerer, course in ((ent, advert), (factories.user("institution_staff", "INST-T2"), other)):
        with pytest.raises(Conflict) as refused:
            wishes.answer(_db.session, answerer, wish, course.id)
        assert refused.value.code == "wish_answer_cleared"
    assert _told(advert.id) == 3 and wish.resource_id is None
    real = make("INST-T1", publish=True, title="低压电工上岗证")  # a third organisation still answers
    wishes.answer(_db.session, factories.user("institution_staff", "INST-T1"), wish, real.id)
    assert wish.resource_id == real.id and _told(real.id) == 3


def test_clearing_twice_keeps_one_row_and_an_open_wish_records_nothing(db):
    wish = _wish("叉车证", voters=0)
    union = factories.user("union_staff", "330100")
    wishes.clear(_db.session, union, wish)  # open: nothing to record
    assert _db.session.scalars(select(WishClearedAnswer)).all() == []
    advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
    wishes.answer(_db.session, factories.user("enterprise_staff", "ENT-T1"), wish, advert.id)
    wishes.clear(_db.session, union, wish)
    wishes.clear(_db.session, union, wish)
    [row] = _db.session.scalars(select(WishClearedAnswer)).all()
    assert (row.wish_id, row.org_id) == (wish.id, advert.provider_id)


def test_the_migration_keeps_the_answerer_of_a_wish_cleared_before_it(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        factories.seed_orgs()
        ent = organisations.get_by_code(_db.session, "ENT-T1")
        asker = factories.user()
        union = organisations.get_by_code(_db.session, "330106")
        cleared, never = (Wish(title=title, asker_id=asker.id, union_id=union.id, votes=1)
                          for title in ("电工证", "叉车证"))
        cleared.answered_by_id = ent.id  # as 0032's `clear` left it: the course unlinked, the answerer kept
        _db.session.add_all([cleared, never])
        _db.session.commit()
        ids = (cleared.id, ent.id)

        upgrade()
        assert [(r.wish_id, r.org_id) for r in _db.session.scalars(select(WishClearedAnswer))] == [ids]
        categories.seed_menu(_db.session)  # for the courses below
        wish = _db.session.get(Wish, ids[0])
        other = make("INST-T2", publish=True, title="另一门不对题的课")
        wishes.answer(_db.session, factories.user("institution_staff", "INST-T2"), wish, other.id)
        wishes.clear(_db.session, factories.user("union_staff", "330100"), wish)
        advert = make("ENT-T1", publish=True, title="本公司招聘宣讲")
        with pytest.raises(Conflict) as refused:
            wishes.answer(_db.session, factories.user("enterprise_staff", "ENT-T1"), wish, advert.id)
        assert refused.value.code == "wish_answer_cleared"
        _db.session.remove()
        _db.engine.dispose()


def test_two_organisations_answering_one_wish_at_once_tell_its_voters_once(app):
    """A review: the answer was written without looking again, so two organisations answering at the same moment both
    went through and every voter was told twice; now one answer stands and the other is told it was answered."""
    from app.accounts.models import User
    from tests.programme.helpers import at_once

    with app.app_context():
        wish_id = _wish("焊工证").id
        courses = [make(code, publish=True, title=f"焊工{code}").id for code in ("INST-T1", "INST-T2")]
        staff = [factories.user("institution_staff", code).id for code in ("INST-T1", "INST-T2")]
        _db.session.commit()

    def answering(i: int):
        user, wish = _db.session.get(User, staff[i]), _db.session.get(Wish, wish_id)
        return lambda: wishes.answer(_db.session, user, wish, courses[i])

    assert sorted(at_once(app, 2, answering)) == ["ok", "wish_answered"]
    with app.app_context():
        assert _db.session.get(Wish, wish_id).resource_id in courses
        assert _told(courses[0]) + _told(courses[1]) == 3  # the asker and two voters, once
