"""`qiuxue search rebuild | check | worker`: rebuild the index from the database with a progress bar, report
drift between database and index, and drain the outbox as a process of its own."""

from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app import outbox
from app.extensions import db
from search import indexer, source


@click.group("search", help="The search index: rebuild, check, worker.")
def search_cli() -> None:
    pass


def _backend():
    return current_app.extensions["search"]


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
    """Re-index every published resource; searches use the old index until the new one is committed."""
    backend = _backend()
    total = source.published_count(db.session)
    backend.build_procs = procs or auto_procs(total)
    started = time.perf_counter()
    with click.progressbar(length=total, label="indexing") as bar:
        count = backend.rebuild(source.published(db.session), progress=bar.update)
    seconds = time.perf_counter() - started
    click.echo(f"{count} resources indexed in {seconds:.1f} s ({count / max(seconds, 1e-9):.0f}/s, "
               f"{backend.build_procs} writer process{'es' if backend.build_procs > 1 else ''})")


def drift(backend) -> dict[str, list[int]]:
    """Published resources missing from the index, indexed ones that should not be, and stale ones."""
    indexed = backend.fingerprints()
    expected = {doc.id: doc for doc in source.published(db.session)}
    from search.documents import fingerprint

    return {"missing": sorted(set(expected) - set(indexed)), "extra": sorted(set(indexed) - set(expected)),
            "stale": sorted(rid for rid, doc in expected.items()
                            if rid in indexed and indexed[rid] != fingerprint(doc))}


@search_cli.command("check")
@click.option("--fix", is_flag=True, help="Queue every drifted resource for re-indexing.")
@with_appcontext
def check(fix: bool) -> None:
    """Compare the database with the index; exits 1 when they differ."""
    backend = _backend()
    report = drift(backend)
    pending = indexer.pending_count(db.session)
    for name, ids in report.items():
        click.echo(f"{name}: {len(ids)}" + (f"  e.g. {ids[:10]}" if ids else ""))
    click.echo(f"pending events: {pending}")
    click.echo(f"index: {backend.stats()}")
    drifted = [rid for ids in report.values() for rid in ids]
    if fix and drifted:
        for rid in drifted:
            outbox.emit(db.session, indexer.TOPIC, rid)
        db.session.commit()
        click.echo(f"queued {len(drifted)} resources for re-indexing")
    if drifted and not fix:
        raise SystemExit(1)


@search_cli.command("worker")
@click.option("--once", is_flag=True, help="Drain what is pending and stop.")
@click.option("--poll", type=float, default=None, help="Seconds between looks at the outbox.")
@with_appcontext
def worker(once: bool, poll: float | None) -> None:
    """Drain the outbox into the index, for deployments that run the indexer as its own process."""
    backend = _backend()
    poll = poll or current_app.config["SEARCH_POLL_SECONDS"]
    while True:
        try:
            count = indexer.drain_all(db.session, backend)
        except indexer.IndexBusy:
            count = 0
        if count:
            click.echo(f"indexed {count} events")
        if once:
            return
        db.session.remove()
        time.sleep(poll)
