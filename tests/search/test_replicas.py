"""Search on every host: two app instances with their own index folders on one database ("hosts" A and B) each
keep a replica that follows the shared change log. A change committed through one is searchable on the other,
a stopped host catches up when it starts again, a replica the log's pruning gave up rebuilds, and ids that commit
out of order (PostgreSQL) are not stepped over. On SQLite and PostgreSQL alike (QIUXUE_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app, jobs, outbox
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db
from app.outbox import OutboxEvent
from catalog import service
from catalog.models import Resource
from search import indexer, replicas
from search.backend import SearchRequest
from search.changelog import Position, advance, later
from search.models import SearchReplica
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, _config
from tests.waiting import wait_until


@pytest.fixture
def host(app: Flask, tmp_path: Path):
    """Another web host on the same database: its own index folder (no shared disk for search)."""
    made: list[Flask] = []

    def make_host(name: str) -> Flask:
        made.append(create_app({**_config(Path(app.config["DATA_DIR"])), "SEARCH_INDEX_DIR": str(tmp_path / name)}))
        return made[-1]

    yield make_host
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _ids(host: Flask, query: str) -> set[int]:
    return {hit.id for hit in host.extensions["search"].search(SearchRequest(q=query)).hits}


def _drain(host: Flask, gap_seconds: float = indexer.GAP_SECONDS) -> int:
    with host.app_context():
        try:
            return indexer.drain_all(db.session, host.extensions["search"], gap_seconds=gap_seconds)
        finally:
            db.session.remove()


def _runtime(host: Flask) -> jobs.Worker:
    """The search duty of a host's runtime, as its web process runs it."""
    return jobs.Worker(host, duties=[indexer.DUTY], poll_s=0.1).start()


def _log_rows(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                 .where(OutboxEvent.topic == indexer.TOPIC)) or 0


# -- the position in the log: pure rules -----------------------------------------------------------------------

def test_a_position_waits_for_holes_then_gives_them_up():
    start = Position(10)
    moved = advance(start, [11, 13, 14], now=100.0, gap_seconds=60)
    assert moved == Position(14, {12: 100.0}) and moved.settled == 11
    assert advance(moved, [12], now=110.0, gap_seconds=60) == Position(14)  # the late commit filled it
    assert advance(moved, [], now=161.0, gap_seconds=60) == Position(14)    # rolled back: given up
    assert Position.from_json(moved.to_json()) == moved
    assert later(None, moved) is moved and later(start, moved) is moved and later(moved, None) is moved


# -- two hosts on one database ---------------------------------------------------------------------------------

def test_a_change_through_host_a_is_searchable_on_host_b(app, db, host):
    other = host("host-b")
    runtime_a, runtime_b = _runtime(app), _runtime(other)
    try:
        resource = make(title="中式烹调师", publish=True)
        db.session.commit()  # through host A
        assert wait_until(lambda: _ids(other, "烹调") == {resource.id})
        assert wait_until(lambda: _ids(app, "烹调") == {resource.id})
        service.unpublish(db.session, SYSTEM, resource, "下架")
        db.session.commit()
        assert wait_until(lambda: _ids(other, "烹调") == set())
    finally:
        runtime_a.stop()
        runtime_b.stop()
    assert _log_rows(app) >= 2  # no host deleted what it applied: the other still needed it
    with app.app_context():
        assert len(db.session.scalars(select(SearchReplica)).all()) == 2
        assert replicas.replica_ready(app) and replicas.replica_ready(other)


def test_a_host_stopped_while_changes_are_made_catches_up_when_it_starts_again(app, db, host):
    kept = make(title="焊工入门", publish=True)
    dropped = make(title="焊工安全", publish=True)
    db.session.commit()
    other = host("host-b")
    _drain(app), _drain(other)
    assert _ids(other, "焊工") == {kept.id, dropped.id}
    # host B stops; the site goes on through host A
    added = make(title="焊工进阶", publish=True)
    service.unpublish(db.session, SYSTEM, dropped, "下架")
    kept.title = "焊工入门（新版）"
    outbox.emit(db.session, indexer.TOPIC, kept.id)  # as the catalog's edit does
    db.session.commit()
    _drain(app)
    restarted = host("host-b")  # a new process on B's folder
    assert indexer.pending_count(db.session, restarted.extensions["search"]) > 0  # what it missed waits for it
    runtime = _runtime(restarted)
    try:
        assert wait_until(lambda: _ids(restarted, "焊工") == {kept.id, added.id})
        assert wait_until(lambda: replicas.replica_ready(restarted))
    finally:
        runtime.stop()
    assert _ids(restarted, "新版") == {kept.id}


