"""`qiuxue worker`: run the background runtime as its own process; `qiuxue worker status`: what it is doing."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from app.config import shared_key_problem
from app.extensions import db
from app.jobs import status as job_status
from app.jobs.runtime import Worker


@click.group("worker", invoke_without_command=True)
@click.option("--threads", type=int, help="Jobs run at once (default JOBS_THREADS).")
@click.option("--exit-when-idle", is_flag=True, help="Run jobs until none is queued or running, then stop "
              "(recurring duties do not run).")
@click.option("--stale-after", type=float, help="Seconds without heartbeat before a running job is taken over.")
@click.option("--no-jobs", is_flag=True, help="Run the recurring duties only and claim no job (a web host that "
              "leaves transcoding to worker hosts but keeps its own search replica following the change log).")
@with_appcontext
@click.pass_context
def worker_cli(ctx: click.Context, threads: int | None, exit_when_idle: bool, stale_after: float | None,
               no_jobs: bool) -> None:
    """Run every background duty (transcoding, search indexing, clean-up) in this process, for WORKER=external."""
    if ctx.invoked_subcommand is not None:
        return
    if ctx.parent is not None and ctx.parent.info_name == "media":
        click.echo("`qiuxue media worker` is deprecated: use `qiuxue worker` (the same runtime)", err=True)
    if problem := shared_key_problem(current_app.config):
        raise click.ClickException(problem)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if no_jobs and exit_when_idle:
        raise click.UsageError("--no-jobs runs the recurring duties, which --exit-when-idle leaves out")
    runner = Worker(app, threads=threads, stale_after_s=stale_after, periodic=not exit_when_idle, jobs=not no_jobs)
    duties = ", ".join(runner.duty_names) if runner.periodic else "none"
    job_threads = runner.threads if runner.jobs else "no"
    click.echo(f"worker {runner.name}: {job_threads} job thread(s), recurring duties: {duties}; Ctrl+C to stop",
               err=True)
    previous = _stop_on_sigterm()
    try:
        if exit_when_idle:
            runner.run_until_idle(timeout_s=24 * 3600)
        else:
            runner.run_forever()
    except KeyboardInterrupt:
        click.echo("stopping: running jobs finish first (Ctrl+C again to abandon them)", err=True)
    finally:
        runner.stop(wait=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> signal.Handlers | int | None:
    """A service manager stops us with SIGTERM: stop as after Ctrl+C (running jobs finish, leases are given back)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    return previous  # type: ignore[return-value]


@worker_cli.command("status")
@with_appcontext
def status_cmd() -> None:
    """Recurring duties (last run, failures, last error, backlog, lag) and jobs per kind (running, queued,
    failed in the last day, lag), as the database records them for every process."""
    report = job_status.snapshot(db.session, current_app.config)
    for line in job_status.lines(report):
        click.echo(line)
