"""A rebuild while the site serves: the new generation is built beside the live one (which keeps answering
and being written by the indexer), catches up on what changed meanwhile, and replaces it; `search check`
reports the indexer's lag."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from app import jobs, outbox
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db
from app.outbox import OutboxEvent
from catalog import service
from search import indexer, source
from search.backend import SearchRequest
from search.engine_whoosh import WhooshBackend
from search.engine_whoosh.generations import BUILDING, CURRENT, read_pointer
from tests.catalog.helpers import make
from tests.waiting import wait_until


def _ids(backend, query: str) -> set[int]:
    return {hit.id for hit in backend.search(SearchRequest(q=query)).hits}




def _catch_up(ids: list[int]):
    db.session.rollback()
    return source.changes(db.session, ids)


def test_a_rebuild_while_the_indexer_runs_switches_and_keeps_the_changes_made_meanwhile(app: Flask, db):
    kept = make(title="光伏组件安装", publish=True)
    dropped = make(title="光伏支架焊接", publish=True)
    db.session.commit()
    live = app.extensions["search"]
    runtime = jobs.Worker(app, duties=[indexer.DUTY], poll_s=0.1).start()  # the search duty, as a web process runs it
    try:
        assert wait_until(lambda: _ids(live, "光伏") == {kept.id, dropped.id})
        rebuilder = WhooshBackend(live.folder)  # `qiuxue search rebuild`, another process on the same folder
        during: dict[str, object] = {}

        def docs():
            with Session(db.engine) as reading:  # the command's own session (it expunges as it goes)
                yield from source.published(reading)
            # The database is read; now the site changes while the new generation is being written.
            added = make(title="光伏并网发电", publish=True)
            service.unpublish(db.session, SYSTEM, dropped, "下架")
            db.session.commit()
            during["added"] = added.id
            # the indexer was not stopped by the rebuild, and searches kept answering from the live index
            during["indexed"] = wait_until(lambda: _ids(live, "光伏") == {kept.id, added.id})
            during["drained"] = wait_until(lambda: indexer.pending_count(db.session, live) == 0)

        before = read_pointer(live.folder, CURRENT)
        assert rebuilder.rebuild(docs(), catch_up=_catch_up) == 2
        assert during["indexed"] and during["drained"]
        after = read_pointer(live.folder, CURRENT)
        assert after != before and not (live.folder / BUILDING).exists()
        # The changes made during the build are in the new generation, searched by both processes.
        assert _ids(rebuilder, "光伏") == {kept.id, during["added"]}
        assert wait_until(lambda: live.stats()["folder"] == after)
        assert _ids(live, "光伏") == {kept.id, during["added"]}
        # The old generation is gone; the indexer now writes the new one.
        assert sorted(p.name for p in live.folder.glob("gen-*")) == [after]
        assert not (live.folder / "index").exists()  # the layout before generations, replaced
        later = make(title="光伏运维", publish=True)
        db.session.commit()
        assert wait_until(lambda: later.id in _ids(rebuilder, "光伏"))
    finally:
        runtime.stop()


def test_a_rebuild_builds_while_another_writer_holds_the_live_index(app: Flask, db, runner):
    """Building needs no lock of the live index (the old `IndexBusy` traceback); only the switch waits for
    the writer, for as long as its batch lasts."""
    first = make(title="焊工入门", publish=True)
    db.session.commit()
    live = app.extensions["search"]
    indexer.drain_all(db.session, live)
    built = threading.Event()
    holder_done = threading.Event()

    def hold() -> None:
        with live.batch():  # e.g. the server's indexer in a long batch
            holder_ready.set()
            built.wait(30)
        holder_done.set()

    holder_ready = threading.Event()
    holder = threading.Thread(target=hold)
    holder.start()
    assert holder_ready.wait(30)
    rebuilder = WhooshBackend(live.folder)

    def docs():
        with Session(db.engine) as reading:
            yield from source.published(reading)
        built.set()  # the whole generation was written while the live index was locked

    try:
        assert rebuilder.rebuild(docs(), catch_up=_catch_up) == 1
    finally:
        built.set()
        holder.join(30)
    assert holder_done.is_set()
    assert _ids(rebuilder, "焊工") == {first.id}
    result = runner.invoke(args=["search", "rebuild"])  # and the command, with no one writing
    assert result.exit_code == 0 and "1 resources indexed" in result.output, result.output


def test_check_reports_the_indexers_lag(app: Flask, db, runner):
    resource = make(title="电工基础", publish=True)
    db.session.commit()
    indexer.drain_all(db.session, app.extensions["search"])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "documents: 1 published in the database, 1 in the index" in result.output
    assert "pending events: 0" in result.output and "in step" in result.output

    make(title="电工进阶", publish=True)
    db.session.commit()  # not drained yet: missing from the index, and one event pending
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1, result.output
    assert "documents: 2 published in the database, 1 in the index" in result.output
    assert "missing: 1" in result.output
    assert re.search(r"pending events: [1-9][0-9]*, oldest waiting [0-9]+ s", result.output)  # one per change
    assert "the index differs from the database (some may be the pending events)" in result.output
    indexer.drain_all(db.session, app.extensions["search"])

    # An event waiting for minutes while the index is complete: the indexer is not running.
    outbox.emit(db.session, indexer.TOPIC, resource.id)
    db.session.flush()
    for event in db.session.query(OutboxEvent).filter_by(topic=indexer.TOPIC):
        event.created_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    lag = indexer.lag(db.session, app.extensions["search"])
    assert lag.pending == 1 and lag.oldest_seconds is not None and lag.oldest_seconds >= 299
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 2, result.output
    assert "missing: 0" in result.output and "the indexer is behind" in result.output
    indexer.drain_all(db.session, app.extensions["search"])
    assert runner.invoke(args=["search", "check"]).exit_code == 0
