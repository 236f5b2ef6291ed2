"""The one-tap rating was a read ("no rating yet"), then an insert under a unique key (user, course): a double tap
on a phone (two requests at once) made the second an IntegrityError, a 500 page. The key now decides which tap
inserts (app.db.insert_ignore); the other changes that one row. A barrier in the read pins the interleaving."""

from __future__ import annotations

import contextlib
import threading

from app.accounts.models import User
from app.extensions import db as _db
from learning import ratings
from learning.qa_models import CourseRating
from tests import factories
from tests.learning.conftest import finished


def test_a_double_tap_on_the_rating_keeps_one_rating_and_no_error(app, short_course, monkeypatch):
    worker = factories.user()
    finished(worker, short_course)
    _db.session.commit()
    uid, rid = worker.id, short_course.id
    both_read, original = threading.Barrier(2, timeout=2), ratings.rating_of

    def read_then_wait(*args):
        found = original(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return found

    monkeypatch.setattr(ratings, "rating_of", read_then_wait)
    errors: list[str] = []

    def tap(stars: int) -> None:
        with app.app_context():
            try:
                ratings.rate(_db.session, _db.session.get(User, uid), rid, stars)
                _db.session.commit()
            except Exception as err:  # noqa: BLE001 - what the view would turn into a 500
                _db.session.rollback()
                errors.append(type(err).__name__)

    threads = [threading.Thread(target=tap, args=(stars,)) for stars in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        [kept] = _db.session.query(CourseRating).filter_by(user_id=uid, resource_id=rid).all()
        assert kept.stars in (4, 5)  # the later tap's
