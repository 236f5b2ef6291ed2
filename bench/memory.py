"""Resident memory (RSS, from /proc) of a web process and of the workers, at rest and under load, next to a bare
Flask process served the same way (the baseline), in one run.

Data: the demo data (`--data demo`, what `make run` loads) or N generated published resources as
bench/catalog_pages.py makes them (`--data 100000`), indexed by `qiuxue search rebuild`. The web process is
`qiuxue serve` (granian, one process, 8 threads, the in-process media worker and search indexer as configured
by default), and beside it granian's supervisor, which only watches it. "At rest": a few seconds after start.
"Warm": after one request to each kind of page (the search page loads jieba's dictionary and the index). "Under
load": the highest RSS seen (sampled every 0.1 s) while 8 connections send list pages, resource pages, search
queries and suggestions; "after": once they stop; with `--soak`, the same load keeps coming and RSS is noted each
minute. Workers: `qiuxue search worker` and `qiuxue media worker`, at rest.

    .venv/bin/python bench/memory.py [--data demo|N] [--requests 3000] [--arenas 2] [--soak SECONDS]
        [--soak-rate REQUESTS_PER_SECOND] [--data-dir DIR]

`--soak-rate` paces the soak (the same mix, in 10-second batches of rate × 10 requests over the 8 connections,
then a pause till the 10 s are up), for a shared machine; without it the soak sends as fast as it is answered.
`--data-dir` keeps the prepared data there and reuses it in a later run (otherwise a temporary folder).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

SERVE = """
import sys
from app.cli import main
sys.argv = ["qiuxue", *sys.argv[1:]]
main()
"""
BARE_ROUTE = """
import os, sqlite3, threading
from flask import Flask, jsonify
app = Flask("bare")
local = threading.local()
@app.get("/one/<int:rid>")
def one(rid):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(os.environ["BARE_DB"], check_same_thread=False)
    row = conn.execute("SELECT id, title FROM resources WHERE id = ?", (rid,)).fetchone()
    return jsonify({"id": row[0] if row else None})
"""
BARE_APP = """
import sys
from granian import Granian
Granian("bare_memory:app", address="127.0.0.1", port=int(sys.argv[1]), interface="wsgi", workers=1,
        blocking_threads=8, websockets=False).serve()
"""
SUPERVISOR = "granian's supervisor (watches the web process), at rest"
WORDS = ["电工", "安全", "叉车", "焊工", "养老护理", "厨师", "diangong", "月嫂", "消防", "普通话", "电子商务", "创业"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Peak(threading.Thread):
    """The highest RSS of a process while running."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.1)

    def stop(self) -> float:
        self.running = False
        self.join()
        return max(self.peak, rss_mb(self.pid))


