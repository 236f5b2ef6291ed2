"""Identities as they stand in a test: filled in long ago, so that the 30-day hold on moving an account by ID card
after a name or ID number changes (app.accounts.profiles.IDENTITY_HOLD) does not stand in a test's way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from app import audit
from app.accounts import profiles
from app.accounts.models import User
from app.db import utcnow


def identity_settled(session: Session, user: User) -> None:
    """Move the account's identity-change entries back past the hold (a test's shortcut: the application never
    rewrites the audit log; an ORM-enabled UPDATE passes by its append-only mapper events)."""
    session.execute(update(audit.AuditEntry).where(
        audit.AuditEntry.action == profiles.IDENTITY_CHANGE, audit.AuditEntry.target_id == str(user.id))
        .values(at=utcnow() - profiles.IDENTITY_HOLD - timedelta(days=1)))
