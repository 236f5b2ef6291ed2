"""In-process CPU per heartbeat: POST /api/v1/progress through Flask's test client (the whole app: hooks, session
cookie, CSRF header, the heartbeat service and its writer), beside a bare Flask route doing one SQLite query in
the same process, measured alternately in rounds so a loaded host slows both alike. No HTTP server and no
network: this is the app's own cost per request, the part our code decides.

    .venv/bin/python bench/heartbeat_cpu.py [--learners 50] [--beats 40] [--rounds 3] [--threads 1]
        [--profile | --hooks]

`--threads N` sends the heartbeats from N client threads at once, each owning a slice of the learners (as wrk's
connections do), so the SQLite group writer folds several heartbeats into one commit as it does when served;
with one thread every heartbeat commits alone and its total is mostly the commit. Each round also prints the
writer thread's own CPU per heartbeat and the mean group size (SQLite). With QIUXUE_DATABASE_URL
(postgresql+psycopg://...) the app runs on that PostgreSQL database (dropped and created again); the bare route
stays one SQLite query.

`--profile` prints cProfile's top functions for one round of heartbeats instead. `--hooks` prints the request
thread's CPU per heartbeat in each before-, after- and teardown-request hook, the session cookie's opening and
saving, and the view (its wait for the writer thread included), each timed with the thread's own CPU clock: cProfile
inflates pure-Python code several-fold against C (the rate limiter's check showed as 0.37 ms, it takes 0.01 ms).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import functools
import os
import pstats
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from heartbeats import STEP_S, populate  # noqa: E402


def bare_client(db_path: str):  # type: ignore[no-untyped-def]
    from flask import Flask, jsonify, request

    bare = Flask("bare")
    if os.environ.get("QIUXUE_DATABASE_URL"):  # the app on PostgreSQL; the baseline stays one SQLite query
        with sqlite3.connect(db_path) as made:
            made.execute("CREATE TABLE IF NOT EXISTS lesson_progress (id INTEGER PRIMARY KEY, lesson_id INT, "
                         "position_s REAL)")
            made.execute("INSERT INTO lesson_progress (lesson_id, position_s) VALUES (1, 0)")
    conn = sqlite3.connect(db_path, check_same_thread=False)

    @bare.post("/one")
    def one():  # type: ignore[no-untyped-def]
        body = request.get_json()
        row = conn.execute("SELECT id, position_s FROM lesson_progress WHERE lesson_id = ? LIMIT 1",
                           (body["lesson_id"],)).fetchone()
        return jsonify({"row": row})

    return bare.test_client(use_cookies=False)


def _name(hook) -> str:  # type: ignore[no-untyped-def]
    return getattr(hook, "__qualname__", None) or getattr(getattr(hook, "func", None), "__qualname__", "?")


def timed_hooks(app):  # type: ignore[no-untyped-def]
    """Wrap the app's request hooks, session interface and heartbeat view with thread-CPU counters."""
    costs: collections.Counter[str] = collections.Counter()

    def timed(name, hook):  # type: ignore[no-untyped-def]
        @functools.wraps(hook)
        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.thread_time_ns()
            try:
                return hook(*args, **kwargs)
            finally:
                costs[name] += time.thread_time_ns() - started
        return counted

    for kind, hooks in (("before", app.before_request_funcs), ("after", app.after_request_funcs),
                        ("teardown", app.teardown_request_funcs)):
        hooks[None] = [timed(f"{kind}: {getattr(hook, '__module__', '')} {_name(hook)}", hook)
                       for hook in hooks.get(None, [])]
    sessions = app.session_interface
    sessions.open_session = timed("session cookie: open", sessions.open_session)
    sessions.save_session = timed("session cookie: save", sessions.save_session)
    view = app.view_functions["learning_api.progress"]
    app.view_functions["learning_api.progress"] = timed("view (with its wait for the writer)", view)
    # still the view learning.heartbeat_path expects (it answers beneath Flask only for the app's own view)
    app.view_functions["learning_api.progress"].__wrapped__ = getattr(view, "__wrapped__", view)
    from learning import api, heartbeat_path

    path = app.wsgi_app
    while not isinstance(path, heartbeat_path.HeartbeatPath):
        path = path.wsgi
    path._answer = timed("beneath Flask: learning.heartbeat_path's answer (its wait for the writer included)",
                         path._answer)
    api.record = timed("learning.api.record (the wait for the writer included)", api.record)
    app.wsgi_app = timed("whole WSGI app (request thread)", app.wsgi_app)
    return costs


