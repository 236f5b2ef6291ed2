"""Where a signed-in worker's request spends its time: pyinstrument profiles of the list page, a menu section
(as bench/catalog_pages.py asks for it), a 7-lesson resource page, 我的学习, search results and a progress
heartbeat, on the demo data, through the app in this process (Flask's test client: no server, no network, so
what is measured is the app alone).

For each target: CPU ms per request measured without the profiler (median of 3 rounds), beside the baseline
measured the same way just before it (a bare Flask route doing one SQLite query, in this process, through its own
test client) and the ratio of the two, then a profiled run
whose samples are summed by where the time is spent (own time per library or package: jinja2, sqlalchemy,
babel, werkzeug, our packages...) and by our functions that hold most of the time (inclusive). Writes, per
target, bench/profiles/<name>.txt (pyinstrument's call tree, the summary at its top) and <name>.html (the
interactive flame view), and prints the summaries. The heartbeat's database work runs in the group writer's
thread (learning.group_writer): that thread is profiled too, and its tree is appended to heartbeat.txt.

    .venv/bin/python bench/profile_pages.py [--requests 200] [--only floor,list,menu,resource,mine,search,heartbeat]

`floor` is an empty page for the signed-in worker (a view registered here that returns one word): what every
signed-in request pays before its own work (Flask's request set-up, every hook, the session cookie, the user), the
floor under any page's ratio to the bare route.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyinstrument import Profiler  # noqa: E402

OUT = ROOT / "bench" / "profiles"
EPOCH = datetime(1970, 1, 1)
WORKER_PHONE = "13900000007"  # the demo worker, 李小梅
# where own time is counted: the first of these found in a frame's file path names its bucket
BUCKETS = [("werkzeug/test", "test client (the bench's side, not the server's)"),
           ("jinja2", "jinja2 (template engine)"), ("/templates/", "templates (compiled code)"),
           ("sqlalchemy", "sqlalchemy"), ("sqlite3", "sqlite3 driver"), ("babel", "babel / flask_babel"),
           ("werkzeug/routing", "werkzeug routing + url_for"), ("werkzeug", "werkzeug (other)"),
           ("flask_login", "flask_login"), ("flask_wtf", "flask_wtf (csrf)"), ("itsdangerous", "itsdangerous"),
           ("markupsafe", "markupsafe"), ("flask/", "flask"), ("json", "json"), ("bleach", "bleach"),
           ("/catalog/", "catalog (ours)"), ("/learning/", "learning (ours)"), ("/search/", "search (ours)"),
           ("/media/", "media (ours)"), ("/programme/", "programme (ours)"), ("/app/", "app (ours)"),
           ("/lib/python", "python stdlib"), ("<", "python internals")]


def build(data_dir: str) -> dict[str, Any]:
    """The demo data, plus a published course of 7 lessons (5 videos, a reading, an external link) the demo
    worker is enrolled in; returns the worker's signed cookie, CSRF token, and the ids the targets need."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app import create_app, demo
    from app.accounts import organisations, sessions
    from app.accounts.models import OrgKind, User
    from app.accounts.policy import SYSTEM
    from app.db import utcnow
    from app.extensions import db
    from learning import enrolment
    from search import indexer
    from tests.learning.conftest import make_course

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "MEDIA_WORKER": "external"})
    with app.app_context():
        db.create_all()
        demo.load(db.session)
        worker = db.session.query(User).filter_by(phone=WORKER_PHONE).one()
        organisations.create_organisation(db.session, SYSTEM, parent_code="330100", code="INST-T1",
                                          name="测试职业技术学院", kind=OrgKind.institution)  # make_course's
        course = make_course(title="安全生产七课", videos=("600:00", "10:00", "10:00", "10:00", "10:00"))
        found, _created = enrolment.enrol(db.session, worker, course.id)
        found.enrolled_at = found.last_active_at = utcnow() - timedelta(days=2)
        sessions.start(db.session, worker)
        db.session.commit()
        indexer.drain_all(db.session, app.extensions["search"])  # the search results page has results
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        with app.test_request_context():
            session["_user_id"], session["_fresh"] = worker.get_id(), True
            g.pop("csrf_token", None)
            token = generate_csrf()
            cookie = serializer.dumps(dict(session))
        ids = {"resource": course.id, "lesson": course.lessons[0].id, "lessons": len(course.lessons),
               "cookie_name": app.config["SESSION_COOKIE_NAME"], "cookie": cookie, "token": token,
               "start_ms": int((utcnow() - timedelta(days=1) - EPOCH).total_seconds() * 1000)}
        db.engine.dispose()
    return ids


