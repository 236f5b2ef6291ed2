"""Progress heartbeats: POST /api/v1/progress through the real app (session login, CSRF, the service's
compare-and-set, commit) served by waitress in its own process on SQLite in WAL mode, with 200 simulated
learners each sending its heartbeats in order (plus one replayed duplicate in ten). In the same run: a bare
Flask route doing one SQLite query (same server, same client), and raw SQLite upserts of the same rows
(in this process, one transaction per heartbeat, no HTTP). Afterwards every learner's row is checked: the
watched union and the position must be exactly what was sent (nothing lost, nothing moved backwards).

Client: bench/loadgen.py — one client process per keep-alive connection sending pre-encoded requests, each
owning a slice of the learners (the same client for every target).

    .venv/bin/python bench/heartbeats.py [--learners 200] [--beats 40] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
from loadgen import percentile  # noqa: E402

BARE_APP = """
import sqlite3, sys, threading
from flask import Flask, jsonify, request
import waitress
path, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = Flask("bare")
local = threading.local()
@app.post("/one")
def one():
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(path, check_same_thread=False)
    body = request.get_json()
    row = conn.execute("SELECT id, position_s FROM lesson_progress WHERE lesson_id = ? LIMIT 1",
                       (body["lesson_id"],)).fetchone()
    return jsonify({"row": row})
waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)
"""

QIUXUE_APP = """
import sys, waitress
from app import create_app
app = create_app({"DATA_DIR": sys.argv[1], "SECRET_KEY": "bench", "MEDIA_WORKER": "external"})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=int(sys.argv[3]), _quiet=True)
"""
STEP_S = 15.0
EPOCH = datetime(1970, 1, 1)


def populate(data_dir: str, learners: int) -> tuple[list[dict], int]:
    """A published course with one hour-long video lesson; `learners` workers enrolled two days ago, each with
    a signed session cookie and CSRF token. Returns (learners, lesson id)."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app import create_app
    from app.db import utcnow
    from app.extensions import db
    from catalog import categories
    from learning import enrolment
    from tests import factories
    from tests.learning.conftest import make_course

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "MEDIA_WORKER": "external"})
    people = []
    with app.app_context():
        db.create_all()
        factories.seed_orgs()
        categories.seed_menu(db.session)
        resource = make_course(videos=("60:00",), reading=False, external=False)
        lesson_id = resource.lessons[0].id
        users = [factories.user("worker") for _ in range(learners)]
        for user in users:
            found, _created = enrolment.enrol(db.session, user, resource.id)
            found.enrolled_at = utcnow() - timedelta(days=2)
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


def beats_for(person: dict, lesson_id: int, count: int, rnd: random.Random) -> list[dict]:
    """`count` heartbeats of 15 s each, in order, with one in ten followed by a replay of an older one."""
    out = []
    for k in range(count):
        out.append({"lesson_id": lesson_id, "position_s": (k + 1) * STEP_S, "watched": [[k * STEP_S, (k + 1) * STEP_S]],
                    "client_time": person["start_ms"] + int((k + 1) * STEP_S * 1000), "seq": k + 1})
        if k and rnd.random() < 0.1:
            out.append(dict(out[rnd.randrange(len(out) - 1)]))
    return out


def interleave(people: list[dict], plans: dict[int, list[dict]], threads: int, path: str,
               method: str = "POST") -> list[list[bytes]]:
    """One request list per connection: its learners' heartbeats, interleaved, each learner's in order."""
    work: list[list[bytes]] = []
    for t in range(threads):
        mine = people[t::threads]
        queue = []
        for k in range(max(len(plans[p["id"]]) for p in mine)):
            for p in mine:
                if k < len(plans[p["id"]]):
                    headers = {"Cookie": p["cookie"], "X-CSRFToken": p["token"]}
                    if method == "POST":
                        headers["Content-Type"] = "application/json"
                    body = json.dumps(plans[p["id"]][k]).encode() if method == "POST" else b""
                    queue.append(loadgen.request(method, path, headers, body))
        work.append(queue)
    return work


