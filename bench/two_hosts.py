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

Needs wrk, nginx, PostgreSQL (a role that may create databases) and Redis.
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
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
from heartbeats import EPOCH, Run, server_cpu_s, write_connections, wrk  # noqa: E402

KEY = "bench-two-hosts-" + "0" * 16
QIUXUE = "import sys\nfrom app.cli import main\nsys.argv = ['qiuxue', *sys.argv[1:]]\nmain()\n"
WORDS = ("hostcheckalpha", "hostcheckbravo")  # one unique word per publish check (A -> B, then B -> A)
NGINX = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream one_host {{ server 127.0.0.1:{a}; keepalive 32; }}
    upstream two_hosts {{ least_conn; server 127.0.0.1:{a}; server 127.0.0.1:{b}; keepalive 32; }}
    server {{ listen 127.0.0.1:{one}; location / {{ proxy_pass http://one_host; {common} }} }}
    server {{ listen 127.0.0.1:{two}; location / {{ proxy_pass http://two_hosts; {common} }} }}
}}
"""
# As deploy/nginx/qiuxue.conf sends them (the app trusts X-Forwarded-* only with QIUXUE_PROXY_FIX_* set).
PROXY = ('proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; '
         'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;')


def create_database(admin_url: str) -> str:
    import psycopg  # here: only this benchmark needs the driver directly

    name = f"bench_two_hosts_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(admin_url)._replace(path="/" + name))


def drop_database(admin_url: str, url: str) -> None:
    import psycopg  # here: only this benchmark needs the driver directly

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(url: str, data_dir: str, learners: int) -> dict:
    """Tables; a published course with one 10-hour video lesson and `learners` enrolled workers, each with a
    signed session cookie and CSRF token (as bench/heartbeats.py makes them); an admin signed in the same way;
    two submitted resources, one per publish check, each titled with a word found nowhere else."""
    from flask import g, session  # setup only: the app loads after the database exists
    from flask_wtf.csrf import generate_csrf  # setup only: the app loads after the database exists

    from app import create_app  # setup only: the app loads after the database exists
    from app.accounts import sessions  # setup only: the app loads after the database exists
    from app.accounts.policy import SYSTEM  # setup only: the app loads after the database exists
    from app.db import utcnow  # setup only: the app loads after the database exists
    from app.extensions import db  # setup only: the app loads after the database exists
    from catalog import categories, service  # setup only: the app loads after the database exists
    from learning import enrolment  # setup only: the app loads after the database exists
    from tests import factories  # setup only: the app loads after the database exists
    from tests.catalog.helpers import make  # setup only: the app loads after the database exists
    from tests.learning.conftest import make_course  # setup only: the app loads after the database exists

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": KEY, "DATABASE_URL": url,
                      "PASSWORD_HASH": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        factories.seed_orgs()
        categories.seed_menu(db.session)
        course = make_course(videos=("600:00",), reading=False, external=False)
        lesson_id = course.lessons[0].id
        users = [factories.user("worker") for _ in range(learners)]
        for user in users:
            found, _created = enrolment.enrol(db.session, user, course.id)
            found.enrolled_at = found.last_active_at = utcnow() - timedelta(days=2)
            sessions.start(db.session, user)
        admin = factories.user("admin", name="管理员")
        sessions.start(db.session, admin)
        pending = []
        for word in WORDS:
            resource = make(title=f"两主机检索 {word}", kind="course", lesson_count=1)
            service.submit(db.session, SYSTEM, resource)
            pending.append(resource.id)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        start_ms = int((utcnow() - timedelta(days=1) - EPOCH).total_seconds() * 1000)

        def signed(user) -> dict:  # noqa: ANN001
            with app.test_request_context():
                session["_user_id"], session["_fresh"] = user.get_id(), True
                g.pop("csrf_token", None)  # generate_csrf caches in g, which this app context shares
                token = generate_csrf()
                cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
            return {"id": user.id, "cookie": cookie, "token": token, "start_ms": start_ms}

        people = [signed(user) for user in users]
        admin_signed = signed(admin)
        db.engine.dispose()
    return {"people": people, "lesson_id": lesson_id, "admin": admin_signed, "pending": pending}


def host_env(url: str, data_dir: Path, name: str, redis_url: str) -> dict[str, str]:
    return {"QIUXUE_DATABASE_URL": url, "QIUXUE_SECRET_KEY": KEY, "QIUXUE_DATA_DIR": str(data_dir),
            "QIUXUE_SEARCH_REPLICA": name, "QIUXUE_WORKER": "external", "QIUXUE_REDIS_URL": redis_url,
            "QIUXUE_PROXY_FIX_X_FOR": "1", "QIUXUE_PAGE_CACHE_SECONDS": "0", "QIUXUE_LOG_LEVEL": "WARNING"}


def start_host(url: str, root: Path, name: str, redis_url: str, workers: int) -> tuple[int, list[subprocess.Popen]]:
    data_dir = root / name
    data_dir.mkdir()
    env = host_env(url, data_dir, name, redis_url)
    port = loadgen.free_port()
    server = loadgen.serve(QIUXUE, ["serve", "--port", str(port), "--workers", str(workers), "--threads",
                                    "8" if workers == 1 else "4"], port, env=env, cwd=data_dir)
    log = (data_dir / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-c", QIUXUE, "worker"], cwd=data_dir, stdout=log, stderr=log,
                              env={**os.environ, **env, "PYTHONPATH": str(ROOT)})
    return port, [server, worker]


def wait_ready(port: int, timeout: float = 120.0) -> None:
    """/readyz: the database, storage and this host's replica (built from the database) ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"host on port {port} not ready after {timeout:.0f} s")


def start_nginx(folder: Path, a: int, b: int) -> tuple[subprocess.Popen, int, int]:
    one, two = loadgen.free_port(), loadgen.free_port()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX.format(dir=folder, a=a, b=b, one=one, two=two, common=PROXY))
    subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-p", str(folder)], check=True)
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder)], stderr=subprocess.DEVNULL)
    for port in (one, two):
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return process, one, two


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
    body = urllib.parse.urlencode({"decision": "select", "csrf_token": admin["token"]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{via}/catalog/review/{resource_id}", data=body,
                                     headers={"Cookie": admin["cookie"], "X-CSRFToken": admin["token"]})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10).close()
    except urllib.error.HTTPError as err:
        if err.code != 302:
            raise
    started = time.monotonic()
    while time.monotonic() - started < 20:
        with urllib.request.urlopen(f"http://127.0.0.1:{search}/api/v1/search?q={word}", timeout=10) as answer:
            if any(hit["id"] == resource_id for hit in json.load(answer)["results"]):
                return time.monotonic() - started
        time.sleep(0.1)
    return float("inf")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


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
        for hosts, runs in per_hosts.items():
            rates = [r["run"].rate for r in runs]
            medians[hosts] = statistics.median(rates)
            print(f"| {target} | {hosts} | {' / '.join(f'{x:,.0f}' for x in rates)} | {medians[hosts]:,.0f} | "
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
    url = create_database(args.pg)
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            data = populate(url, str(root / "setup"), args.learners)
            write_connections(root, "learners", data["people"], data["lesson_id"], args.connections)
            port_a, host_a = start_host(url, root, "host-a", args.redis, args.workers)
            port_b, host_b = start_host(url, root, "host-b", args.redis, args.workers)
            processes += host_a + host_b
            wait_ready(port_a)
            wait_ready(port_b)
            (root / "nginx").mkdir()
            nginx, one, two = start_nginx(root / "nginx", port_a, port_b)
            processes.append(nginx)
            pids = [p.pid for p in host_a + host_b]
            for port in (one, two):  # warm both hosts' processes and paths
                for method, path in TARGETS.values():
                    wrk(port, root, "learners", method, path, 2, args.connections, start=0)
            results: dict = {target: {1: [], 2: []} for target in TARGETS}
            start = 100  # each run's heartbeats go on past the last run's (every learner's heartbeats in order)
            for _round in range(args.rounds):
                for target, (method, path) in TARGETS.items():
                    for hosts, port in ((1, one), (2, two)):
                        time.sleep(PAUSE_S)
                        results[target][hosts].append(measure(port, root, method, path, args, start, pids, nginx.pid,
                                                             url))
                        start += 100 if method == "POST" else 0
            checks = [("AB", publish_and_find(data["admin"], data["pending"][0], WORDS[0], port_a, port_b)),
                      ("BA", publish_and_find(data["admin"], data["pending"][1], WORDS[1], port_b, port_a))]
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
        drop_database(args.pg, url)


if __name__ == "__main__":
    main()
