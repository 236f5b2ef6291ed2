"""Catalog pages at 100,000 published resources on SQLite: the list page (all resources, and a menu section
with a filter), and the resource page, each served as `qiuxue serve` serves them (one granian process; `--server
waitress` for waitress), next to a bare Flask route doing one SQLite query (the baseline) served the same way,
loaded by the same client in the same run.

Client: bench/loadgen.py, one client process per keep-alive connection, requests spread over random pages
and resources. Prints p50/p95 latency and requests/second per target and the ratio to the
baseline, and writes the table into bench/README.md under "## Catalog". Runs in about 2-4 minutes.

    .venv/bin/python bench/catalog_pages.py [--resources 100000] [--threads 4] [--requests 600] [--json]
        [--rounds N] [--only list,in-list,...] [--before DIR] [--data-dir DATA] [--profile DIR] [--no-csrf-value]
        [--enrolments-per-s N] [--edits-per-s N] [--accept-encoding ENCODINGS]

Each row also gives the server's CPU per request (user + system of its processes, every thread, from /proc): less
moved by other work on the machine than the ratios. `--profile DIR` then profiles each target in a waitress server
of its own (bench/profiles/http-*.txt were made so); `--data-dir` keeps the data for the next run. The signed-in
worker's cookie holds what signing in through the form leaves in it, the CSRF value included (since 2026-12-04;
`--no-csrf-value` sends it without, as before: then every page with a form writes a new session cookie). Every
request asks for the encodings a phone's browser accepts, so pages come compressed as a worker's phone gets them
(since 2026-12-05; `--accept-encoding ''` asks for none, as before).

`--enrolments-per-s N` has other workers enroll meanwhile (a process of its own, through the app's service, as a
web process of the site would), N a second on average: each adds one to a resource's learners count, which the
shared parts show (app/sharedparts.py, SHARED_COUNTS_SECONDS).

`--json` prints the table, then one line of ratios to the baseline (the last line, read by bench/check.py, `make
bench-check`), and leaves README.md alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

from app.server import DEFAULT as DEFAULT_SERVER  # noqa: E402

# Both servers start as `qiuxue serve` starts one (app/server.py; `--server`, granian by default as there): what
# start-up built is put out of the garbage collector's sight first. Unfrozen, the app's full collections took 85-105
# ms each, one landing in nearly every run's first round (bench/README.md, "the enrol box kept, and the bench's
# servers started as `qiuxue serve` starts one"); the bare route's likewise, for the same server. Under granian the
# app's configuration comes from the environment, as `qiuxue serve`'s workers read it.
BARE_ROUTE = """
import gc, os, sqlite3, threading
from flask import Flask, jsonify
app = Flask("bare")
local = threading.local()
@app.get("/one/<int:rid>")
def one(rid):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(os.environ["BARE_DB"], check_same_thread=False)
    row = conn.execute("SELECT id, title FROM resources WHERE id = ?", (rid,)).fetchone()
    return jsonify({"id": row[0], "title": row[1]})
gc.collect()
gc.freeze()
"""
BARE_APP = """
import sys
port, threads, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if server == "waitress":
    import waitress
    from bare_pages import app
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)
else:
    from granian import Granian
    Granian("bare_pages:app", address="127.0.0.1", port=port, interface="wsgi", workers=1, blocking_threads=threads,
            websockets=False).serve()
"""

QIUXUE_APP = """
import os, sys
from pathlib import Path
from app.server import serve_granian, serve_waitress
data_dir, port, threads, server = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[5]
os.environ.update(QIUXUE_DATA_DIR=data_dir, QIUXUE_SECRET_KEY="bench", QIUXUE_PAGE_CACHE_SECONDS=sys.argv[4])
if server == "granian":  # one process, as `qiuxue serve` (its metrics in a folder of its own: one server per folder)
    serve_granian("127.0.0.1", port, 1, threads, metrics_dir=Path(data_dir) / f"prometheus-{port}")
    sys.exit()
from app import create_app
app = create_app()
if os.environ.get("BENCH_PROFILE"):  # --profile: cProfile around the WSGI app in every server thread
    sys.path.insert(0, os.environ["BENCH_DIR"])
    import catalog_pages
    app = catalog_pages.Profiled(app, os.environ["BENCH_PROFILE"])