class Beats:
    """Successive heartbeats of one learner on the course's first lesson, 15 s apart, as the player sends."""

    def __init__(self, ids: dict[str, Any]) -> None:
        self.ids, self.k = ids, 0

    def __call__(self) -> dict[str, Any]:
        self.k += 1
        k = self.k
        return {"lesson_id": self.ids["lesson"], "position_s": k * 15.0, "watched": [[(k - 1) * 15.0, k * 15.0]],
                "client_time": self.ids["start_ms"] + k * 15000, "seq": k}


def bucket(path: str) -> str:
    return next((name for needle, name in BUCKETS if needle in path), "other")


def summarise(root: Any, total_s: float, requests: int) -> list[str]:
    """Own time per bucket and our heaviest functions (inclusive), as ms per request and share of the total."""
    own: dict[str, float] = collections.Counter()
    ours: dict[str, float] = collections.Counter()

    def walk(frame: Any, seen: frozenset[str], parent_path: str = "<internal>") -> None:
        synthetic = frame.identifier.startswith("[")  # pyinstrument's [self] / [await] nodes: the parent's time
        path = parent_path if synthetic else frame.file_path or "<internal>"
        # a C function (sqlite3's execute, str.join...) counts for the library that called it, marked [C]
        name = f"{bucket(parent_path)} [C]" if path.startswith("<built-in") else bucket(path)
        own[name] += frame.time - sum(child.time for child in frame.children)
        key = f"{frame.function} ({Path(path).parent.name}/{Path(path).name}:{frame.line_no})"
        ours_here = str(ROOT) in path and "/.venv/" not in path and "/bench/" not in path
        if ours_here and key not in seen:  # inclusive, counted once per stack (recursion)
            ours[key] += frame.time
            seen = seen | {key}
        for child in frame.children:
            walk(child, seen, path)

    walk(root, frozenset())
    per = 1000 / requests
    lines = [f"own time by library / package (ms per request, share of {total_s * per:.2f} ms profiled):"]
    for name, secs in sorted(own.items(), key=lambda kv: -kv[1])[:16]:
        lines.append(f"  {secs * per:6.2f} ms  {secs / total_s:5.1%}  {name}")
    lines.append("our functions holding most time (inclusive, ms per request, share):")
    for name, secs in sorted(ours.items(), key=lambda kv: -kv[1])[:18]:
        lines.append(f"  {secs * per:6.2f} ms  {secs / total_s:5.1%}  {name}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", default="floor,list,menu,resource,mine,search,heartbeat")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        ids = build(data_dir)
        print(f"demo data + 7-lesson course in {time.perf_counter() - started:.1f} s", flush=True)
        run(data_dir, ids, args)


