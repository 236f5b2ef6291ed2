"""Two web hosts behind nginx against one: how throughput grows with the second host (issue 21, deliverable 9).

Each "host" is a `qiuxue serve` process with a data folder of its own (its own search replica, no shared disk)
and a `qiuxue worker` beside it on that folder (as docs/deploy.md sets a host up: the worker's indexer keeps the
host's replica following the shared change log); both hosts use one PostgreSQL database (a fresh one, made and
dropped here), one QIUXUE_SECRET_KEY and Redis for the rate limits. nginx (a temporary configuration, plain
HTTP) has two upstreams on two ports: host A alone (the baseline, in the same run) and hosts A and B
(least_conn, keep-alive). wrk drives both with bench/wrk_heartbeats.lua: signed-in heartbeats
(POST /api/v1/progress, learners made as bench/heartbeats.py makes them) and a signed-in page (GET /learning,
我的学习). The runs alternate (per round and target: 1 host, then 2 hosts) so a change in this shared machine's
load hits both. CPU per request: the hosts' processes (servers and workers) and nginx, from /proc.

Then a change made through host A (an admin publishes a submitted resource: POST /catalog/review/<id>) must be
found by searching host B within 10 s, and the other way round.

    .venv/bin/python bench/two_hosts.py [--seconds 10] [--rounds 2] [--learners 400] [--connections 8]
        [--workers 1] [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--redis redis://127.0.0.1:6379/12]

Needs wrk, nginx, PostgreSQL (a role that may create databases) and Redis. The set-up (database, hosts, nginx,
signed sessions) is tests/hosts.py, shared with the end-to-end test of the same set-up, tests/deploy/test_two_hosts.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from heartbeats import EPOCH, Run, write_connections, wrk  # noqa: E402
from loadgen import server_cpu_s  # noqa: E402

from tests import hosts  # noqa: E402

WORDS = ("hostcheckalpha", "hostcheckbravo")  # one unique word per publish check (A -> B, then B -> A)


def populate(url: str, data_dir: str, learners: int) -> dict:
    """Tables; a published course with one 10-hour video lesson and `learners` enrolled workers, each with a
    signed session cookie and CSRF token (as bench/heartbeats.py makes them); an admin signed in the same way;
    two submitted resources, one per publish check, each titled with a word found nowhere else."""
    from app.accounts.policy import SYSTEM  # setup only: the app loads after the database exists
    from app.db import utcnow  # setup only: the app loads after the database exists
    from app.extensions import db  # setup only: the app loads after the database exists
    from catalog import service  # setup only: the app loads after the database exists
    from learning import enrolment  # setup only: the app loads after the database exists
    from tests import factories  # setup only: the app loads after the database exists
    from tests.catalog.helpers import make  # setup only: the app loads after the database exists
    from tests.learning.conftest import make_course  # setup only: the app loads after the database exists

    with hosts.site(url, data_dir) as app:
        course = make_course(videos=("600:00",), reading=False, external=False)
        lesson_id = course.lessons[0].id
        start_ms = int((utcnow() - timedelta(days=1) - EPOCH).total_seconds() * 1000)
        people = []
        for _ in range(learners):
            user = factories.user("worker")
            found, _created = enrolment.enrol(db.session, user, course.id)
            found.enrolled_at = found.last_active_at = utcnow() - timedelta(days=2)
            people.append({**hosts.signed_in(app, user), "start_ms": start_ms})
        admin = hosts.signed_in(app, factories.user("admin", name="管理员"))
        pending = []
        for word in WORDS:
            resource = make(title=f"两主机检索 {word}", kind="course", lesson_count=1)
            service.submit(db.session, SYSTEM, resource)
            pending.append(resource.id)
    return {"people": people, "lesson_id": lesson_id, "admin": admin, "pending": pending}


def cpu_s(pids: list[int]) -> float:
    return sum(server_cpu_s(pid) for pid in pids)


def backend_pids(admin_url: str, url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (the hosts' pooled connections)."""
    import psycopg  # here: only this benchmark needs the driver directly

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]


def publish_and_find(admin: dict, resource_id: int, word: str, via: int, search: int) -> float:
    """Publish the resource through host `via`; seconds until host `search` finds it (inf after 20 s)."""
    status = hosts.post_form(via, f"/catalog/review/{resource_id}", admin, {"decision": "select"})
    if status != 302:
        raise RuntimeError(f"publishing through port {via} answered {status}")
    started = time.monotonic()
    while time.monotonic() - started < 20:
        if hosts.search_finds(search, word, resource_id):
            return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


