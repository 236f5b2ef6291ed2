"""The shared change log as the search replicas read it, and the `search_replicas` rows they report in.

The log is the outbox's "resource" rows: every catalog change appends one in its own transaction, and no
consumer deletes them, so each host's replica reads it from its own `Position` (search/changelog.py: how ids that
commit out of order are handled). Each replica reports how far it got (`report`); `prune` (the exclusive duty
"search.prune") deletes the rows every live replica has settled, and forgets replicas silent for longer than the
retention. A replica that finds its row gone may have missed pruned rows: it rebuilds from the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask
from sqlalchemy import CursorResult, case, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db import insert_ignore, utcnow
from app.extensions import db
from app.outbox import OutboxEvent
from search.backend import SearchBackend
from search.changelog import Position
from search.models import SearchReplica

TOPIC = "resource"
SNAPSHOT_WINDOW = 1000  # a rebuild's start: ids this far below the top that are missing may still commit
READY_LAG_SECONDS = 10.0  # a replica with changes waiting longer than this is not caught up (the contract: 10 s)


@dataclass(frozen=True)
class Change:
    id: int
    key: str


@dataclass
class Lag:
    """How far a replica is behind the log: rows not yet applied, and how long the oldest waited."""

    pending: int
    oldest_seconds: float | None


def _unread(position: Position | None) -> ColumnElement[bool]:
    if position is None:
        return OutboxEvent.topic == TOPIC
    after = OutboxEvent.id > position.seen
    return (OutboxEvent.topic == TOPIC) & (or_(after, OutboxEvent.id.in_(list(position.gaps))) if position.gaps
                                           else after)


def unread(session: Session, position: Position, limit: int) -> list[Change]:
    """Log rows above the position or filling one of its holes, in id order."""
    rows = session.execute(select(OutboxEvent.id, OutboxEvent.key).where(_unread(position))
                           .order_by(OutboxEvent.id).limit(limit)).all()
    return [Change(int(i), k) for i, k in rows]


def head(session: Session) -> int:
    """The newest id of the log (0 when empty)."""
    return session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.topic == TOPIC)) or 0


def snapshot(session: Session) -> Position:
    """The log's position now, before a rebuild reads the database: the top id, with the ids just below it that
    are missing taken as holes (a transaction in flight may still commit them)."""
    top = head(session)
    floor = session.scalar(select(func.min(SearchReplica.settled))) or 0  # settled everywhere: pruned, not late
    bottom = max(floor, top - SNAPSHOT_WINDOW)
    present = set(session.scalars(select(OutboxEvent.id).where(OutboxEvent.id > bottom, OutboxEvent.id <= top)))
    now = time.time()  # the replica's own clock, as changelog.advance uses
    return Position(top, {i: now for i in range(bottom + 1, top) if i not in present})


def lag(session: Session, position: Position | None) -> Lag:
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at))
                                    .where(_unread(position))).one()
    if oldest is None:
        return Lag(int(count), None)
    return Lag(int(count), max(0.0, (utcnow() - oldest).total_seconds()))


def register(session: Session, name: str, position: Position) -> None:
    """A replica about to be built from the database joins (or joins again): from now on pruning keeps what it
    needs. A replica already known keeps the lower mark until it reports (a rebuild of a live replica may fail
    and leave it where it was)."""
    values: dict[str, Any] = {"settled": position.settled, "seen": position.seen, "reported_at": utcnow()}
    if not insert_ignore(session, SearchReplica, {"name": name, **values}, ["name"]):
        lower = case((SearchReplica.settled < position.settled, SearchReplica.settled), else_=position.settled)
        session.execute(update(SearchReplica).where(SearchReplica.name == name)
                        .values(settled=lower, reported_at=values["reported_at"]))
    session.commit()


def report(session: Session, name: str, position: Position) -> bool:
    """Say how far the replica got. False when its row is gone: it was given up, and the log may have been
    pruned past it (it must rebuild)."""
    changed = cast(CursorResult[Any], session.execute(
        update(SearchReplica).where(SearchReplica.name == name)
        .values(settled=position.settled, seen=position.seen, reported_at=utcnow())
        .execution_options(synchronize_session=False))).rowcount
    session.commit()
    return bool(changed)


def prune(session: Session, retention_s: float) -> int:
    """Forget replicas silent for longer than the retention, then delete the log rows every remaining replica
    has settled. The newest row always stays: SQLite hands out max(id) + 1, and a log emptied to nothing would
    give ids the replicas have already seen. Returns the rows deleted."""
    session.execute(delete(SearchReplica).where(SearchReplica.reported_at < utcnow() - timedelta(seconds=retention_s)))
    floor = session.scalar(select(func.min(SearchReplica.settled)))
    top = head(session)
    upto = min(floor, top - 1) if floor is not None else top - 1
    deleted = cast(CursorResult[Any], session.execute(
        delete(OutboxEvent).where(OutboxEvent.topic == TOPIC, OutboxEvent.id <= upto)
        .execution_options(synchronize_session=False))).rowcount
    session.commit()
    return int(deleted)


def known(session: Session) -> list[SearchReplica]:
    """Every replica that reported within the retention, slowest first (for `qiuxue search check`)."""
    return list(session.scalars(select(SearchReplica).order_by(SearchReplica.settled, SearchReplica.name)))


def slowest(session: Session) -> tuple[int, datetime | None]:
    """The backlog of the slowest replica (every row when none reported yet), for the runtime's status page."""
    floor = session.scalar(select(func.min(SearchReplica.settled)))
    where = [OutboxEvent.topic == TOPIC] + ([OutboxEvent.id > floor] if floor is not None else [])
    count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at)).where(*where)).one()
    return int(count), oldest


def replica_ready(app: Flask) -> bool:
    """For /readyz: this host's replica is built (it has a position in the log) and caught up (no change has
    waited for it longer than READY_LAG_SECONDS). Reads the database and the index folder; cheap enough to call
    live, or cache for a few seconds."""
    backend: SearchBackend = app.extensions["search"]
    with app.app_context():
        try:
            position = backend.position()
            if position is None:
                return False
            behind = lag(db.session, position)
            return behind.oldest_seconds is None or behind.oldest_seconds <= READY_LAG_SECONDS
        finally:
            db.session.rollback()
