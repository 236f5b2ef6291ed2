"""Request ids in responses, JSON logs and jobs (app/logs.py); Prometheus text at /metrics to the allowed
addresses only (app/observability/metrics.py), summed over server processes in multiprocess mode."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.logging import default_handler

from app import create_app, jobs, logs
from app.extensions import db
from tests.conftest import TEST_DATABASE_URL, _config
from tests.hosts import serving

BIN = Path(sys.executable).parent


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_every_response_carries_a_request_id(client):
    made = client.get("/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/", headers={"X-Request-ID": "nginx-5f2c9a"}).headers["X-Request-ID"] == "nginx-5f2c9a"
    for insane in ("two words", "a" * 200, "-leading-dash", "x\u202ey"):
        replaced = client.get("/", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), insane


@pytest.fixture
def json_app(app) -> Flask:
    site = create_app({**_config(app.config["DATA_DIR"]), "LOG_FORMAT": "json"})
    yield site
    with site.app_context():
        db.session.remove()
        db.engine.dispose()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "qiuxue_json", False)]:
        root.removeHandler(handler)  # later tests' apps log as text again
    logging.getLogger("app").addHandler(default_handler)


def test_json_log_lines_name_the_request(json_app, capsys):
    @json_app.get("/_log-something")
    def log_something():
        logging.getLogger("catalog.test").warning("资源已导入")
        return "ok"

    response = json_app.test_client().get("/_log-something", headers={"X-Request-ID": "req-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [line] = [entry for entry in lines if entry["message"] == "资源已导入"]
    assert line["request_id"] == "req-42" == response.headers["X-Request-ID"]
    assert line["level"] == "WARNING" and line["logger"] == "catalog.test" and line["time"]


def test_a_job_enqueued_by_a_request_runs_under_its_request_id(app, client):
    seen = []
    jobs.register("test.observe", lambda ctx: seen.append((logs.current("request_id"), logs.current("job_id"))))
    try:
        @app.post("/_enqueue")
        def enqueue():
            job = jobs.enqueue(db.session, "test.observe", {"n": 1})
            db.session.commit()
            return str(job.id)

        app.config["WTF_CSRF_ENABLED"] = False
        job_id = int(client.post("/_enqueue", headers={"X-Request-ID": "upload-7"}).get_data(as_text=True))
        with app.app_context():
            assert db.session.get(jobs.Job, job_id).payload == {"n": 1, "request_id": "upload-7"}
        jobs.Worker(app, periodic=False, poll_s=0.05).run_until_idle(30)
    finally:
        jobs.HANDLERS.pop("test.observe", None)
    assert seen == [("upload-7", job_id)]


def test_a_job_enqueued_outside_a_request_has_no_request_id(app, db):
    job = jobs.enqueue(db.session, "test.nothing", {"n": 2})
    assert job.payload == {"n": 2}


def test_metrics_count_requests_by_endpoint_and_status(app, client):
    client.get("/")
    client.get("/does-not-exist")
    with app.app_context():
        jobs.enqueue(db.session, "test.waiting", {})
        db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "qiuxue_http_requests_total", endpoint="main.index", method="GET", status="200") >= 1
    assert _sample(text, "qiuxue_http_requests_total", endpoint="unmatched", status="404") >= 1
    assert _sample(text, "qiuxue_http_request_duration_seconds_count", endpoint="main.index") >= 1
    assert _sample(text, "qiuxue_jobs", kind="test.waiting", state="queued") == 1  # read from the database
    assert _sample(text, "qiuxue_job_oldest_queued_seconds", kind="test.waiting") >= 0
    assert _sample(text, "qiuxue_duty_backlog", duty="search.index") is not None  # the search index's lag


@pytest.mark.parametrize(("allow", "address", "status"), [
    ("127.0.0.1,::1", "127.0.0.1", 200),
    ("127.0.0.1,::1", "198.51.100.7", 403),
    ("10.0.0.0/8", "10.20.30.40", 200),
    ("10.0.0.0/8", "127.0.0.1", 403),
    ("not an address, 192.0.2.1", "192.0.2.1", 200),
])
def test_metrics_answer_only_the_allowed_addresses(app, client, allow, address, status):
    app.config["METRICS_ALLOW"] = allow
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == status
    if status == 403:
        assert b"qiuxue_http" not in response.data


def test_a_forged_forwarded_address_does_not_open_metrics(app, client):
    response = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"},
                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 403  # no proxy configured: the header is not believed


@pytest.mark.skipif(sys.platform == "win32", reason="--workers needs granian (Linux, macOS)")
def test_two_server_processes_report_one_sum(app):
    """`qiuxue serve --workers 2`: whichever worker answers /metrics, it counts the requests of both."""
    env = {**os.environ, "QIUXUE_DATA_DIR": app.config["DATA_DIR"], "QIUXUE_SECRET_KEY": "test-secret",
           "QIUXUE_DATABASE_URL": TEST_DATABASE_URL, "QIUXUE_WORKER": "external", "QIUXUE_SEARCH_INDEXER": "off"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with serving([str(BIN / "qiuxue"), "serve", "--workers", "2", "--threads", "2"], env,
                 log=Path(app.config["DATA_DIR"]).parent / "serve.log") as served:
        base = served.base
        with requests.Session() as session:
            for _ in range(30):
                assert session.get(base + "/.well-known/security.txt", timeout=5).status_code == 200
        counts = set()
        for _ in range(6):  # new connections: granian hands them to either worker
            text = requests.get(base + "/metrics", timeout=5).text
            counts.add(_sample(text, "qiuxue_http_requests_total", endpoint="main.security_txt", status="200"))
        assert counts == {30.0}
        assert list((Path(app.config["DATA_DIR"]) / "prometheus").glob("*.db"))