def prepare(data_dir: str, data: str) -> tuple[list[int], str]:
    """The database and search index; (published resource ids, how long it took)."""
    started = time.perf_counter()
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    if (Path(data_dir) / "prepared").exists():
        return _published(data_dir), "0 s (kept from an earlier run)"
    if data == "demo":
        from app import create_app, demo
        from app.extensions import db

        app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "MEDIA_WORKER": "external"})
        with app.app_context():
            db.create_all()
            demo.load(db.session)
            db.session.commit()
            db.engine.dispose()
    else:
        import catalog_pages

        catalog_pages.populate(data_dir, int(data))
    subprocess.run([sys.executable, "-c", SERVE, "search", "rebuild"], env=env(data_dir), check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    (Path(data_dir) / "prepared").write_text(data)
    return _published(data_dir), f"{time.perf_counter() - started:.0f} s"


def _published(data_dir: str) -> list[int]:
    import sqlite3

    return [row[0] for row in sqlite3.connect(Path(data_dir) / "app.db").execute(
        "SELECT id FROM resources WHERE status = 'published'")]


def env(data_dir: str, arenas: int = 0) -> dict[str, str]:
    extra = {"MALLOC_ARENA_MAX": str(arenas)} if arenas else {}
    return {**os.environ, "QIUXUE_DATA_DIR": data_dir, "QIUXUE_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT), **extra}


def paths(resources: list[int], count: int) -> list[str]:
    rng = random.Random(5)
    pages = max(1, min(30, len(resources) // 20))
    kinds = [lambda: f"/catalog/all?page={rng.randrange(1, pages + 1)}", lambda: f"/catalog/r/{rng.choice(resources)}",
             lambda: f"/search?q={quote(rng.choice(WORDS))}&page={rng.randrange(1, 3)}",
             lambda: f"/api/v1/search/suggest?q={quote(rng.choice(WORDS)[:1])}"]
    return [rng.choice(kinds)() for _ in range(count)]


def load(port: int, targets: list[str], connections: int = 8) -> None:
    loadgen.load(port, [[loadgen.request("GET", p) for p in targets[i::connections]] for i in range(connections)])


def web(data_dir: str, resources: list[int], requests: int, arenas: int = 0, soak_s: int = 0,
        soak_rate: float = 0) -> dict[str, float]:
    port = loadgen.free_port()
    server = loadgen.serve(SERVE, ["serve", "--port", str(port)], port, env=env(data_dir, arenas))
    try:
        time.sleep(3)
        (pid,) = loadgen.children(server.pid)  # the web process, under granian's supervisor (server.pid)
        figures = {SUPERVISOR: rss_mb(server.pid), "at rest": rss_mb(pid)}
        load(port, ["/", "/catalog/all", f"/catalog/r/{resources[0]}", "/search?q=%E7%94%B5%E5%B7%A5",
                    "/api/v1/search/suggest?q=%E7%94%B5"], 1)
        figures["warm (one request of each kind)"] = rss_mb(pid)
        peak = Peak(pid)
        peak.start()
        load(port, paths(resources, requests))
        figures[f"under load (peak, {requests:,} requests, 8 connections)"] = peak.stop()
        time.sleep(1)
        figures["after the load"] = rss_mb(pid)
        started, batch, sent, printed = time.monotonic(), 0, 0, -1
        while time.monotonic() - started < soak_s:  # the same load again and again: does it keep growing?
            batch += 1
            batch_started = time.monotonic()
            targets = paths(resources, requests)[batch % 7::7]
            if soak_rate:
                targets = (targets * (1 + int(soak_rate * 10) // len(targets)))[:max(8, int(soak_rate * 10))]
            load(port, targets)
            sent += len(targets)
            if soak_rate:
                time.sleep(max(0.0, 10 - (time.monotonic() - batch_started)))
            minute = int((time.monotonic() - started) // 60)
            figures[f"soak, minute {minute}"] = rss_mb(pid)
            if minute != printed:
                printed = minute
                print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC soak minute {minute}: "
                      f"{figures[f'soak, minute {minute}']:.0f} MB, {sent:,} requests so far, load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return figures


def bare(data_dir: str, resources: list[int], requests: int) -> dict[str, float]:
    port = loadgen.free_port()
    (Path(data_dir) / "bare_memory.py").write_text(BARE_ROUTE)
    server = loadgen.serve(BARE_APP, [str(port)], port, cwd=Path(data_dir),
                           env={"BARE_DB": str(Path(data_dir) / "app.db")})
    try:
        time.sleep(1)
        (pid,) = loadgen.children(server.pid)  # the process granian serves it in
        figures = {"at rest": rss_mb(pid)}
        peak = Peak(pid)
        peak.start()
        rng = random.Random(3)
        load(port, [f"/one/{rng.choice(resources)}" for _ in range(requests)])
        figures["under load (peak)"] = peak.stop()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return figures


def worker(data_dir: str, group: str) -> float:
    process = subprocess.Popen([sys.executable, "-c", SERVE, group, "worker"], env=env(data_dir), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(8)
        return rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="demo", help="'demo', or a number of generated resources")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--soak", type=int, default=0, help="then keep loading it this many seconds, RSS each minute")
    parser.add_argument("--soak-rate", type=float, default=0, help="requests per second during the soak; "
                        "0: as fast as answered")
    parser.add_argument("--data-dir", help="prepare the data here and keep it; reused when already there")
    parser.add_argument("--arenas", type=int, default=2, help="also measure the web process with "
                        "MALLOC_ARENA_MAX set to this (glibc's per-thread heaps); 0: skip")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="qiuxue-memory-"))
        resources, took = prepare(data_dir, args.data)
        print(f"data: {args.data} ({len(resources):,} published resources indexed, prepared in {took})", flush=True)
        baseline = bare(data_dir, resources, args.requests)
        ours = web(data_dir, resources, args.requests, soak_s=args.soak, soak_rate=args.soak_rate)
        capped = web(data_dir, resources, args.requests, args.arenas) if args.arenas else {}
        workers = {group: worker(data_dir, group) for group in ("search", "media")}
    print("| process | state | RSS MB |")
    print("| --- | --- | --- |")
    for state, mb in baseline.items():
        print(f"| bare Flask + granian, one SQLite query (baseline) | {state} | {mb:.0f} |")
    for state, mb in ours.items():
        print(f"| qiuxue serve (granian, 1 process × 8 threads) | {state} | {mb:.0f} |")
    for state, mb in capped.items():
        print(f"| qiuxue serve, MALLOC_ARENA_MAX={args.arenas} | {state} | {mb:.0f} |")
    for group, mb in workers.items():
        print(f"| qiuxue {group} worker | at rest (8 s after start) | {mb:.0f} |")
    worst = max(mb for state, mb in ours.items() if state != SUPERVISOR)
    print(f"web process: {worst:.0f} MB at most, {worst / baseline['at rest']:.1f}× the bare process at rest; "
          f"target ≤ 200 MB: {'met' if worst <= 200 else 'NOT met'}.")


if __name__ == "__main__":
    main()
