"""A `qiuxue worker` with one extra job kind, for tests that run real worker processes: `python -m
tests.app.worker_plugin worker ...` registers "test.record" and hands over to the `qiuxue` command.

A "test.record" job writes when each run starts and ends into the `test_job_runs` table (made by the test), so
the test can see which worker ran a job, how often, and whether two runs of one job ever overlapped. With
`block` in its payload it waits until the file named there exists (a job "mid-transcode" to kill a worker in).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Column, Float, Integer, MetaData, Table, insert, update

from app import jobs
from app.cli import main
from app.extensions import db

KIND = "test.record"
metadata = MetaData()
runs = Table("test_job_runs", metadata,
             Column("id", Integer, primary_key=True),
             Column("job_id", Integer, nullable=False),
             Column("attempt", Integer, nullable=False),
             Column("pid", Integer, nullable=False),
             Column("started", Float, nullable=False),
             Column("ended", Float))


def record(ctx: jobs.JobContext) -> None:
    with db.engine.begin() as conn:
        run_id = conn.execute(insert(runs).values(job_id=ctx.job_id, attempt=ctx.attempt, pid=os.getpid(),
                                                  started=time.time())).inserted_primary_key[0]
    release = ctx.payload.get("block")
    while release and not Path(release).exists():
        time.sleep(0.05)
    time.sleep(float(ctx.payload.get("seconds", 0.05)))  # long enough for a second claim to try
    with db.engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(ended=time.time()))


if __name__ == "__main__":
    jobs.register(KIND, record)
    main()
