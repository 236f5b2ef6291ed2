"""`qiuxue media ...`: clean-up, the job list and the demo clips (`qiuxue media worker` is `qiuxue worker`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.jobs.cli import worker_cli
from media import demo as media_demo
from media import tus
from media.service import MediaSettings

media_cli = click.Group("media", help="Media: uploads clean-up, jobs, demo clips; `worker` is `qiuxue worker`.")


media_cli.add_command(worker_cli, "worker")  # the older name of `qiuxue worker`, kept for scripts and docs


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
