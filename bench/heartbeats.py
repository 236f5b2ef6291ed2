"""Progress heartbeats: POST /api/v1/progress through the real app (session cookie, CSRF header, the heartbeat
service's compare-and-set, group commit) on SQLite in WAL mode, with 200 simulated learners sending 15-second
heartbeats in order (one in ten followed by a replay of an older one). In the same run and with the same client
and server: a bare Flask route doing one SQLite query (the baseline) and the app's /healthz; and raw SQLite
upserts of the same rows (in this process, one transaction per heartbeat, no HTTP). Afterwards every learner's
row is read back: its watched union must be exactly what was answered (nothing lost) and its position the
newest (nothing moved backwards). Each row also gives the server's CPU time per request (all its processes,
from /proc): on a shared host it varies less between runs than the rate does.

Each server setup is measured on its own fresh database: `one` is what `qiuxue serve` runs by default (granian,
one process, 8 threads); `granian` is `qiuxue serve --workers 2 --threads 4` (one process per core); `waitress` is
`qiuxue serve --server waitress` (one process, 8 threads: the only server on Windows). The client is
wrk (Debian package `wrk`, written in C), with bench/wrk_heartbeats.lua: one keep-alive connection per wrk
thread, each owning a slice of the learners. A Python client took half of this 2-core machine from the server.

    .venv/bin/python bench/heartbeats.py [--learners 200] [--seconds 10] [--connections 8]
        [--servers one,granian,waitress]
        [--database-url postgresql+psycopg://...] [--json]

With QIUXUE_DATABASE_URL (postgresql+psycopg://...) the app runs on that PostgreSQL database instead, dropped and
created again for each server setup; the bare route stays one SQLite query. With `--database-url URL` (the same
kind of URL) each server setup is measured twice in the same run, on SQLite and then on that PostgreSQL database,
with the same learners, the PostgreSQL row's ratio against its own run's bare route.

`--json` also prints one line of ratios (heartbeats / bare route, per server) after the table (used by
bench/check.py, `make bench-check`); it still exits 1 when a heartbeat was lost or regressed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

BARE_APP = """
import os, sqlite3, threading
from flask import Flask, jsonify, request
app = Flask("bare")
local = threading.local()
@app.post("/one")
def one():
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(os.environ["BARE_DB"], check_same_thread=False)
    body = request.get_json()
    row = conn.execute("SELECT id, position_s FROM lesson_progress WHERE lesson_id = ? LIMIT 1",
                       (body["lesson_id"],)).fetchone()
    return jsonify({"row": row})
"""
# The app is served by `qiuxue serve` itself; the bare route by the same server with the same settings.
SERVER = """
import sys
kind, port, server, workers, threads = sys.argv[1:6]
if kind == "app":
    from app.cli import main
    sys.argv = ["qiuxue", "serve", "--port", port, "--server", server, "--workers", workers, "--threads", threads]
    main()
elif server == "waitress":
    import waitress
    from bare import app
    waitress.serve(app, host="127.0.0.1", port=int(port), threads=int(threads))
else:
    from granian import Granian
    Granian("bare:app", address="127.0.0.1", port=int(port), interface="wsgi", workers=int(workers),
            blocking_threads=int(threads), websockets=False).serve()