def test_pruning_keeps_what_a_lagging_replica_needs_and_a_given_up_replica_rebuilds(app, db, host):
    first = make(title="电梯安装维修工", publish=True)
    db.session.commit()
    other = host("host-b")
    _drain(app), _drain(other)
    second = make(title="电梯保养", publish=True)
    db.session.commit()
    _drain(app)  # B lags behind
    b_name = other.extensions["search"].replica
    b_settled = db.session.get(SearchReplica, b_name).settled
    replicas.prune(db.session, retention_s=3600)
    assert db.session.scalar(select(func.min(OutboxEvent.id)).where(OutboxEvent.topic == indexer.TOPIC)) > b_settled
    assert _log_rows(app) >= 1
    # B is silent for longer than the retention: given up, and the log is pruned past it
    db.session.get(SearchReplica, b_name).reported_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    replicas.prune(db.session, retention_s=3600)
    db.session.expire_all()
    assert db.session.get(SearchReplica, b_name) is None
    assert _log_rows(app) == 1  # only the newest row stays
    third = make(title="电梯应急救援", publish=True)
    db.session.commit()
    assert _drain(other) >= 1  # B finds its row gone when it reports: it rebuilds from the database
    assert _ids(other, "电梯") == {first.id, second.id, third.id}
    db.session.expire_all()
    assert db.session.get(SearchReplica, b_name) is not None  # and joined again


def test_a_replica_with_no_position_is_not_ready_until_built(app, db, host):
    make(title="育婴员", publish=True)
    db.session.commit()
    fresh = host("host-new")
    assert not replicas.replica_ready(fresh)
    _drain(fresh)
    assert replicas.replica_ready(fresh) and _ids(fresh, "育婴") != set()


def test_the_search_check_shows_the_replicas_position_and_lag(app, db, runner):
    make(title="茶艺师", publish=True)
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert "not built from the database yet" in result.output and "pending events: " in result.output
    _drain(app)
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "change log position" in result.output and "log head" in result.output
    assert f"replica {app.extensions['search'].replica}: position " in result.output  # every host's, listed
    assert "pending events: 0" in result.output


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: SQLite has one writer, so ids commit in order")
def test_a_lower_id_committing_after_a_higher_one_is_not_stepped_over(app, db):
    slow = make(title="架子工", publish=True)
    fast = make(title="钢筋工", publish=True)
    db.session.commit()
    _drain(app)
    with Session(db.engine) as first, Session(db.engine) as second:
        first.get(Resource, slow.id).title = "架子工高处作业"
        outbox.emit(first, indexer.TOPIC, slow.id)
        first.flush()  # takes the lower id, commits later
        second.get(Resource, fast.id).title = "钢筋工绑扎作业"
        outbox.emit(second, indexer.TOPIC, fast.id)
        second.commit()  # the higher id commits first
        _drain(app)
        assert _ids(app, "绑扎") == {fast.id} and _ids(app, "高处") == set()
        position = app.extensions["search"].position()
        assert position is not None and len(position.gaps) == 1
        first.commit()
    _drain(app)
    assert _ids(app, "高处") == {slow.id}  # a bare cursor past the higher id would have skipped it
    assert app.extensions["search"].position().gaps == {}


def test_a_rolled_back_id_is_given_up_after_the_wait(app, db):
    make(title="保育员", publish=True)
    db.session.commit()
    _drain(app)
    with Session(db.engine) as doomed:
        outbox.emit(doomed, indexer.TOPIC, 0)
        doomed.flush()
        doomed.rollback()
    later_one = make(title="保育员进阶", publish=True)
    db.session.commit()
    _drain(app)  # on PostgreSQL the rolled-back id is a hole, waited for
    assert later_one.id in _ids(app, "保育")
    _drain(app, gap_seconds=0)
    position = app.extensions["search"].position()
    assert position is not None and position.gaps == {}
    with app.app_context():
        assert indexer.pending_count(db.session, app.extensions["search"]) == 0
