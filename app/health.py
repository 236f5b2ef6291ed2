"""The database questions the health checks ask (/healthz today, /readyz and metrics on top of it): the only
SQL text in app/ outside migrations, kept here so views ask by name."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def database_ok(session: Session) -> bool:
    """True when the database answers a query; otherwise False, and the reason goes to the log."""
    try:
        session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy; the reason goes to the log
        log.exception("health check: the database does not answer")
        return False
    return True


def read_only(session: Session) -> bool:
    """True when the database refuses writes: a PostgreSQL standby or default_transaction_read_only, or a
    SQLite file opened read-only because its folder cannot be written (app/db.py). Ask database_ok first:
    this one raises when the database does not answer."""
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        return session.execute(text("SELECT current_setting('transaction_read_only')")).scalar() == "on"
    return "mode=ro" in str(engine.url)
