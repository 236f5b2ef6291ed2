"""A push subscription ends with its login, and a login also ends by itself. Attack (a reviewer's): a worker at an
internet café signs in (记住我 unticked: a browser-session cookie), turns 手机推送 on and closes the browser, as most
people leave a shared computer. The login is over (its cookie is gone; even a remembered one dies after
REMEMBER_DAYS), yet its UserSession row stood until the worker signed in again more than a month later, and every
subscription whose row stood was pushed to: 60 days on, the café browser still showed the worker's decisions. Now a
session past its lifetime (app.accounts.sessions.lifetime) gets no push, and an hourly duty removes its row and, by
the foreign key, its subscriptions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app import jobs
from app.accounts import sessions
from app.accounts.models import User, UserSession
from app.db import utcnow
from app.extensions import db as _db
from app.notifications import EXPIRED_LOGINS
from app.notifications.models import PushSubscription
from tests import factories
from tests.app.test_notifications import Device, PushEndpoint
from tests.app.test_push_sessions import DECISION, _pushed_after, _subscribes, worker  # noqa: F401 - fixture


def _aged(app, endpoint, days):
    """The login that subscribed `endpoint` began `days` ago (nobody signed in since)."""
    with app.app_context():
        sid = _db.session.scalar(select(PushSubscription.session_id).where(PushSubscription.endpoint == endpoint.url))
        _db.session.execute(update(UserSession).where(UserSession.id == sid)
                            .values(created_at=utcnow() - timedelta(days=days)))
        _db.session.commit()
        return sid


def test_a_login_long_over_gets_no_push_and_a_live_one_still_does(app, worker):  # noqa: F811
    cafe, phone = Device(), Device()
    with PushEndpoint() as at_cafe, PushEndpoint() as in_pocket:
        browser = _subscribes(app, worker.phone, at_cafe, cafe)
        assert browser.get_cookie("remember_token") is None  # 记住我 unticked: the login ends with the browser
        del browser  # the browser is closed; 60 days go by without the worker signing in anywhere
        _subscribes(app, worker.phone, in_pocket, phone)  # the worker's own phone, signed in 10 days ago
        _aged(app, in_pocket, 10)
        _aged(app, at_cafe, 60)
        at_the_cafe, on_the_phone = _pushed_after(app, worker, at_cafe, in_pocket)
    assert at_the_cafe == [], f"pushed to the café browser 60 days later: {cafe.decrypt(at_the_cafe[0][1])['title']}"
    assert [phone.decrypt(body)["title"] for _headers, body in on_the_phone] == [DECISION]


def test_the_hourly_duty_ends_expired_logins_and_their_subscriptions_and_keeps_live_ones(app, worker):  # noqa: F811
    with PushEndpoint() as at_cafe, PushEndpoint() as in_pocket:
        _subscribes(app, worker.phone, at_cafe, Device())
        phone = _subscribes(app, worker.phone, in_pocket, Device())
        expired = _aged(app, at_cafe, 60)
        live = _aged(app, in_pocket, 10)
        with app.app_context():
            duty = jobs.RECURRING[EXPIRED_LOGINS]
            more = duty.run(jobs.DutyContext(app=app, session=_db.session, name=duty.name, worker="test", failures=0))
            assert more is False and duty.interval(app.config) == 3600
            assert set(_db.session.scalars(select(UserSession.id).where(UserSession.user_id == worker.id))) == {live}
            kept = _db.session.scalars(select(PushSubscription.endpoint).where(PushSubscription.user_id == worker.id))
            assert list(kept) == [in_pocket.url]
            assert _db.session.get(UserSession, expired) is None
        assert phone.get("/me").status_code == 200  # the live login is still signed in


def test_the_purge_goes_in_batches_and_reaches_people_who_never_sign_in_again(app, db):
    people = [factories.user(name=f"工友{n}") for n in range(3)]
    for user in people:
        sessions.start(db.session, user)
    db.session.execute(update(UserSession).values(created_at=utcnow() - sessions.lifetime(app.config)
                                                  - timedelta(minutes=1)))
    today = sessions.start(db.session, factories.user(name="今天登录"))
    db.session.commit()
    assert sessions.purge_expired(db.session, app.config, limit=2) == 2
    assert sessions.purge_expired(db.session, app.config, limit=2) == 1
    assert sessions.purge_expired(db.session, app.config, limit=2) == 0
    assert list(db.session.scalars(select(UserSession.id))) == [today]
    assert db.session.scalar(select(func.count()).select_from(User)) >= 4  # the accounts themselves stay
