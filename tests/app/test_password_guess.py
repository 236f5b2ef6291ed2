"""The password form checked the current password with no limit: someone at a computer where the owner stayed signed
in (a 服务站 terminal, an internet cafe) could guess it without end, while the login page allows LOGIN_MAX_FAILURES
tries per LOGIN_WINDOW_MINUTES. Wrong current passwords now count as failed logins do, per account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from app.accounts import service
from app.db import utcnow
from app.errors import Invalid, TooManyRequests
from app.extensions import db as _db
from tests import factories
from tests.conftest import post_form

NEW = "attacker-pass-1"


def _guess(db, user, current: str, now) -> None:
    """One wrong guess, committed as the caller commits a refusal that counts (the login page does)."""
    with pytest.raises(Invalid) as refused:
        service.change_password(db.session, user, current=current, new=NEW, now=now)
    assert refused.value.fields["current"] == "当前密码不正确。"
    db.session.commit()


def test_past_the_logins_limit_even_the_right_password_waits_for_the_window(app, db):
    victim = factories.user()
    start = utcnow()
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        _guess(db, victim, f"guess-{i:04d}", start)
    with pytest.raises(TooManyRequests) as waiting:
        service.change_password(db.session, victim, current=factories.PASSWORD, new=NEW, now=start)
    assert waiting.value.code == "password_throttled" and waiting.value.status == 429
    db.session.rollback()
    assert check_password_hash(victim.password_hash, factories.PASSWORD)  # the guessed-right password changed nothing
    later = start + timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"], seconds=1)
    service.change_password(db.session, victim, current=factories.PASSWORD, new=NEW, now=later)  # the owner, later
    assert check_password_hash(victim.password_hash, NEW)


def test_one_accounts_guesses_do_not_hold_up_another_nor_its_login(app, db, client, auth):
    victim, other = factories.user(), factories.user()
    now = utcnow()
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        _guess(db, victim, f"guess-{i:04d}", now)
    service.change_password(db.session, other, current=factories.PASSWORD, new=NEW, now=now)
    db.session.commit()
    assert auth.login(victim.phone).status_code == 302  # the form's count is not the login's


def test_guessing_the_current_password_on_the_password_form_is_limited_like_the_login(app, client, auth):
    with app.app_context():
        victim = factories.user()
        phone = victim.phone
        _db.session.commit()
    assert auth.login(phone).status_code == 302
    statuses = [post_form(client, "/me/password", {"current": f"guess-{i:04d}", "new": NEW}).status_code
                for i in range(app.config["LOGIN_MAX_FAILURES"] + 1)]
    assert statuses[-1] == 429, statuses
    page = post_form(client, "/me/password", {"current": factories.PASSWORD, "new": NEW})
    assert page.status_code == 429, "the right password guessed after the limit changed the password"
