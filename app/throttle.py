"""One rate limit for what people file (enquiries, objections, questions on a lesson): at most `max_count` in a
sliding `window`, counted in their own rows (shared by every host, durable across restarts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import hold_row
from app.errors import TooManyRequests


def check(session: Session, created_at: Any, owner: Any, owner_id: int, max_count: int, window: timedelta,
          now: datetime, message: Callable[[int], str], code: str, *, holder: Any = User) -> None:
    """Refuse with 429 and how many minutes to wait (`message(minutes)`) when the owner is over the limit.

    The owner's row (`owner_id` in `holder`: a person unless the caller names another model) is held until commit
    before counting: requests sent at the same moment all counted "under the limit" before any had inserted."""
    hold_row(session, holder, owner_id)
    recent = list(session.scalars(select(created_at).where(owner == owner_id, created_at > now - window)
                                  .order_by(created_at)))
    if len(recent) >= max_count:
        wait = min(recent[-max_count] + window - now, window)  # a racer's row may be newer than `now`
        minutes = max(1, int(wait.total_seconds() + 59) // 60)
        raise TooManyRequests(message(minutes), code=code, retry_after=int(wait.total_seconds()) + 1)
