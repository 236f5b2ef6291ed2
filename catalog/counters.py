"""Resource page views, counted in memory and written in batches: one UPDATE per resource every few
seconds instead of a write (and on SQLite a database-wide write lock) on every page view. Counts from
the last interval are lost if the process dies; they are a popularity signal, not an account."""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import update
from sqlalchemy.engine import Engine

from catalog.models import Resource

FLUSH_EVERY_S = 10.0


class ViewCounter:
    def __init__(self, flush_every_s: float = FLUSH_EVERY_S):
        self.flush_every_s = flush_every_s
        self._pending: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._last = time.monotonic()

    def add(self, engine: Engine, resource_id: int) -> None:
        with self._lock:
            self._pending[resource_id] += 1
            due = time.monotonic() - self._last >= self.flush_every_s
        if due:
            self.flush(engine)

    def flush(self, engine: Engine) -> int:
        """Write the pending counts in their own transaction; returns how many resources were touched."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._last = time.monotonic()
        if not pending:
            return 0
        with engine.begin() as conn:
            for resource_id, views in pending.items():
                # updated_at set to itself: a view is not a change (OAI-PMH datestamps and feeds read it)
                conn.execute(update(Resource).where(Resource.id == resource_id)
                             .values(view_count=Resource.view_count + views, updated_at=Resource.updated_at))
        return len(pending)