def run(data_dir: str, ids: dict[str, Any], args: argparse.Namespace) -> None:
    from flask_login import current_user

    from app import create_app
    from learning import group_writer

    writer_profiler: list[Profiler] = []
    ratios: dict[str, tuple[float, float]] = {}  # target -> (its CPU ms, the bare route's)

    class ProfiledWriter(group_writer.GroupWriter):
        """The group writer, with its thread's commits sampled (the heartbeat's database half runs there)."""

        def _commit(self, group: list) -> None:
            if not writer_profiler:
                writer_profiler.append(Profiler(interval=0.0002))
            writer_profiler[0].start()
            try:
                super()._commit(group)
            finally:
                writer_profiler[0].stop()

    # the one learner sends some 1,500 heartbeats within a minute, where a player sends 4: under the site's limit
    # (600 a minute) most would be refused and the refusal measured; the limit is still counted for each
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "MEDIA_WORKER": "external",
                      "RATE_LIMIT_HEARTBEAT": "1000000 per minute"})
    app.extensions["heartbeat_writer"] = ProfiledWriter(app)

    @app.get("/bench/floor")
    def floor() -> str:
        return "signed-in" if current_user.is_authenticated else "anonymous"

    bare = bare_client(Path(data_dir) / "app.db")
    client = app.test_client()
    client.set_cookie(ids["cookie_name"], ids["cookie"], domain="localhost")
    beats = Beats(ids)
    words = itertools.cycle(["安全", "电工", "护理", "叉车"])
    headers = {"X-CSRFToken": ids["token"]}
    targets = {
        "floor": lambda: client.get("/bench/floor"),
        "list": lambda: client.get("/catalog/all"),
        # the menu section as bench/catalog_pages.py asks for it (a section, a kind, the most enrolled first)
        "menu": lambda: client.get("/catalog/menu/skills?kind=course&sort=enrolled"),
        "resource": lambda: client.get(f"/catalog/r/{ids['resource']}"),
        "mine": lambda: client.get("/learning"),
        "heartbeat": lambda: client.post("/api/v1/progress", json=beats(), headers=headers),
        "search": lambda: client.get(f"/search?q={next(words)}"),  # the shared results of a few queries
    }
    for name in args.only.split(","):
        send = targets[name]
        for _ in range(20):  # warm: templates compiled, translations loaded, connection pool filled
            answer = send()
            assert answer.status_code == 200, (name, answer.status_code, answer.get_data(as_text=True)[:300])
        baseline = statistics.median(cpu_ms(bare, args.requests) for _ in range(3))
        rounds = [cpu_ms(send, args.requests) for _ in range(3)]
        ratios[name] = (statistics.median(rounds), baseline)
        writer_profiler.clear()
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(args.requests):
            send()
        profiler.stop()
        report(name, profiler, writer_profiler, ratios[name], args.requests)
        small = Profiler(interval=0.001)  # the flame view from a few requests: its file stays small
        small.start()
        for _ in range(5):
            send()
        small.stop()
        (OUT / f"{name}.html").write_text(small.output_html(), encoding="utf-8")
    print("| target | CPU ms per request | bare route's | ratio |\n| --- | --- | --- | --- |")
    for name, (cpu, baseline) in ratios.items():
        print(f"| {name} | {cpu:.3f} | {baseline:.3f} | {baseline / cpu:.2f} |")


def bare_client(db_path: Path) -> Callable[[], Any]:
    """The baseline: a bare Flask route doing one SQLite query, as bench/catalog_pages.py serves it, called
    through its own test client in this process."""
    from flask import Flask, jsonify

    bare = Flask("bare")
    conn = sqlite3.connect(db_path, check_same_thread=False)
    ids = itertools.cycle(range(1, 21))

    @bare.get("/one/<int:rid>")
    def one(rid: int) -> Any:
        row = conn.execute("SELECT id, title FROM resources WHERE id = ?", (rid,)).fetchone()
        return jsonify({"id": rid, "title": row[1] if row else ""})

    client = bare.test_client()
    return lambda: client.get(f"/one/{next(ids)}")


def cpu_ms(send: Callable[[], Any], requests: int) -> float:
    cpu = time.process_time()
    for _ in range(requests):
        answer = send()
    spent = (time.process_time() - cpu) * 1000 / requests
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]  # what was measured was answered
    return spent


def report(name: str, profiler: Profiler, writer: list[Profiler], cpu: tuple[float, float], requests: int) -> None:
    session = profiler.last_session
    assert session is not None
    head = [f"{name}: {cpu[0]:.2f} ms CPU per request (process time, median of 3 x {requests}, no profiler); the "
            f"bare route {cpu[1]:.2f} ms: {cpu[1] / cpu[0]:.2f}x",
            *summarise(session.root_frame(), session.duration, requests)]
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if writer:
        wsession = writer[0].last_session
        assert wsession is not None
        head += ["group writer thread (the heartbeat's read, write and commit):",
                 *summarise(wsession.root_frame(), session.duration, requests)]
        text += "\n\n== group writer thread ==\n" + writer[0].output_text(unicode=True, color=False)
    print("\n".join(head) + "\n", flush=True)
    (OUT / f"{name}.txt").write_text("\n".join(head) + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