def measure(port: int, folder: Path, method: str, path: str, args: argparse.Namespace, start: int,
            pids: list[int], nginx_pid: int, url: str) -> dict:
    pg_before = {pid: server_cpu_s(pid) for pid in backend_pids(args.pg, url)}
    before, before_nginx = cpu_s(pids), cpu_s([nginx_pid])
    run: Run = wrk(port, folder, "learners", method, path, args.seconds, args.connections, start=start)
    per = 1000 / max(run.requests, 1)
    pg_after = {pid: server_cpu_s(pid) for pid in backend_pids(args.pg, url)}
    pg = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())  # a connection closed meanwhile: lost
    return {"run": run, "cpu_ms": (cpu_s(pids) - before) * per, "nginx_ms": (cpu_s([nginx_pid]) - before_nginx) * per,
            "pg_ms": pg * per}


def report(results: dict, checks: list[tuple[str, float]], args: argparse.Namespace) -> None:
    print(f"{args.learners} signed-in learners, wrk with {args.connections} keep-alive connections, {args.seconds} s "
          f"per run, {args.rounds} rounds alternating 1 host / 2 hosts; each host `qiuxue serve --workers "
          f"{args.workers}` + `qiuxue worker`; PostgreSQL, Redis, nginx; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the end.")
    print("| target | hosts | requests/s (each round) | median req/s | p50 ms | p99 ms | hosts' CPU ms/request | "
          "nginx CPU ms/request | PostgreSQL CPU ms/request | non-200 / socket errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios = {}
    for target, per_hosts in results.items():
        medians = {}
        for count, runs in per_hosts.items():
            rates = [r["run"].rate for r in runs]
            medians[count] = statistics.median(rates)
            print(f"| {target} | {count} | {' / '.join(f'{x:,.0f}' for x in rates)} | {medians[hosts]:,.0f} | "
                  f"{statistics.median(r['run'].p50_ms for r in runs):.1f} | "
                  f"{statistics.median(r['run'].p99_ms for r in runs):.1f} | "
                  f"{statistics.median(r['cpu_ms'] for r in runs):.2f} | "
                  f"{statistics.median(r['nginx_ms'] for r in runs):.2f} | "
                  f"{statistics.median(r['pg_ms'] for r in runs):.2f} | "
                  f"{sum(r['run'].non200 for r in runs)} / {sum(r['run'].socket_errors for r in runs)} |")
        ratios[target] = medians[2] / medians[1]
    for target, ratio in ratios.items():
        print(f"{target}: 2 hosts / 1 host = {ratio:.2f}")
    for name, seconds in checks:
        print(f"published through host {name[0]}, found by searching host {name[1]} after {seconds:.1f} s "
              f"(limit 10 s: {'met' if seconds <= 10 else 'NOT met'})")
    print(json.dumps({f"two_hosts_{k}": round(v, 3) for k, v in ratios.items()}))


PAUSE_S = 3  # between runs: what a run left behind (group commits, announcements to the workers) settles first
TARGETS = {"heartbeats": ("POST", "/api/v1/progress"), "page_learning": ("GET", "/learning")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server processes per host")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"bench/two_hosts.py needs {tool}: apt-get install {tool}")
    url = hosts.create_database(args.pg, "bench_two_hosts")
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            data = populate(url, str(root / "setup"), args.learners)
            write_connections(root, "learners", data["people"], data["lesson_id"], args.connections)
            env = hosts.host_env(url, root, "", args.redis)
            host_a, host_b = (hosts.start_host(root, name, env, args.workers) for name in ("host-a", "host-b"))
            processes += host_a.processes() + host_b.processes()
            hosts.wait_ready(host_a)
            hosts.wait_ready(host_b)
            a, b = host_a.port, host_b.port
            nginx, ports = hosts.start_nginx(root / "nginx", {
                "one_host": f"server 127.0.0.1:{a}; keepalive 32;",
                "two_hosts": f"least_conn; server 127.0.0.1:{a}; server 127.0.0.1:{b}; keepalive 32;"})
            processes.append(nginx)
            one, two = ports["one_host"], ports["two_hosts"]
            pids = [p.pid for p in host_a.processes() + host_b.processes()]
            for port in (one, two):  # warm both hosts' processes and paths
                for method, path in TARGETS.values():
                    wrk(port, root, "learners", method, path, 2, args.connections, start=0)
            results: dict = {target: {1: [], 2: []} for target in TARGETS}
            start = 100  # each run's heartbeats go on past the last run's (every learner's heartbeats in order)
            for _round in range(args.rounds):
                for target, (method, path) in TARGETS.items():
                    for count, port in ((1, one), (2, two)):
                        time.sleep(PAUSE_S)
                        results[target][count].append(measure(port, root, method, path, args, start, pids, nginx.pid,
                                                              url))
                        start += 100 if method == "POST" else 0
            checks = [("AB", publish_and_find(data["admin"], data["pending"][0], WORDS[0], a, b)),
                      ("BA", publish_and_find(data["admin"], data["pending"][1], WORDS[1], b, a))]
            report(results, checks, args)
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=60)
            processes = []
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        hosts.drop_database(args.pg, url)


if __name__ == "__main__":
    main()
