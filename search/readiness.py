"""/readyz's search check (app/observability/readiness.py): this host's replica is complete and caught up.

Not ready while the index must be rebuilt (its schema changed), while it holds fewer documents than the published
resources less the changes still waiting for it (a new host's empty replica, or one that missed changes), or while
the oldest change waiting for it is older than READY_MAX_INDEX_LAG_S."""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from search import indexer, source
from search.backend import SearchBackend


def index_ready(app: Flask) -> str | None:
    backend: SearchBackend = app.extensions["search"]
    stats = backend.stats()
    if stats.get("needs_rebuild"):
        return "search index must be rebuilt (qiuxue search rebuild)"
    try:
        lag = indexer.lag(db.session, backend)
        published = source.published_count(db.session)
    finally:
        db.session.rollback()
    missing = published - int(stats.get("documents", 0)) - lag.pending
    if missing > 0:
        return f"search index incomplete: {missing} published resources missing"
    limit = float(app.config["READY_MAX_INDEX_LAG_S"])
    if lag.oldest_seconds is not None and lag.oldest_seconds > limit:
        return f"search index behind: {lag.pending} changes waiting, oldest {lag.oldest_seconds:.0f} s"
    return None