"""
# (name, server, processes, threads): `qiuxue serve` with its defaults; with a process per core; with waitress
SETUPS = {"one": ("qiuxue serve (granian, 1 process × 8 threads)", "granian", "1", "8"),
          "granian": ("granian, 2 processes × 4 threads (qiuxue serve --workers 2 --threads 4)", "granian", "2", "4"),
          "waitress": ("waitress, 1 process × 8 threads (qiuxue serve --server waitress)", "waitress", "1", "8")}
LUA = ROOT / "bench" / "wrk_heartbeats.lua"
STEP_S = 15.0
EPOCH = datetime(1970, 1, 1)
WARM_S = 3


def populate(data_dir: str, learners: int) -> tuple[list[dict], int]:
    """A published course with one 10-hour video lesson; `learners` workers enrolled two days ago, each with
    a signed session cookie and CSRF token. Returns (learners, lesson id)."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app import create_app
    from app.accounts import sessions
    from app.db import utcnow
    from app.extensions import db
    from catalog import categories
    from learning import enrolment
    from tests import factories
    from tests.learning.conftest import make_course

    # a cheap hash only to create the accounts quickly: the sessions below are signed directly
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "PASSWORD_HASH": "pbkdf2:sha256:1000"})
    people = []
    with app.app_context():
        if os.environ.get("QIUXUE_DATABASE_URL"):  # PostgreSQL: a fresh schema for each server setup
            db.drop_all()
        db.create_all()
        factories.seed_orgs()
        categories.seed_menu(db.session)
        resource = make_course(videos=("600:00",), reading=False, external=False)
        lesson_id = resource.lessons[0].id
        users = [factories.user("worker") for _ in range(learners)]
        for user in users:
            found, _created = enrolment.enrol(db.session, user, resource.id)
            # Enrolled and last seen two days ago: the heartbeats, dated from a day ago, arrive as a replayed
            # offline queue would, and the learner's clock (learning.pace) has the time to pay for them.
            found.enrolled_at = found.last_active_at = utcnow() - timedelta(days=2)
            sessions.start(db.session, user)  # the signed-in session the cookie below names
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        start_ms = int((utcnow() - timedelta(days=1) - EPOCH).total_seconds() * 1000)
        for user in users:
            with app.test_request_context():
                session["_user_id"], session["_fresh"] = user.get_id(), True
                g.pop("csrf_token", None)  # generate_csrf caches in g, which this app context shares
                token = generate_csrf()
                cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
            people.append({"id": user.id, "cookie": cookie, "token": token, "start_ms": start_ms})
        db.engine.dispose()
    return people, lesson_id


def _lua(text: str) -> str:
    return json.dumps(text)  # ASCII only here, and JSON's escapes are Lua's


