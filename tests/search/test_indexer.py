"""The index follows the catalog through the outbox: published resources appear, anything else leaves,
a crash between commit and indexing loses nothing, a rolled-back change is never indexed."""

from __future__ import annotations

import os
import time

from flask import Flask

from app import jobs
from app.accounts.policy import SYSTEM
from app.extensions import db
from catalog import service
from search import indexer, replicas
from search.backend import SearchRequest
from search.changelog import Position
from search.cli import drift
from search.engine_whoosh import WhooshBackend
from search.engine_whoosh.generations import Generation
from search.engine_whoosh.store import WRITE_TIMEOUT
from tests.catalog.helpers import make
from tests.waiting import wait_until


def _ids(app: Flask, query: str) -> set[int]:
    return {hit.id for hit in app.extensions["search"].search(SearchRequest(q=query)).hits}


def _drain(app: Flask) -> int:
    return indexer.drain_all(db.session, app.extensions["search"])


def test_published_resources_are_indexed_and_unpublished_ones_leave(app, db):
    published = make(title="叉车司机安全操作", publish=True)
    draft = make(title="叉车保养草稿")
    db.session.commit()
    assert _drain(app) >= 2
    assert _ids(app, "叉车") == {published.id} and _ids(app, "chache") == {published.id}
    service.unpublish(db.session, SYSTEM, published, "内容过时")
    db.session.commit()
    _drain(app)
    assert _ids(app, "叉车") == set() and draft.id not in _ids(app, "叉车")
    assert indexer.pending_count(db.session, app.extensions["search"]) == 0


def test_a_crash_between_commit_and_indexing_loses_nothing(app, db, tmp_path):
    resource = make(title="焊工入门", publish=True)
    db.session.commit()  # ...and the process dies before any drain
    assert _ids(app, "焊工") == set() and indexer.pending_count(db.session, app.extensions["search"]) > 0
    restarted = WhooshBackend(app.extensions["search"].folder)  # a new process on the same index
    indexer.drain_all(db.session, restarted)
    assert {h.id for h in restarted.search(SearchRequest(q="焊工")).hits} == {resource.id}


def test_a_crash_while_indexing_repeats_the_work(app, db, monkeypatch):
    _drain(app)  # the replica is built; from now on it follows the change log
    resource = make(title="电工基础", publish=True)
    db.session.commit()

    def fail(*args, **kwargs):
        raise RuntimeError("killed before acknowledging")

    monkeypatch.setattr(Generation, "write_position", fail)  # the index commit went through, the position not
    try:
        _drain(app)
    except RuntimeError:
        db.session.rollback()
    monkeypatch.undo()
    assert indexer.pending_count(db.session, app.extensions["search"]) > 0  # the events survived the failed drain
    _drain(app)
    assert _ids(app, "电工") == {resource.id}


def test_a_rolled_back_change_is_never_indexed(app, db):
    resource = make(title="母婴护理", publish=True)
    db.session.commit()
    _drain(app)
    service.unpublish(db.session, SYSTEM, resource, "测试")
    resource.title = "月嫂培训"
    db.session.flush()
    db.session.rollback()
    _drain(app)
    assert _ids(app, "母婴护理") == {resource.id}
    # 月嫂 finds it only by the built-in name 月嫂 -> 母婴护理: under its indexed title, not the rolled-back one
    hits = app.extensions["search"].search(SearchRequest(q="月嫂")).hits
    assert [(h.id, h.title) for h in hits] == [(resource.id, "母婴护理")] and _ids(app, "培训") == set()




def _indexer(app: Flask) -> jobs.Worker:
    """The background runtime with only the search duty, as each web process runs it."""
    return jobs.Worker(app, duties=[indexer.DUTY], poll_s=0.1).start()


def test_the_indexer_thread_removes_an_unpublished_resource_on_its_own(app, db):
    """The outcome, not the speed: the runtime's indexer duty (woken by the commit) drains the unpublish without
    anyone calling drain; how fast depends on the machine, so the deadline only stops a hung test."""
    resource = make(title="养老护理员培训", publish=True)
    db.session.commit()
    runtime = _indexer(app)
    try:
        assert wait_until(lambda: resource.id in _ids(app, "养老"))
        service.unpublish(db.session, SYSTEM, resource, "下架")
        db.session.commit()
        assert wait_until(lambda: resource.id not in _ids(app, "养老"))
        assert wait_until(lambda: indexer.pending_count(db.session, app.extensions["search"]) == 0)
    finally:
        runtime.stop()


