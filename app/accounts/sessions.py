"""Signed-in sessions: one row per browser or phone, named in the session and remember-me cookies (through
User.get_id), so that logging out ends that session on the server and "log out everywhere" ends them all."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app import audit
from app.accounts.models import Membership, User, UserSession
from app.db import utcnow
from app.kept_rows import attach, columns_of

PURGE_BATCH = 500  # expired rows removed per run of the duty (it runs again at once while more are left)


def start(session: Session, user: User, *, keep: timedelta = timedelta(days=32)) -> str:
    """A new signed-in session; its id goes into the cookies through `user.get_id()`. This user's rows older
    than `keep` (the longest a cookie lives) are removed on the way."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.created_at < utcnow() - keep))
    sid = secrets.token_urlsafe(16)
    session.add(UserSession(id=sid, user_id=user.id))
    session.flush()
    user.session_id = sid
    return sid


def lifetime(config: Mapping[str, Any]) -> timedelta:
    """How long after its start a signed-in session can still be used: the remember-me cookie lasts REMEMBER_DAYS
    (never renewed), the signed session cookie is refused once PERMANENT_SESSION_LIFETIME old (app.security). The
    server cannot know when a browser closed, nor whether 记住我 was ticked: the longer of the two is its one limit."""
    cookie = config["PERMANENT_SESSION_LIFETIME"]
    if not isinstance(cookie, timedelta):  # Flask takes a number of seconds too
        cookie = timedelta(seconds=int(cookie))
    return max(timedelta(days=int(config["REMEMBER_DAYS"])), cookie)


def live(config: Mapping[str, Any]) -> ColumnElement[bool]:
    """Sessions within their `lifetime` (one past it is removed by `purge_expired` within the hour)."""
    return UserSession.created_at >= utcnow() - lifetime(config)


def purge_expired(session: Session, config: Mapping[str, Any], *, limit: int = PURGE_BATCH) -> int:
    """Remove up to `limit` sessions past their `lifetime`, and with them (their foreign key) the push subscriptions
    made in them: a login that ended by itself (a café browser closed, a cookie expired) stops getting the person's
    news as one ended by 退出 does; `start` removed such rows only when the same person signed in again."""
    expired = select(UserSession.id).where(UserSession.created_at < utcnow() - lifetime(config)).limit(limit)
    gone = session.execute(delete(UserSession).where(UserSession.id.in_(expired))
                           .execution_options(synchronize_session=False))
    session.flush()
    return cast(CursorResult[Any], gone).rowcount


def end(session: Session, user: User) -> None:
    """Log out: this session's row goes, so a copied session or remember-me cookie no longer works, and the Web Push
    subscriptions made in it go with it (their foreign key): a shared computer stops showing this person's news."""
    if user.session_id:
        session.execute(delete(UserSession).where(UserSession.id == user.session_id,
                                                  UserSession.user_id == user.id))
    user.session_id = None
    session.flush()


def end_all(session: Session, user: User, reason: str = "logout_everywhere") -> None:
    """Log out everywhere (退出所有设备), also done by a password change: every row goes and the version moves on,
    so every cookie issued before, on every device, stops working, and every push subscription goes with its
    session's row (their foreign key), a device someone else subscribed included. Kept in the audit log."""
    # a DELETE's result is a CursorResult (Session.execute is typed for SELECTs)
    ended = cast(CursorResult[Any], session.execute(delete(UserSession).where(UserSession.user_id == user.id))).rowcount
    user.session_version += 1
    user.session_id = None
    session.flush()
    audit.record(session, user, "session.end_all", "user", user.id, reason=reason, sessions=ended)


def count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(UserSession)
                          .where(UserSession.user_id == user.id)) or 0


def snapshot(user: User) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A loaded user's columns and its memberships' (plain values, safe to keep between requests and threads)."""
    return columns_of(user), [columns_of(m) for m in user.memberships]


def restore(session: Session, kept: tuple[dict[str, Any], list[dict[str, Any]]], sid: str) -> User:
    """The user of a `snapshot`, attached to `session` as if just loaded from it, without a query (anything not
    kept, such as a membership's organisation, loads as usual on first use)."""
    columns, memberships = kept
    present = session.identity_map.get(identity_key(User, columns["id"]))
    user = attach(session, User, columns)
    if present is None:
        set_committed_value(user, "memberships", [attach(session, Membership, values) for values in memberships])
    user.session_id = sid
    return user


def load_user(session: Session, user_id: int, version: str, sid: str) -> User | None:
    """The user of a signed-in session, or None when it was logged out, the password changed since, or the
    account is gone: one query (the session row is checked inside it)."""
    if not sid:
        return None
    user = session.scalar(select(User).where(User.id == user_id, select(UserSession.id).where(
        UserSession.id == sid, UserSession.user_id == user_id).exists()))
    if user is None or str(user.session_version) != version:
        return None
    user.session_id = sid
    return user