def write_connections(folder: Path, prefix: str, people: list[dict], lesson_id: int, connections: int) -> None:
    """One learner file per wrk connection: its slice of the learners."""
    for t in range(connections):
        rows = ",\n".join(f"{{cookie = {_lua(p['cookie'])}, token = {_lua(p['token'])}, start_ms = {p['start_ms']}}}"
                          for p in people[t::connections])
        (folder / f"{prefix}_{t}.lua").write_text(f"return {{lesson = {lesson_id}, people = {{\n{rows}\n}}}}\n")


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non200: int
    socket_errors: int
    answered: dict[tuple[int, int], tuple[int, int]]  # (connection, learner index) -> (last answered, last sent)
    cpu_ms: float = 0.0  # the server's CPU time per request (all its processes): steadier than the rate here

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(port: int, folder: Path, prefix: str, method: str, path: str, seconds: int, connections: int,
        start: int = 0) -> Run:
    result = folder / f"result_{prefix}_{port}.txt"
    env = {**os.environ, "HB_RESULT": str(result), "HB_START": str(start)}
    subprocess.run(["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA),
                    f"http://127.0.0.1:{port}", "--", str(folder), prefix, method, path],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answered, total = {}, None
    for line in result.read_text().splitlines():
        kind, *numbers = line.split()
        values = [int(n) for n in numbers]
        if kind == "learner":
            answered[(values[0], values[1])] = (values[2], values[3])
        else:
            total = values
    assert total is not None, "wrk wrote no totals"
    requests, duration_us, p50_us, p99_us, non200, errors = total
    return Run(requests, duration_us / 1e6, p50_us / 1000, p99_us / 1000, non200, errors, answered)


def measured(server: subprocess.Popen, *args, **kwargs) -> Run:
    """wrk against the server, with the server's CPU time per request."""
    before = loadgen.server_cpu_s(server.pid)
    run = wrk(*args, **kwargs)
    run.cpu_ms = (loadgen.server_cpu_s(server.pid) - before) * 1000 / max(run.requests, 1)
    return run


def verify(db_path: str, people: list[dict], lesson_id: int, run: Run, connections: int) -> tuple[int, int]:
    """(lost, regressed). Lost: a learner whose watched union is not exactly [0, 15 × k] with k its last
    heartbeat answered 200 (or the one still in flight when wrk stopped). Regressed: a resume position
    behind the last heartbeat answered."""
    url = os.environ.get("QIUXUE_DATABASE_URL")
    if url:  # PostgreSQL: the same query through SQLAlchemy (psycopg)
        import sqlalchemy

        engine = sqlalchemy.create_engine(url)
        conn = engine.raw_connection()
        sql = "SELECT watched, position_s FROM lesson_progress WHERE user_id = %s AND lesson_id = %s"
    else:
        conn = sqlite3.connect(db_path)
        sql = "SELECT watched, position_s FROM lesson_progress WHERE user_id = ? AND lesson_id = ?"
    lost = regressed = 0
    for (t, i), (answered, sent) in run.answered.items():
        person = people[t::connections][i - 1]
        cursor = conn.cursor()
        cursor.execute(sql, (person["id"], lesson_id))
        row = cursor.fetchone()
        watched = (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else []
        if watched not in ([[0.0, answered * STEP_S]], [[0.0, sent * STEP_S]]) and not (answered == 0 and not row):
            lost += 1
        elif row and row[1] < answered * STEP_S:
            regressed += 1
    conn.close()
    return lost, regressed


def start_servers(kind: str, data_dir: Path) -> tuple[list, int, int]:
    env = {"QIUXUE_DATA_DIR": str(data_dir), "QIUXUE_SECRET_KEY": "bench", "QIUXUE_MEDIA_WORKER": "external",
           "BARE_DB": str(data_dir / "app.db")}
    (data_dir / "bare.py").write_text(BARE_APP)
    if os.environ.get("QIUXUE_DATABASE_URL"):  # the app on PostgreSQL; the baseline stays one SQLite query
        with sqlite3.connect(data_dir / "app.db") as bare_db:
            bare_db.execute("CREATE TABLE lesson_progress (id INTEGER PRIMARY KEY, lesson_id INT, position_s REAL)")
            bare_db.execute("INSERT INTO lesson_progress (lesson_id, position_s) VALUES (1, 0)")
    app_port, bare_port = loadgen.free_port(), loadgen.free_port()
    servers = [loadgen.serve(SERVER, [name, str(port), *SETUPS[kind][1:]], port, env=env, cwd=data_dir)
               for name, port in (("app", app_port), ("bare", bare_port))]
    return servers, app_port, bare_port


def measure(kind: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        people, lesson_id = populate(tmp, args.learners + args.connections)
        warm, people = people[:args.connections], people[args.connections:]
        write_connections(data_dir, "learners", people, lesson_id, args.connections)
        write_connections(data_dir, "warm", warm, lesson_id, args.connections)
        servers, app_port, bare_port = start_servers(kind, data_dir)
        try:
            for port, method, path in ((bare_port, "POST", "/one"), (app_port, "GET", "/healthz"),
                                       (app_port, "POST", "/api/v1/progress")):  # warm every process and path
                wrk(port, data_dir, "warm", method, path, WARM_S, args.connections)
            time.sleep(1)
            app, bare_app = servers
            bare = measured(bare_app, bare_port, data_dir, "learners", "POST", "/one", args.seconds, args.connections)
            floor = measured(app, app_port, data_dir, "learners", "GET", "/healthz", args.seconds, args.connections)
            beats = measured(app, app_port, data_dir, "learners", "POST", "/api/v1/progress", args.seconds,
                             args.connections)
        finally:
            for server in servers:
                server.terminate()
                server.wait()
        lost, regressed = verify(str(data_dir / "app.db"), people, lesson_id, beats, args.connections)
    return {"bare": bare, "floor": floor, "beats": beats, "lost": lost, "regressed": regressed}


def raw_upserts(path: str, learners: int, beats: int) -> float:
    """The same kind of heartbeats as plain upserts (one transaction each, union in Python): rows per second."""
    from learning.progress import merge

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw_progress (user_id INTEGER, lesson_id INTEGER, watched TEXT, position_s REAL, "
                 "seq INTEGER, PRIMARY KEY (user_id, lesson_id))")
    rnd = random.Random(6)
    count = 0
    started = time.perf_counter()
    for user in range(learners):
        for k in range(1, beats + 1):
            if k > 1 and rnd.random() < 0.1:
                k = rnd.randrange(1, k)
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT watched, seq FROM raw_progress WHERE user_id = ? AND lesson_id = 1",
                               (user,)).fetchone()
            watched = merge([*(json.loads(row[0]) if row else []), [(k - 1) * STEP_S, k * STEP_S]])
            conn.execute("INSERT INTO raw_progress VALUES (?, 1, ?, ?, ?) ON CONFLICT (user_id, lesson_id) DO UPDATE "
                         "SET watched = excluded.watched, position_s = CASE WHEN excluded.seq > seq THEN "
                         "excluded.position_s ELSE position_s END, seq = max(seq, excluded.seq)",
                         (user, json.dumps(watched), k * STEP_S, k))
            conn.execute("COMMIT")
            count += 1
    rate = count / (time.perf_counter() - started)
    conn.close()
    return rate


def report(results: dict[str, dict], raw_rate: float, args: argparse.Namespace) -> bool:
    print(f"{args.learners} learners, {args.connections} keep-alive connections (wrk), {args.seconds} s per target "
          f"after {WARM_S} s of warm-up; SQLite WAL; 2 shared cores; load average {os.getloadavg()[0]:.1f} at the end.")
    print("| server | target | requests | p50 ms | p99 ms | per second | vs bare route | server CPU ms per request |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    met = True
    for kind, r in results.items():
        bare = r["bare"].rate
        label = SETUPS[kind.split("_")[0]][0] + (" on PostgreSQL" if "_" in kind else "")
        for name, run in (("POST /api/v1/progress (full app)", r["beats"]),
                          ("bare Flask route, one SQLite query (baseline)", r["bare"]),
                          ("GET /healthz of the same app (its middleware + one query)", r["floor"])):
            print(f"| {label} | {name} | {run.requests} | {run.p50_ms:.1f} | {run.p99_ms:.1f} | "
                  f"{run.rate:,.0f} | {run.rate / bare:.2f} | {run.cpu_ms:.2f} |")
        beats = r["beats"]
        bad = beats.non200 + beats.socket_errors + r["bare"].non200 + r["floor"].non200
        ok = beats.rate >= 1500 and beats.p99_ms <= 50 and r["lost"] == r["regressed"] == bad == 0
        met = met and not (r["lost"] or r["regressed"] or bad)
        print(f"{kind}: non-200 or socket errors {bad}; lost {r['lost']}, regressed {r['regressed']} of "
              f"{len(beats.answered)} learners; targets (>= 1,500/s, p99 <= 50 ms, none lost or regressed): "
              f"{'met' if ok else 'NOT met'}.")
    print(f"raw SQLite upserts, one transaction each, no HTTP (baseline): {raw_rate:,.0f}/s.")
    return met


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--servers", default="one,granian", help=f"of {', '.join(SETUPS)}")
    parser.add_argument("--json", action="store_true", help="also print one line of ratios")
    parser.add_argument("--database-url", default="",
                        help="also measure each server setup on this PostgreSQL database (dropped and created again)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/heartbeats.py needs wrk, the HTTP load generator: apt-get install wrk")
    results = {}
    for kind in args.servers.split(","):
        if args.database_url:  # SQLite, then PostgreSQL
            os.environ.pop("QIUXUE_DATABASE_URL", None)
        results[kind] = measure(kind, args)
        if args.database_url:
            os.environ["QIUXUE_DATABASE_URL"] = args.database_url
            results[f"{kind}_postgresql"] = measure(kind, args)
            os.environ.pop("QIUXUE_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        raw_rate = raw_upserts(str(Path(tmp) / "raw.db"), args.learners, 40)
    met = report(results, raw_rate, args)
    if args.json:
        print(json.dumps({f"heartbeats_{kind}": round(r["beats"].rate / r["bare"].rate, 3)
                          for kind, r in results.items()}))
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
