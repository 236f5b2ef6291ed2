"""The two tables of the background runtime: `jobs` (one-off work, one row per job) and `duty_runs` (one row per
recurring duty: its shared schedule, the lease that keeps it to one runner at a time, its last outcome)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ENDED = (JobState.succeeded, JobState.failed, JobState.cancelled)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # picks the registered handler, e.g. "media.transcode"
    # Optional de-duplication key: enqueue() returns the live job with the same key instead of adding one.
    key: Mapped[str | None] = mapped_column(String(128), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, name="job_state", native_enum=False, create_constraint=True, length=16,
             values_callable=lambda members: [m.value for m in members]), default=JobState.queued)
    attempts: Mapped[int] = mapped_column(default=0)      # claims so far, including the running one
    max_attempts: Mapped[int] = mapped_column(default=3)
    progress: Mapped[float] = mapped_column(default=0.0)  # percent 0..100, written with the heartbeat
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # A fresh token per claim: a worker that lost its claim (went stale, job re-queued) can no longer write.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    worker: Mapped[str] = mapped_column(String(100), default="")  # host/pid of the last claimant, for operators
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    run_after: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # not claimed before (retry backoff)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state.value} {self.attempts}/{self.max_attempts}>"


class DutyRun(Base):
    """A recurring duty's row, shared by every runtime on the database. For a duty that runs in one place at a
    time, `next_run_at` is the common schedule and `holder`/`lease_until` the lease a runtime takes with one
    atomic UPDATE; a runtime that dies mid-run loses the lease when it lapses. Duties that run in every process
    (the search indexer keeps each process's searcher warm) only report their outcome here."""

    __tablename__ = "duty_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # the registered duty, e.g. "media.cleanup"
    holder: Mapped[str] = mapped_column(String(100), default="")    # runtime running it now ("" when free)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)   # renewed while it runs; lapsed = free
    next_run_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # pushed back after a failure
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_worker: Mapped[str] = mapped_column(String(100), default="")  # who ran it last, for operators
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)  # in a row: 0 once a run succeeds; sets the backoff
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<DutyRun {self.name} {self.holder or 'free'} runs={self.runs} failures={self.failures}>"
