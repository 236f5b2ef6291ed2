"""`qiuxue search rebuild | check | worker`: rebuild the index from the database with a progress bar, report
drift between database and index; `worker`, deprecated, runs only the indexer duty of `qiuxue worker`."""

from __future__ import annotations

import os
import time
from typing import cast

import click
from flask import current_app
from flask.cli import with_appcontext

from app import outbox
from app.config import shared_key_problem
from app.extensions import db
from app.jobs.runtime import Worker
from search import indexer, replicas, source
from search.backend import IndexBusy, IndexCheck, SearchBackend
from search.documents import fingerprint

search_cli = click.Group("search", help="The search index: rebuild, check, worker.")


def _backend() -> SearchBackend:
    return cast(SearchBackend, current_app.extensions["search"])


AUTO_PROCS_FROM = 5_000  # below this, starting writer processes costs more than it saves
MAX_AUTO_PROCS = 4


def auto_procs(total: int) -> int:
    """One writer process per core (at most four) for a large catalog, one for a small one."""
    return min(os.cpu_count() or 1, MAX_AUTO_PROCS) if total >= AUTO_PROCS_FROM else 1


@search_cli.command("rebuild")
@click.option("--procs", type=click.IntRange(1, 16), default=None,
              help="Writer processes [default: one per core, at most 4, from 5,000 resources; else 1].")
@with_appcontext
def rebuild(procs: int | None) -> None:
    """Re-index every published resource into a new index beside the live one, which keeps answering and
    being updated by the indexer; switch to the new one when it is complete."""
    backend = _backend()
    total = source.published_count(db.session)
    workers = procs or auto_procs(total)
    started = time.perf_counter()
    try:
        with click.progressbar(length=total, label="indexing") as bar:
            count = indexer.build(db.session, backend, progress=bar.update, workers=workers)
    except IndexBusy as err:
        raise click.ClickException(f"{err}; try again when it is done") from err
    seconds = time.perf_counter() - started
    click.echo(f"{count} resources indexed in {seconds:.1f} s ({count / max(seconds, 1e-9):.0f}/s, "
               f"{workers} writer process{'es' if workers > 1 else ''})")


def drift(backend: SearchBackend) -> IndexCheck:
    """Published resources missing from the index, indexed ones that should not be, and stale ones."""
    return backend.check({doc.id: fingerprint(doc) for doc in source.published(db.session)})


LAG_WARN_SECONDS = 60  # pending events older than this mean the indexer is not keeping up (or not running)


@search_cli.command("check")
@click.option("--fix", is_flag=True, help="Queue every drifted resource for re-indexing.")
@with_appcontext
def check(fix: bool) -> None:
    """Compare this host's replica with the database and report where it is in the change log and its lag.
    Exit 0: in step; 1: the index differs from the database; 2: only the indexer is behind (events waiting
    longer than a minute)."""
    backend = _backend()
    lag = indexer.lag(db.session, backend)
    position = backend.position()
    report = drift(backend)
    click.echo(f"documents: {report.expected} published in the database, {report.indexed} in the index")
    for name in ("missing", "extra", "stale"):
        ids = getattr(report, name)
        click.echo(f"{name}: {len(ids)}" + (f"  e.g. {ids[:10]}" if ids else ""))
    oldest = f", oldest waiting {lag.oldest_seconds:.0f} s" if lag.oldest_seconds is not None else ""
    head = replicas.head(db.session)
    if position is None:
        click.echo(f"replica {backend.replica}: not built from the database yet (the indexer builds it)")
    else:
        click.echo(f"replica {backend.replica}: change log position {position.seen} (settled {position.settled}, "
                   f"{len(position.gaps)} holes waited for), log head {head}")
    for other in replicas.known(db.session):
        click.echo(f"  replica {other.name}: position {other.seen}, {max(0, head - other.seen)} log ids behind, "
                   f"reported {other.reported_at:%Y-%m-%d %H:%M:%S} UTC")
    click.echo(f"pending events: {lag.pending}{oldest}")
    click.echo(f"index: {backend.stats()}")
    drifted = report.drifted
    if fix and drifted:
        for rid in drifted:
            outbox.emit(db.session, indexer.TOPIC, rid)
        db.session.commit()
        click.echo(f"queued {len(drifted)} resources for re-indexing")
    behind = lag.oldest_seconds is not None and lag.oldest_seconds > LAG_WARN_SECONDS
    if drifted and not fix:
        pending_note = " (some may be the pending events)" if lag.pending else ""
        click.echo(f"the index differs from the database{pending_note}: run `qiuxue search check --fix` or "
                   "`qiuxue search rebuild`")
        raise SystemExit(1)
    if behind:
        click.echo("the indexer is behind: is it running (`qiuxue worker`, or the web process)?")
        raise SystemExit(2)
    click.echo("in step" if not lag.pending else "in step apart from the pending events")


@search_cli.command("worker")
@click.option("--once", is_flag=True, help="Drain what is pending and stop.")
@click.option("--poll", type=float, default=None, help="Seconds between looks at the change log.")
@with_appcontext
def worker(once: bool, poll: float | None) -> None:
    """Deprecated: `qiuxue worker` runs this duty with the others. Kept for scripts: runs the background runtime
    with the search indexer duty only (this host's replica follows the change log), claiming no jobs."""
    click.echo("`qiuxue search worker` is deprecated: use `qiuxue worker` (it runs the search indexer with the other "
               "background duties)", err=True)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if problem := shared_key_problem(app.config):
        raise click.ClickException(problem)
    if poll:
        app.config["SEARCH_POLL_SECONDS"] = poll
    if once:
        try:
            count = indexer.drain_all(db.session, _backend())
        except IndexBusy:
            count = 0
        click.echo(f"indexed {count} events")
        return
    runner = Worker(app, duties=[indexer.DUTY], jobs=False)
    click.echo(f"worker {runner.name}: no jobs, recurring duties: {', '.join(runner.duty_names)}; Ctrl+C to stop",
               err=True)
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop(wait=True)
