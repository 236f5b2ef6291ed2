"""Prometheus metrics, served as text at /metrics to the addresses in METRICS_ALLOW.

Two kinds, kept apart so several server processes (granian's workers) add up:
- counted in the process (requests, latencies, heartbeats, transcode seconds): prometheus_client's own metrics.
  With PROMETHEUS_MULTIPROC_DIR set, each process writes them to files there and a scrape of any process sums
  every process's files (prometheus_client's multiprocess mode; `qiuxue serve --workers N` sets the folder up).
  Every metric here has labels, so no value exists before a request: the parent process that forks the workers
  writes none.
- read from the database at scrape time (job queue depth and age, each recurring duty's backlog and lag, among
  them the search index's): the same in every process and host, so never summed, and never stale.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.extensions import db
from app.jobs import status as jobs_status
from app.lean_paths import every_request

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("qiuxue_http_requests", "HTTP requests answered, by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("qiuxue_http_request_duration_seconds", "Time to answer a request, by endpoint.", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
HEARTBEATS = Counter("qiuxue_heartbeats", "Progress heartbeats: accepted (folded in) or refused by the trust "
                     "rules (malformed and rate-limited ones show in qiuxue_http_requests).", ["outcome"])
TRANSCODE = Histogram("qiuxue_transcode_seconds", "Wall time of one transcode run, by outcome (ok, error).",
                      ["outcome"],
                      buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400))


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    """Observe the block's wall time, labelled "ok", or "error" when it raised (cancelled runs included)."""
    started, outcome = time.perf_counter(), "error"
    try:
        yield
        outcome = "ok"
    finally:
        histogram.labels(outcome).observe(time.perf_counter() - started)


def use_multiprocess_dir(folder: Path) -> None:
    """Count in files under `folder` from now on (before the server forks its workers): prometheus_client picks
    its value store when imported, so it is picked again here. The folder is emptied: what an earlier run counted
    would otherwise be added to this one's."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # prometheus_client, untyped


class _ThisProcess(Collector):
    """The process's own metrics (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _FromDatabase(Collector):
    """Gauges read from the database when scraped (call inside an app context)."""

    def collect(self) -> Iterator[Metric]:
        snapshot = jobs_status.snapshot(db.session, current_app.config, failed_limit=0)
        db.session.rollback()
        jobs = GaugeMetricFamily("qiuxue_jobs", "Jobs now queued or running, by kind.", labels=["kind", "state"])
        failed = GaugeMetricFamily("qiuxue_jobs_failed_recent", "Jobs failed in the last day, by kind.",
                                   labels=["kind"])
        age = GaugeMetricFamily("qiuxue_job_oldest_queued_seconds", "How long the oldest due queued job has "
                                "waited, by kind.", labels=["kind"])
        for kind in snapshot.kinds:
            jobs.add_metric([kind.kind, "queued"], kind.queued)
            jobs.add_metric([kind.kind, "running"], kind.running)
            failed.add_metric([kind.kind], kind.failed)
            age.add_metric([kind.kind], kind.lag_s or 0.0)
        backlog = GaugeMetricFamily("qiuxue_duty_backlog", "Items waiting for a recurring duty (search.index: "
                                    "catalog changes not yet in the search index).", labels=["duty"])
        lag = GaugeMetricFamily("qiuxue_duty_lag_seconds", "Age of a duty's oldest waiting item, or how overdue "
                                "its next run is (search.index: the search index lag).", labels=["duty"])
        failures = GaugeMetricFamily("qiuxue_duty_failures", "Failed runs of a duty in a row.", labels=["duty"])
        for duty in snapshot.duties:
            if duty.backlog is not None:
                backlog.add_metric([duty.name], duty.backlog.count)
            lag.add_metric([duty.name], duty.lag_s or 0.0)
            failures.add_metric([duty.name], duty.row.failures if duty.row is not None else 0)
        yield from (jobs, failed, age, backlog, lag, failures)


def exposition() -> bytes:
    """The Prometheus text of every process (multiprocess mode) or this one, then the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client, untyped
    else:
        registry.register(_ThisProcess())
    registry.register(_FromDatabase())
    return generate_latest(registry)


def count(endpoint: str, method: str, status: int, started: float) -> None:
    """One request answered, as `count_request` counts it, for an answer made before Flask (app/pagecache.py)."""
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint).observe(time.perf_counter() - started)


def init_app(app: Flask) -> None:
    """Time and count every request, by its endpoint (bounded: never the raw path)."""

    @app.before_request
    @every_request
    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    @every_request
    def count_request(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
