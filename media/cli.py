"""`qiuxue media ...`: the worker process, clean-up, the job list and the demo clips."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app import jobs
from app.extensions import db
from media import demo as media_demo
from media import tus
from media.service import MediaSettings


@click.group("media", help="Media: the transcoding worker, uploads clean-up, jobs.")
def media_cli() -> None:
    pass


@media_cli.command("worker")
@click.option("--threads", type=int, help="Jobs run at once (default JOBS_THREADS).")
@click.option("--exit-when-idle", is_flag=True, help="Stop once no job is queued or running.")
@click.option("--stale-after", type=float, help="Seconds without heartbeat before a running job is taken over.")
@with_appcontext
def worker(threads: int | None, exit_when_idle: bool, stale_after: float | None) -> None:
    """Run background jobs (transcoding, clean-up) in this process, for MEDIA_WORKER=external."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = jobs.Worker(app, threads=threads, stale_after_s=stale_after, periodic=not exit_when_idle)
    click.echo(f"media worker {runner.name}: {runner.threads} thread(s); Ctrl+C to stop", err=True)
    try:
        if exit_when_idle:
            runner.run_until_idle(timeout_s=24 * 3600)
        else:
            runner.run_forever()
    except KeyboardInterrupt:
        click.echo("stopping: running jobs finish first (Ctrl+C again to abandon them)", err=True)
    finally:
        runner.stop(wait=True)


@media_cli.command("cleanup")
@with_appcontext
def cleanup() -> None:
    """Remove expired uploads and stray work folders now."""
    removed = tus.remove_expired(db.session, MediaSettings.of(current_app).storage)
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