serve_waitress(app, "127.0.0.1", port, threads)  # as `qiuxue serve --server waitress` (app/server.py)
"""

# --enrolments-per-s: other workers enrolling while the bench's worker browses, through the app's own service and
# engine (as a web process on this host would): each enrolment adds one to its resource's count
ENROLLING = """
import random, sys, time
from app import create_app
from app.extensions import db
from app.accounts import service
from app.accounts.models import Role
from app.accounts.policy import SYSTEM
from learning import enrolment
data_dir, rate, resources = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "WORKER": "external", "SEARCH_INDEXER": "off",
                  "PASSWORD_HASH": "pbkdf2:sha256:1000"})
rng = random.Random()
with app.app_context():
    first = 15000000000 + time.time_ns() // 10**9 % 10**6 * 100  # numbers no earlier run on this data used
    learners = [service.create_user(db.session, SYSTEM, phone=str(first + n), name=f"报名者{n}", role=Role.worker,
                                    password="bench-password-1") for n in range(20)]
    db.session.commit()
    print("ready", flush=True)
    while True:
        time.sleep(rng.expovariate(rate))
        enrolment.enrol(db.session, rng.choice(learners), rng.randint(1, resources))
        db.session.commit()
"""


# --edits-per-s: staff correcting resources meanwhile, each a resource's title changed through the app's engine
# (as a web process on this host commits it): before app/part_scopes.py, each edit made every page again
EDITING = """
import random, sys, time
from app import create_app
from app.extensions import db
from catalog.models import Resource
data_dir, rate, resources = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "WORKER": "external", "SEARCH_INDEXER": "off"})
rng = random.Random()
with app.app_context():
    print("ready", flush=True)
    while True:
        time.sleep(rng.expovariate(rate))
        resource = db.session.get(Resource, rng.randint(1, resources))
        resource.title = resource.title.rstrip("。") + ("。" if not resource.title.endswith("。") else "")
        db.session.commit()