def test_rebuild_and_check_report_drift(app, db, runner):
    first = make(title="光伏组件安装", publish=True)
    db.session.commit()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "1 writer process)" in result.output, result.output  # small: one process
    assert _ids(app, "光伏") == {first.id}
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    second = make(title="光伏并网发电", publish=True)
    db.session.commit()  # not drained: the index drifts
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "missing: 1" in result.output
    assert drift(app.extensions["search"]).missing == [second.id]
    assert runner.invoke(args=["search", "worker", "--once"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_an_idle_drain_leaves_the_index_writer_free(app, db):
    """With nothing to index, polling does not take the index's write lock (nor build writer files), so a
    rebuild in another process is never made to wait by idle web processes; a pending change waits for it."""
    backend = app.extensions["search"]
    _drain(app)
    with backend.store.writer():  # another writer (a rebuild, say) holds the lock
        started = time.monotonic()
        assert indexer.drain(db.session, backend) == 0
        # it did not wait for the lock (WRITE_TIMEOUT, 30 s) nor raise IndexBusy; the bound is far from both
        assert time.monotonic() - started < WRITE_TIMEOUT / 2
        make(title="焊工培训", publish=True)
        db.session.commit()
    assert _drain(app) >= 1 and _ids(app, "焊工") != set()


def test_rebuild_uses_a_process_per_core_for_a_large_catalog_and_refuses_a_bad_count(runner):
    from search.cli import AUTO_PROCS_FROM, MAX_AUTO_PROCS, auto_procs

    assert auto_procs(AUTO_PROCS_FROM - 1) == 1
    assert auto_procs(100_000) == min(os.cpu_count() or 1, MAX_AUTO_PROCS)
    result = runner.invoke(args=["search", "rebuild", "--procs", "0"])
    assert result.exit_code == 2 and "Invalid value for '--procs'" in result.output


def test_after_a_commit_the_words_searched_before_are_ready_and_answer_as_a_cold_index_would(tmp_path):
    """The committing thread prepares the new View with the words asked of the old one (the first queries after
    a commit paid for that); prepared, they still give exactly what a fresh View gives."""
    from dataclasses import replace

    from search.engine_whoosh.execute import execute
    from search.engine_whoosh.postings import View
    from tests.search import corpus

    backend = WhooshBackend(tmp_path / "index")
    docs = corpus.documents()
    backend.rebuild(docs)
    asked = SearchRequest(q="电工", facets=False, highlight=False)
    before = [hit.id for hit in backend.search(asked).hits]
    changed = next(doc for doc in docs if doc.id not in before)
    backend.apply([replace(changed, title=changed.title + " 电工")], [])
    view = backend.store.view()
    asked_before = {c.text for concepts, _prefer in view.ranked for c in concepts}
    assert ("text", "电工") in view.memo and "电工" in asked_before  # ready: matches and first ranks
    after = [hit.id for hit in backend.search(asked).hits]
    cold = View(backend.store.ix().searcher())
    assert changed.id in after and after == [hit.id for hit in execute(cold, asked).hits]


def test_a_commit_by_another_process_is_prepared_by_the_indexer_thread_before_queries_meet_it(app, db):
    """Another process (`qiuxue search worker`, another server process) commits; this process's indexer duty,
    idle, builds the new view with the words searched here prepared, so no query pays for it."""
    from dataclasses import replace

    from tests.search import corpus

    ours = app.extensions["search"]
    other = WhooshBackend(ours.folder)  # its own index store, as in another process
    docs = corpus.documents()
    ours.rebuild(docs, position=Position())  # a replica following the (empty) change log
    replicas.register(db.session, ours.replica, Position())
    before = [hit.id for hit in ours.search(SearchRequest(q="电工", facets=False, highlight=False)).hits]
    runtime = _indexer(app)
    try:
        changed = next(doc for doc in docs if doc.id not in before)
        other.apply([replace(changed, title=changed.title + " 电工")], [])
        latest = ours.store.ix().latest_generation()
        deadline = time.monotonic() + 10
        while ours.store._view.generation != latest and time.monotonic() < deadline:  # without asking for it
            time.sleep(0.05)
        view = ours.store._view
        assert view.generation == latest and "电工" in {c.text for concepts, _p in view.ranked for c in concepts}
    finally:
        runtime.stop()
    assert changed.id in {hit.id for hit in ours.search(SearchRequest(q="电工")).hits}
