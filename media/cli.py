"""`qiuxue media ...`: clean-up, the job list, the demo clips and the copy of a data folder to object storage
(`qiuxue media worker` is `qiuxue worker`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app import jobs, storage, stores
from app.extensions import db
from app.jobs.cli import worker_cli
from app.storage_migration import migrate
from media import demo as media_demo
from media import tus
from media.service import MediaSettings

media_cli = click.Group("media", help="Media: uploads clean-up, jobs, demo clips; `worker` is `qiuxue worker`.")


media_cli.add_command(worker_cli, "worker")  # the older name of `qiuxue worker`, kept for scripts and docs


@media_cli.command("cleanup")
@with_appcontext
def cleanup() -> None:
    """Remove expired uploads and stray work folders now."""
    settings = MediaSettings.of(current_app)
    removed = tus.remove_expired(db.session, settings.local, settings.bucket)
    db.session.commit()
    click.echo(f"{removed} expired uploads removed")


@media_cli.command("jobs")
@click.option("--limit", type=int, default=20, show_default=True)
@with_appcontext
def list_jobs(limit: int) -> None:
    """The latest jobs with their state, attempts and progress."""
    for job in db.session.scalars(select(jobs.Job).order_by(jobs.Job.id.desc()).limit(limit)):
        click.echo(f"{job.id:>6} {job.kind:<18} {job.state.value:<10} {job.attempts}/{job.max_attempts} "
                   f"{job.progress:5.1f}% {job.error[:60]}")


@media_cli.command("demo")
@click.option("--now", is_flag=True, help="Transcode here and now instead of queueing for the worker.")
@with_appcontext
def demo(now: bool) -> None:
    """Make the demo clips and attach them to demo video lessons that have no media yet."""
    summary = media_demo.load(db.session, transcode_now=now)
    db.session.commit()
    click.echo(", ".join(f"{k} {v}" for k, v in summary.items()))


@media_cli.command("migrate-storage")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="The data folder to copy from (default: DATA_DIR; media from MEDIA_DIR when it is set).")
@click.option("--verbose", is_flag=True, help="One line per object.")
@with_appcontext
def migrate_storage(data_dir: str | None, verbose: bool) -> None:
    """Copy media, covers and evidence from the local folders to MEDIA_STORAGE (s3://BUCKET/PREFIX) and check
    every object's SHA-256 by reading it back. Exits 1 when any object differs; safe to run again."""
    config = dict(current_app.config)
    if not str(config.get("MEDIA_STORAGE") or "").startswith("s3://"):
        raise click.UsageError("set QIUXUE_MEDIA_STORAGE=s3://BUCKET/PREFIX first")
    if data_dir:
        config["DATA_DIR"], config["MEDIA_DIR"] = data_dir, ""
    failed = False
    for area in stores.AREAS:
        root = stores.local_root(config, area)
        if not root.is_dir():
            continue
        report = migrate(storage.LocalStorage(root), stores.area(config, area),
                         on_key=(lambda key, state: click.echo(f"  {state} {key}")) if verbose else None)
        click.echo(f"{area}: {report.copied} copied, {report.already} already there, {report.verified} verified")
        for key in report.mismatched:
            click.echo(f"  checksum mismatch: {area}/{key}", err=True)
        for key in report.refused:
            click.echo(f"  not copied (a name we did not make): {area}/{key}", err=True)
        failed = failed or not report.ok
    if failed:
        raise SystemExit(1)