"""


def side_process(script: str, data_dir: str, rate: float, resources: int) -> subprocess.Popen:
    """The process of `--enrolments-per-s` (ENROLLING, once it has made its learners) or `--edits-per-s`."""
    process = subprocess.Popen([sys.executable, "-c", script, data_dir, str(rate), str(resources)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdout is not None and process.stdout.readline().strip() == "ready", "side process failed"
    return process


class Profiled:
    """WSGI middleware for `--profile`: each server thread profiles the requests it serves (cProfile timed by the
    thread's CPU clock, one profiler per thread, enabled around the app call and the body's iteration); SIGUSR1
    starts counting afresh (after the warm-up), SIGTERM writes the merged statistics to `path` (.pstats) and a
    summary beside it (.txt)."""

    def __init__(self, app: Any, path: str):
        import signal
        import threading

        self.app, self.path, self.round, self._local = app, path, 0, threading.local()
        self.profilers: list[tuple[int, Any]] = []
        signal.signal(signal.SIGUSR1, lambda *_: setattr(self, "round", self.round + 1))
        signal.signal(signal.SIGTERM, lambda *_: (self.dump(), sys.exit(0)))

    def _profiler(self) -> Any:
        import cProfile

        mine = getattr(self._local, "profiler", None)
        if mine is None or mine[0] != self.round:
            # the thread's CPU time, not the wall clock: a thread waiting for the GIL is not charged with it
            mine = self._local.profiler = (self.round, cProfile.Profile(time.thread_time_ns, 1e-9))
            self.profilers.append(mine)
        return mine[1]

    def __call__(self, environ: dict, start_response: Any) -> list[bytes]:
        profiler = self._profiler()
        profiler.enable()
        try:
            return list(self.app(environ, start_response))  # the body made here, inside the profile
        finally:
            profiler.disable()

    def dump(self) -> None:
        import io
        import pstats

        mine = [p for r, p in self.profilers if r == self.round]
        if not mine:
            return
        stats = pstats.Stats(mine[0])
        for other in mine[1:]:
            stats.add(other)
        stats.dump_stats(self.path)
        out = io.StringIO()
        pstats.Stats(self.path, stream=out).sort_stats("cumulative").print_stats(60)
        pstats.Stats(self.path, stream=out).sort_stats("tottime").print_stats(40)
        Path(self.path).with_suffix(".txt").write_text(out.getvalue(), encoding="utf-8")


def menu_app(data_dir: str) -> Flask:
    """A Qiuxue app on `data_dir` with its tables, the test organisations and the menu (the catalog benchmarks)."""
    from app import create_app  # the project is importable once sys.path has ROOT (above); likewise below
    from app.extensions import db
    from catalog import categories
    from tests import factories

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        factories.seed_orgs()
        categories.seed_menu(db.session)
        db.session.commit()
    return app


def populate(data_dir: str, count: int) -> None:
    """100,000 published resources with categories, industries, audiences and lessons, by bulk insert."""
    from sqlalchemy import insert

    from app.db import utcnow
    from app.extensions import db
    from catalog import categories
    from catalog.models import (
        Lesson,
        Resource,
        ResourceAudience,
        ResourceCategory,
        ResourceIndustry,
        ResourceTransition,
    )
    from tests import factories

    with menu_app(data_dir).app_context():
        menu = categories.load_menu(db.session)
        leaves = [n.category.id for n in menu.flat() if not n.children]
        providers = [factories.organisations.get_by_code(db.session, c).id for c in ("INST-T1", "INST-T2")]
        now, rng = utcnow(), random.Random(7)
        industries = ["construction", "manufacturing", "energy", "logistics", "catering", "property",
                      "housekeeping", "elderly_care"]
        kinds = ["course", "video_lecture", "micro_course"]
        for start in range(0, count, 5000):
            ids = range(start + 1, min(count, start + 5000) + 1)
            db.session.execute(insert(Resource), [{
                "id": i, "title": f"基准资源{i}：岗位技能与安全生产", "summary": "面向一线职工的实用课程。",
                "description_html": "<p>课程介绍。</p>", "kind": kinds[i % 3], "status": "published",
                "provider_id": providers[i % 2], "credits": float(i % 5), "hours": float(i % 40),
                "language": "zh", "licence": "", "external_url": "", "cover_key": "", "status_comment": "",
                "enrolment_count": rng.randrange(5000), "view_count": 0, "created_at": now, "updated_at": now,
                "published_at": now.replace(microsecond=0) - __import__("datetime").timedelta(minutes=count - i),
            } for i in ids])
            db.session.execute(insert(ResourceCategory), [
                {"resource_id": i, "category_id": leaves[i % len(leaves)]} for i in ids])
            db.session.execute(insert(ResourceIndustry), [
                {"resource_id": i, "industry": industries[i % 8]} for i in ids])
            db.session.execute(insert(ResourceAudience), [
                {"resource_id": i, "audience": "skill_5" if i % 2 else "general"} for i in ids])
            db.session.execute(insert(Lesson), [
                {"resource_id": i, "position": p, "title": f"第{p + 1}课", "type": "video", "duration_s": 600,
                 "body_html": "", "external_url": "", "updated_at": now} for i in ids for p in range(4)])
            db.session.execute(insert(ResourceTransition), [
                {"resource_id": i, "action": "import", "to_status": "published", "actor_name": "bench",
                 "comment": "", "at": now} for i in ids])
        db.session.commit()
        db.session.execute(__import__("sqlalchemy").text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()


def signed_in_worker(data_dir: str, resources: int, search: bool) -> str:
    """A worker enrolled in 5 resources, with a session row and its signed session cookie (as a browser sends
    it: the `Cookie` header's value); the search index built over every resource when `search`."""
    from flask import session

    from app import create_app
    from app.accounts import sessions
    from app.extensions import db
    from learning import enrolment
    from tests import factories

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "PASSWORD_HASH": "pbkdf2:sha256:1000",
                      "SEARCH_INDEXER": "off"})
    with app.app_context():
        worker = factories.user("worker", name="李小梅")
        for rid in range(1, min(resources, 5) + 1):
            enrolment.enrol(db.session, worker, rid)
        sessions.start(db.session, worker)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        # as login_user leaves it for this client (127.0.0.1, no User-Agent): with the session-protection id
        # ("_id"), without which every request marks the session not fresh and sends a new signed cookie back
        # (which a browser would keep, so it pays that once; the load generator sends its one cookie throughout)
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            session["_user_id"], session["_fresh"] = worker.get_id(), True
            session["_id"] = app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
            cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
        db.engine.dispose()
    if search:
        done = app.test_cli_runner().invoke(args=["search", "rebuild", "--procs", "2"])
        assert done.exit_code == 0, done.output
    return cookie


