"""Background work: one runtime for every duty the domain packages register (see app/jobs/runtime.py).

Services use `enqueue`/`cancel`; domain packages `register` job kinds and `recurring` duties from their
`init_app`; `init_app` here adds `qiuxue worker`, the /admin/jobs page, and starts the runtime in-process with the
first request unless the runtime runs as its own process.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.jobs import cli, views
from app.jobs.duties import (
    HANDLERS,
    RECURRING,
    Backlog,
    Cancelled,
    Duty,
    DutyContext,
    Handler,
    JobContext,
    PermanentError,
    recurring,
    register,
)
from app.jobs.models import ENDED, DutyRun, Job, JobState
from app.jobs.queue import cancel, claim, enqueue, finish, heartbeat, requeue_stale
from app.jobs.runtime import Worker
from app.lean_paths import every_request

__all__ = ["ENDED", "HANDLERS", "RECURRING", "Backlog", "Cancelled", "Duty", "DutyContext", "DutyRun", "Handler",
           "Job", "JobContext", "JobState", "PermanentError", "Worker", "cancel", "claim", "enqueue", "finish",
           "heartbeat", "in_process", "init_app", "recurring", "register", "requeue_stale"]


def in_process(config: Mapping[str, Any]) -> bool:
    """Whether web processes run the runtime themselves. `MEDIA_WORKER=external` is the older name of
    `WORKER=external` and still honoured."""
    return bool(config["WORKER"] == "inprocess" and config.get("MEDIA_WORKER", "inprocess") != "external")


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.worker_cli)
    if in_process(app.config) and not app.config.get("TESTING"):
        _start_with_first_request(app)


def _start_with_first_request(app: Flask) -> None:
    """The embedded runtime starts with the first request, not at import or in CLI commands (`qiuxue db upgrade`
    must not start transcoding before the tables exist). Called after every domain has registered its duties."""
    lock = threading.Lock()

    @app.before_request
    @every_request
    def start_worker() -> None:
        if "worker" in app.extensions:
            return
        with lock:
            if "worker" not in app.extensions:
                duties = [d.name for d in RECURRING.values() if d.runs_in_process(app.config)]
                app.extensions["worker"] = Worker(app, duties=duties).start()