def watch_groups(writer):  # type: ignore[no-untyped-def]
    """Count the SQLite group writer's groups (a list the caller clears); PostgreSQL's writer has none."""
    groups: list[int] = []
    if hasattr(writer, "_commit") and hasattr(writer, "_jobs"):
        commit = writer._commit

        def counted(group):  # type: ignore[no-untyped-def]
            groups.append(len(group))
            return commit(group)
        writer._commit = counted
    return groups


def writer_cpu_ns(writer) -> int:  # type: ignore[no-untyped-def]
    """CPU time used so far by the group writer's thread (0 before it started)."""
    thread = getattr(writer, "_thread", None)
    if thread is None or thread.ident is None:
        return 0
    try:
        return time.clock_gettime_ns(time.pthread_getcpuclockid(thread.ident))
    except (OSError, ProcessLookupError):  # it ended meanwhile (idle)
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--beats", type=int, default=40, help="heartbeats per learner per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="client threads sending heartbeats at once")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--hooks", action="store_true", help="CPU per heartbeat in each hook, by thread CPU clock")
    args = parser.parse_args()
    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        people, lesson_id = populate(tmp, args.learners)
        app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "bench"})
        costs = timed_hooks(app) if args.hooks else None
        bare = bare_client(os.path.join(tmp, "app.db"))
        sent = {p["id"]: 0 for p in people}
        writer = app.extensions["heartbeat_writer"]
        groups = watch_groups(writer)

        def send(slice_: list[dict]) -> None:
            mine = app.test_client(use_cookies=False)
            for _ in range(args.beats):
                for p in slice_:
                    k = sent[p["id"]] = sent[p["id"]] + 1
                    body = {"lesson_id": lesson_id, "position_s": k * STEP_S,
                            "watched": [[(k - 1) * STEP_S, k * STEP_S]],
                            "client_time": p["start_ms"] + k * 15000, "seq": k}
                    answer = mine.post("/api/v1/progress", json=body,
                                       headers={"Cookie": p["cookie"], "X-CSRFToken": p["token"]})
                    assert answer.status_code == 200, answer.get_data(as_text=True)

        def beats() -> float:
            groups.clear()
            writer_before = writer_cpu_ns(writer)
            started = time.process_time()
            if args.threads == 1:
                send(people)
            else:
                senders = [threading.Thread(target=send, args=(people[t::args.threads],))
                           for t in range(args.threads)]
                for sender in senders:
                    sender.start()
                for sender in senders:
                    sender.join()
            count = args.beats * len(people)
            spent = (time.process_time() - started) * 1000 / count
            if groups:
                print(f"  writer thread {(writer_cpu_ns(writer) - writer_before) / count / 1e6:.3f} ms per heartbeat, "
                      f"{count / len(groups):.1f} heartbeats per group")
            return spent

        def bares() -> float:
            started = time.process_time()
            for _ in range(args.beats * len(people)):
                assert bare.post("/one", json={"lesson_id": lesson_id}).status_code == 200
            return (time.process_time() - started) * 1000 / (args.beats * len(people))

        beats(), bares()  # warm
        if costs is not None:
            costs.clear()
            for _ in range(args.rounds):
                beats()
            count = args.rounds * args.beats * len(people)
            print(f"request thread CPU µs per heartbeat, {count} heartbeats (load average {os.getloadavg()[0]:.1f}):")
            for name, ns in costs.most_common():
                print(f"{ns / count / 1000:9.1f}  {name}")
            return
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            beats()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return
        rows = [(beats(), bares()) for _ in range(args.rounds)]
        hb = sorted(r[0] for r in rows)[len(rows) // 2]
        br = sorted(r[1] for r in rows)[len(rows) // 2]
        print(f"in-process CPU ms per request (median of {args.rounds} alternating rounds, "
              f"{args.beats * len(people)} requests each; load average {os.getloadavg()[0]:.1f}): "
              f"heartbeat {hb:.3f}, bare route {br:.3f}, ratio bare/heartbeat {br / hb:.2f}")


if __name__ == "__main__":
    main()