def with_csrf_value(data_dir: str, cookie: str) -> str:
    """The worker's session cookie with the CSRF value that signing in through the form leaves in it, as a browser
    sends it from then on (a page with a form adds one to a session without it: a new signed cookie on every such
    page, which a browser would keep, so it pays that once; the load generator sends its one cookie throughout)."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from app import create_app

    # no background work in this process (it only signs the cookie), whatever the runtime's default
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "WORKER": "external", "SEARCH_INDEXER": "off"})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    name, value = cookie.split("=", 1)
    with app.test_request_context():
        session.update(serializer.loads(value))
        if "csrf_token" not in session:
            generate_csrf()
        return f"{name}={serializer.dumps(dict(session))}"


# What Chrome on Android sends: every page is answered compressed, as a worker's phone gets it (the site compresses
# HTML over 1 KB with brotli or gzip, app/assets.py; the bare route's one word stays as it is)
PHONE_ENCODING = "gzip, deflate, br, zstd"


def prepared(data_dir: str, resources: int, search: bool) -> str:
    """The data (and the worker's cookie) in `data_dir`: built there, or the one an earlier run left for the same
    resources and search (the file `bench-cookie` says which)."""
    marker, wanted = Path(data_dir) / "bench-cookie", f"{resources} {int(search)}"
    if marker.exists() and marker.read_text().split("\n", 1)[0] == wanted:
        print(f"reusing the {resources:,} resources in {data_dir}", flush=True)
        return marker.read_text().split("\n", 1)[1]
    if Path(data_dir, "app.db").exists():
        raise SystemExit(f"{data_dir} holds other data: give an empty or new folder")
    started = time.perf_counter()
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    populate(data_dir, resources)
    cookie = signed_in_worker(data_dir, resources, search=search)
    marker.write_text(f"{wanted}\n{cookie}")
    print(f"populated {resources:,} resources in {time.perf_counter() - started:.1f} s", flush=True)
    return cookie


def load(port: int, paths: list[str], connections: int, cookie: str = "", encoding: str = PHONE_ENCODING
         ) -> tuple[list[float], float]:
    """Send every path once over `connections` keep-alive connections (with the session `cookie`, if any, and
    the encodings a phone's browser accepts); latencies (ms) and wall time."""
    headers = {**({"Accept-Encoding": encoding} if encoding else {}), **({"Cookie": cookie} if cookie else {})}
    latencies, wall, bad = loadgen.load(port, [[loadgen.request("GET", p, headers) for p in paths[i::connections]]
                                               for i in range(connections)])
    assert bad == 0, f"{bad} answers were not 200"
    return latencies, wall


SEARCH_WORDS = ["安全生产", "岗位技能", "实用课程", "职工"]
KEYS = {"bare": "bare", "list": "list_cached", "list-nocache": "list_rendered", "menu": "menu_cached",
        "resource": "resource_rendered", "in-list": "signed_list", "in-menu": "signed_menu",
        "in-resource": "signed_resource", "in-mine": "signed_mine", "in-search": "signed_search"}


def targets(args: argparse.Namespace, ports: dict[str, int], rng: random.Random) -> list[tuple]:
    """(key, name, port, paths, signed in?) for every target; the bare route (the baseline) gets three times
    the requests, as it is three times as quick to answer."""
    n, app = args.requests, ports["app"]
    newest = max(1, args.resources - 99)  # the 100 newest: the first five list pages, what workers open most
    rows = [
        ("bare", "bare Flask route, one SQLite query (baseline)", ports["bare"],
         [f"/one/{rng.randrange(1, args.resources)}" for _ in range(n * 3)], False),
        ("list", "list page /catalog/all (newest, random page 1-50)", app,
         [f"/catalog/all?page={rng.randrange(1, 51)}" for _ in range(n)], False),
        ("list-nocache", "same list pages with the page cache off (every request rendered)", ports["nocache"],
         [f"/catalog/all?page={rng.randrange(1, 51)}" for _ in range(n)], False),
        ("menu", "menu section + filter (/catalog/menu/skills?kind=course&sort=enrolled)", app,
         [f"/catalog/menu/skills?kind=course&sort=enrolled&page={rng.randrange(1, 11)}" for _ in range(n)], False),
        ("resource", "resource page /catalog/r/<id> (4 lessons, JSON-LD; any of all the resources)", app,
         [f"/catalog/r/{rng.randrange(1, args.resources)}" for _ in range(n)], False),
        ("in-list", "signed-in worker: list page /catalog/all (random page 1-50)", app,
         [f"/catalog/all?page={rng.randrange(1, 51)}" for _ in range(n)], True),
        ("in-menu", "signed-in worker: menu section + filter (as above)", app,
         [f"/catalog/menu/skills?kind=course&sort=enrolled&page={rng.randrange(1, 11)}" for _ in range(n)], True),
        ("in-resource", "signed-in worker: resource page (one of the 100 newest)", app,
         [f"/catalog/r/{rng.randrange(newest, args.resources + 1)}" for _ in range(n)], True),
        ("in-mine", "signed-in worker: 我的学习 /learning (5 courses)", app, ["/learning"] * n, True),
    ]
    if not args.no_search:
        rows.append(("in-search", "signed-in worker: search results /search?q=... (4 words, page 1-5)", app,
                     [f"/search?q={quote(rng.choice(SEARCH_WORDS))}&page={rng.randrange(1, 6)}" for _ in range(n)],
                     True))
    if "before" in ports:  # the signed-in pages once more, served by the code before the change
        rows += [(f"was-{key[3:]}", f"the code before: {name.split(': ', 1)[1]}", ports["before"],
                  list(paths), True) for key, name, _port, paths, signed in rows if signed]
    only = set(args.only.split(",")) if args.only else None
    # the code before (--before) runs the signed-in targets chosen
    return [row for row in rows if only is None or row[0] in only or row[0] == "bare"
            or (row[0].startswith("was-") and f"in-{row[0][4:]}" in only)]


def measure(target: tuple, runs: dict[str, list], threads: int, cookie: str, pid: int, encoding: str) -> float:
    """Load one target once; its p50, p95, rate and the server's CPU ms per request go into `runs`; returns the
    rate (requests/second)."""
    key, _name, port, paths, signed = target
    cpu = loadgen.server_cpu_s(pid)
    latencies, wall = load(port, paths, threads, cookie if signed else "", encoding)
    runs[key].append((statistics.median(latencies), loadgen.percentile(latencies, 0.95), len(paths) / wall,
                      (loadgen.server_cpu_s(pid) - cpu) * 1000 / len(paths)))
    return len(paths) / wall


def profile(args: argparse.Namespace, plan: list[tuple], data_dir: str, cookie: str) -> None:
    """`--profile DIR`: each target but the baseline once more against a server of its own under cProfile (see
    `Profiled`), after a warm-up; DIR/<target>.pstats and .txt. Times under the profiler are 2-3× longer: read
    the shares."""
    import signal

    out = Path(args.profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for key, _name, _port, paths, signed in plan[1:]:
        port = loadgen.free_port()
        before = args.before if key.startswith("was-") else ""
        server = loadgen.serve(QIUXUE_APP, [data_dir, str(port), str(args.threads), "5", "waitress"], port,
                               code=before,
                               env={"BENCH_PROFILE": str(out / f"{key}.pstats"), "BENCH_DIR": str(ROOT / "bench")})
        try:
            load(port, paths[:100], args.threads, cookie if signed else "", args.accept_encoding)
            server.send_signal(signal.SIGUSR1)
            latencies, wall = load(port, paths, args.threads, cookie if signed else "", args.accept_encoding)
            print(f"  profiled {key}: {len(paths) / wall:.0f} req/s, p95 {loadgen.percentile(latencies, 0.95):.1f} ms"
                  f" -> {out / key}.txt", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4, help="server threads and client connections")
    parser.add_argument("--requests", type=int, default=600, help="requests per catalog target")
    parser.add_argument("--rounds", type=int, default=1, help="every target in turn, this many times (medians)")
    parser.add_argument("--only", default="", help="these targets (and the baseline): " + ",".join(KEYS))
    parser.add_argument("--no-search", action="store_true", help="no search target (no index to build)")
    parser.add_argument("--no-csrf-value", action="store_true",
                        help="the worker's session cookie without the CSRF value the sign-in form leaves in it (as "
                        "this benchmark sent it before 2026-12-04): every page with a form then sends a new cookie")
    parser.add_argument("--enrolments-per-s", type=float, default=0.0,
                        help="other workers enrolling meanwhile, this many a second on average (each adds one to a "
                        "resource's count), as on the live site; none by default")
    parser.add_argument("--edits-per-s", type=float, default=0.0,
                        help="staff editing meanwhile, this many a second on average (each changes a random "
                        "resource's title), as on the live site; none by default")
    parser.add_argument("--json", action="store_true",
                        help="the table printed, then one line of ratios; README.md left alone")
    parser.add_argument("--before", default="", help="a copy of the code before a change (git archive ... | tar "
                        "-x -C DIR): its server is loaded with the signed-in targets too, in the same rounds")
    parser.add_argument("--profile", default="", help="then profile each target in a server of its own (cProfile "
                        "around the WSGI app, every thread): DIR/<target>.pstats and .txt")
    parser.add_argument("--server", choices=["granian", "waitress"], default=DEFAULT_SERVER,
                        help="what serves the app and the bare route: `qiuxue serve`'s default (granian where "
                        "installed), or waitress (its --server waitress)")
    parser.add_argument("--accept-encoding", default=PHONE_ENCODING,
                        help=f"the Accept-Encoding sent (default {PHONE_ENCODING!r}, a phone's); '' for none, as "
                        "this bench sent until 2026-12-05: every page then uncompressed")
    parser.add_argument("--data-dir", default="", help="keep the data here and reuse it on the next run with the "
                        "same --resources and search (building 20,000 resources takes minutes); a temporary folder "
                        "otherwise")
    args = parser.parse_args()
    rng = random.Random(42)

    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or scratch
        cookie = prepared(data_dir, args.resources, search=not args.no_search)
        if not args.no_csrf_value:
            cookie = with_csrf_value(data_dir, cookie)
        ports = {"app": loadgen.free_port(), "bare": loadgen.free_port(), "nocache": loadgen.free_port()}
        if args.before:
            ports["before"] = loadgen.free_port()
        (Path(scratch) / "bare_pages.py").write_text(BARE_ROUTE)
        servers = [loadgen.serve(QIUXUE_APP, [data_dir, str(ports["app"]), str(args.threads), "5", args.server],
                                 ports["app"]),
                   loadgen.serve(QIUXUE_APP, [data_dir, str(ports["nocache"]), str(args.threads), "0", args.server],
                                 ports["nocache"]),
                   loadgen.serve(BARE_APP, [str(ports["bare"]), str(args.threads), args.server], ports["bare"],
                                 cwd=Path(scratch), env={"BARE_DB": str(Path(data_dir) / "app.db")})]
        if args.before:
            servers.append(loadgen.serve(QIUXUE_APP, [data_dir, str(ports["before"]), str(args.threads), "5",
                                                      args.server], ports["before"], code=args.before))
        pids = {port: server.pid for port, server in zip(
            [ports["app"], ports["nocache"], ports["bare"], *([ports["before"]] if args.before else [])], servers,
            strict=True)}
        if args.enrolments_per_s > 0:
            servers.append(side_process(ENROLLING, data_dir, args.enrolments_per_s, args.resources))
        if args.edits_per_s > 0:
            servers.append(side_process(EDITING, data_dir, args.edits_per_s, args.resources))
        try:
            plan = targets(args, ports, rng)
            for _key, _name, port, paths, signed in plan:  # warm up: imports, caches, SQLite page cache
                load(port, paths[:50], args.threads, cookie if signed else "", args.accept_encoding)
            runs: dict[str, list[tuple[float, float, float]]] = {key: [] for key, *_rest in plan}
            ratios: dict[str, list[float]] = {key: [] for key, *_rest in plan}
            bare = plan[0]

            def measured(target: tuple) -> float:
                return measure(target, runs, args.threads, cookie, pids[target[2]], args.accept_encoding)

            for round_no in range(args.rounds):
                # the baseline right before and after every target (the host's speed drifts within seconds):
                # each target's ratio is to the mean of its two neighbouring baseline runs
                rates = {}
                bare_rates = [measured(bare)]
                for target in plan[1:]:
                    rates[target[0]] = measured(target)
                    bare_rates.append(measured(bare))
                    ratios[target[0]].append(rates[target[0]] / statistics.mean(bare_rates[-2:]))
                ratios["bare"].append(1.0)
                print(f"  round {round_no + 1}: bare {statistics.median(bare_rates):.0f} req/s, "
                      + ", ".join(f"{k} {v[-1]:.2f}" for k, v in ratios.items() if k != "bare")
                      + "; server CPU ms per request: " + ", ".join(f"{k} {v[-1][3]:.2f}" for k, v in runs.items()
                                                                     if k != "bare"), flush=True)
            rows = [(name, len(paths), statistics.median(r[0] for r in runs[key]),
                     statistics.median(r[1] for r in runs[key]), statistics.median(r[2] for r in runs[key]),
                     statistics.median(ratios[key]), statistics.median(r[3] for r in runs[key]))
                    for key, name, _port, paths, _signed in plan]
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
        if args.profile:
            profile(args, plan, data_dir, cookie)
    if args.json:
        report(rows, args, write=False)  # the table too (p95, CPU), printed only; the ratios' line comes last
        print(json.dumps({KEYS.get(key, key): round(row[5], 3) for (key, *_rest), row in zip(plan, rows, strict=True)
                          if key != "bare"}))
        return
    report(rows, args)


def report(rows: list[tuple], args: argparse.Namespace, write: bool = True) -> None:
    lines = [
        f"{args.resources:,} published resources on SQLite; {args.server} with {args.threads} threads per app, "
        f"{args.threads} keep-alive client connections, all on this machine (2 shared cores); {args.rounds} "
        f"round(s), the baseline run right before and after every target, each ratio to the mean of those two, medians "
        f"over the rounds. `.venv/bin/python bench/catalog_pages.py --rounds {args.rounds}`",
        "",
        "| target | requests | p50 ms | p95 ms | req/s | req/s vs baseline | server CPU ms per request |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, count, p50, p95, rps, ratio, cpu in rows:
        lines.append(f"| {name} | {count} | {p50:.1f} | {p95:.1f} | {rps:.0f} | {ratio:.2f} | {cpu:.2f} |")
    signed = [row for row in rows if row[0].startswith("signed-in")]
    lines += ["", "Issue 20 targets for signed-in pages (≥ 0.3× the bare route, p95 ≤ 20 ms): " + "; ".join(
        f"{name.split(': ')[1].split(' (')[0]} {ratio:.2f}× p95 {p95:.1f} ms "
        f"{'met' if ratio >= 0.3 and p95 <= 20 else 'NOT met'}" for name, _n, _p50, p95, _rps, ratio, _cpu in signed)
        + ". Anonymous visitors are served from the page micro-cache (app/pagecache.py, "
        "QIUXUE_PAGE_CACHE_SECONDS=5); every viewer, signed in or not, shares the parts of a page that are the "
        "same for everyone (app/sharedparts.py: a list page's cards, a resource's facts and lessons), and only "
        "their own part (name, enrolled, progress) is rendered per request."]
    table = "\n".join(lines)
    print("\n" + table)
    if write:
        write_block("pages", "### Pages\n\n" + table)


def write_block(name: str, table: str) -> None:
    """Replace (or add) one marked block of the "## Catalog" section of bench/README.md; the pages and the
    import benchmarks each own a block, and other sections of the file are left alone."""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    begin, end = f"<!-- catalog:{name} -->", f"<!-- /catalog:{name} -->"
    block = f"{begin}\n{table}\n{end}"
    if "## Catalog" not in text:
        text = text.rstrip("\n") + "\n\n## Catalog\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        section_end = text.find("\n## ", text.index("## Catalog") + 1)
        at = len(text) if section_end == -1 else section_end
        text = text[:at].rstrip("\n") + "\n\n" + block + "\n" + text[at:]
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
