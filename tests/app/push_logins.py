"""A signed-in session for tests that keep push subscriptions directly: each is kept for the login that made it
(app/notifications/models.py PushSubscription.session_id)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.models import User


def login_of(session: Session, user: User) -> str:
    """A new signed-in session of `user`, as logging in starts one; its id."""
    return sessions.start(session, user)