def raw_upserts(path: str, people: list[dict], plans: dict[int, list[dict]], lesson_id: int) -> tuple[float, int]:
    """The same heartbeats as plain upserts of the same rows (one transaction each, union in Python)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw_progress (user_id INTEGER, lesson_id INTEGER, watched TEXT, position_s REAL, "
                 "seq INTEGER, PRIMARY KEY (user_id, lesson_id))")
    from learning.progress import merge

    count = 0
    started = time.perf_counter()
    for person in people:
        for body in plans[person["id"]]:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT watched, seq FROM raw_progress WHERE user_id = ? AND lesson_id = ?",
                               (person["id"], lesson_id)).fetchone()
            watched = merge([*(json.loads(row[0]) if row else []), *body["watched"]])
            conn.execute("INSERT INTO raw_progress VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, lesson_id) DO UPDATE "
                         "SET watched = excluded.watched, position_s = CASE WHEN excluded.seq > seq THEN "
                         "excluded.position_s ELSE position_s END, seq = max(seq, excluded.seq)",
                         (person["id"], lesson_id, json.dumps(watched), body["position_s"], body["seq"]))
            conn.execute("COMMIT")
            count += 1
    wall = time.perf_counter() - started
    conn.close()
    return wall, count


def verify(path: str, people: list[dict], lesson_id: int, beats: int) -> tuple[int, int]:
    """(lost, regressed): rows whose union is not exactly [0, beats*15], or whose position is not the last."""
    conn = sqlite3.connect(path)
    lost = regressed = 0
    for person in people:
        row = conn.execute("SELECT watched, position_s FROM lesson_progress WHERE user_id = ? AND lesson_id = ?",
                           (person["id"], lesson_id)).fetchone()
        if row is None or json.loads(row[0]) != [[0.0, beats * STEP_S]]:
            lost += 1
        elif row[1] != beats * STEP_S:
            regressed += 1
    conn.close()
    return lost, regressed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--beats", type=int, default=40, help="heartbeats per learner (plus replays)")
    parser.add_argument("--threads", type=int, default=8, help="server threads and client connections")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        people, lesson_id = populate(data_dir, args.learners)
        rnd = random.Random(6)
        plans = {p["id"]: beats_for(p, lesson_id, args.beats, rnd) for p in people}
        total = sum(len(v) for v in plans.values())
        db_path = str(Path(data_dir) / "app.db")
        app_port, bare_port = loadgen.free_port(), loadgen.free_port()
        servers = [loadgen.serve(QIUXUE_APP, [data_dir, str(app_port), str(args.threads)], app_port),
                   loadgen.serve(BARE_APP, [db_path, str(bare_port), str(args.threads)], bare_port)]
        try:
            bare_lat, bare_wall, bare_bad = loadgen.load(bare_port, interleave(people, plans, args.threads, "/one"))
            floor = loadgen.load(app_port, interleave(people, plans, args.threads, "/healthz", "GET"))
            lat, wall, bad = loadgen.load(app_port, interleave(people, plans, args.threads, "/api/v1/progress"))
        finally:
            for server in servers:
                server.terminate()
                server.wait()
        raw_wall, raw_count = raw_upserts(str(Path(data_dir) / "raw.db"), people, plans, lesson_id)
        lost, regressed = verify(db_path, people, lesson_id, args.beats)
    report(args, total, (lat, wall, bad), (bare_lat, bare_wall, bare_bad), (raw_wall, raw_count), lost, regressed,
           floor)


def report(args, total, app_run, bare_run, raw_run, lost, regressed, floor) -> None:
    lat, wall, bad = app_run
    bare_lat, bare_wall, bare_bad = bare_run
    raw_wall, raw_count = raw_run
    rate, bare_rate, raw_rate = total / wall, total / bare_wall, raw_count / raw_wall
    print(f"{args.learners} learners, {total} heartbeats ({args.beats} each + replays); waitress {args.threads} "
          f"threads, {args.threads} keep-alive client connections; SQLite WAL; 2 shared cores.")
    print("| target | heartbeats | p50 ms | p99 ms | per second | vs bare route |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| POST /api/v1/progress (full app) | {total} | {percentile(lat, .5):.1f} | {percentile(lat, .99):.1f} | "
          f"{rate:,.0f} | {rate / bare_rate:.2f} |")
    print(f"| bare Flask route, one SQLite query (baseline) | {total} | {percentile(bare_lat, .5):.1f} | "
          f"{percentile(bare_lat, .99):.1f} | {bare_rate:,.0f} | 1.00 |")
    floor_lat, floor_wall, _bad = floor
    print(f"| GET /healthz of the same app: its middleware + one query (floor) | {total} | "
          f"{percentile(floor_lat, .5):.1f} | {percentile(floor_lat, .99):.1f} | {total / floor_wall:,.0f} | "
          f"{total / floor_wall / bare_rate:.2f} |")
    print(f"| raw SQLite upserts, one transaction each, no HTTP (baseline) | {raw_count} | - | - | {raw_rate:,.0f} | "
          f"{raw_rate / bare_rate:.2f} |")
    print(f"Ratio full app / bare route: {rate / bare_rate:.2f}; full app / raw upserts: {rate / raw_rate:.2f}.")
    print(f"Non-200 answers: app {bad}, bare {bare_bad}. Lost rows: {lost}; regressed positions: {regressed}.")
    met = rate >= 1500 and percentile(lat, .99) <= 50 and lost == regressed == bad == 0
    print(f"Targets (>= 1,500/s, p99 <= 50 ms, zero lost or regressed): {'met' if met else 'NOT met'}.")
    if lost or regressed or bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
