"""Catalog pages at 100,000 published resources on SQLite: the list page (all resources, and a menu section
with a filter), and the resource page, each served by waitress in its own process, next to a bare Flask
route doing one SQLite query (the baseline) served the same way, loaded by the same client in the same run.

Client: bench/loadgen.py, one client process per keep-alive connection, requests spread over random pages
and resources. Prints p50/p95 latency and requests/second per target and the ratio to the
baseline, and writes the table into bench/README.md under "## Catalog". Runs in about 2-4 minutes.

    .venv/bin/python bench/catalog_pages.py [--resources 100000] [--threads 4] [--requests 600] [--json]

`--json` prints one line of ratios to the baseline instead of the table, and leaves README.md alone (used by
bench/check.py, `make bench-check`).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

BARE_APP = """
import sqlite3, sys, threading
from flask import Flask, jsonify
import waitress
path, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = Flask("bare")
local = threading.local()
@app.get("/one/<int:rid>")
def one(rid):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = sqlite3.connect(path, check_same_thread=False)
    row = conn.execute("SELECT id, title FROM resources WHERE id = ?", (rid,)).fetchone()
    return jsonify({"id": row[0], "title": row[1]})
waitress.serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)
"""

QIUXUE_APP = """
import sys, waitress
from app import create_app
app = create_app({"DATA_DIR": sys.argv[1], "SECRET_KEY": "bench", "PAGE_CACHE_SECONDS": float(sys.argv[4])})
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=int(sys.argv[3]), _quiet=True)
"""


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


def load(port: int, paths: list[str], connections: int) -> tuple[list[float], float]:
    """Send every path once over `connections` keep-alive connections; latencies (ms) and wall time."""
    latencies, wall, bad = loadgen.load(port, [[loadgen.request("GET", p) for p in paths[i::connections]]
                                               for i in range(connections)])
    assert bad == 0, f"{bad} answers were not 200"
    return latencies, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4, help="server threads and client connections")
    parser.add_argument("--requests", type=int, default=600, help="requests per catalog target")
    parser.add_argument("--json", action="store_true", help="one line of ratios; README.md left alone")
    args = parser.parse_args()
    rng = random.Random(42)

    with tempfile.TemporaryDirectory() as data_dir:
        started = time.perf_counter()
        populate(data_dir, args.resources)
        print(f"populated {args.resources:,} resources in {time.perf_counter() - started:.1f} s", flush=True)
        app_port, bare_port, nocache_port = loadgen.free_port(), loadgen.free_port(), loadgen.free_port()
        servers = [loadgen.serve(QIUXUE_APP, [data_dir, str(app_port), str(args.threads), "5"], app_port),
                   loadgen.serve(QIUXUE_APP, [data_dir, str(nocache_port), str(args.threads), "0"], nocache_port),
                   loadgen.serve(BARE_APP, [str(Path(data_dir) / "app.db"), str(bare_port), str(args.threads)],
                                 bare_port)]
        try:
            n = args.requests
            targets = [
                ("bare Flask route, one SQLite query (baseline)", bare_port,
                 [f"/one/{rng.randrange(1, args.resources)}" for _ in range(n * 3)]),
                ("list page /catalog/all (newest, random page 1-50)", app_port,
                 [f"/catalog/all?page={rng.randrange(1, 51)}" for _ in range(n)]),
                ("same list pages with the page cache off (every request rendered)", nocache_port,
                 [f"/catalog/all?page={rng.randrange(1, 51)}" for _ in range(n)]),
                ("menu section + filter (/catalog/menu/skills?kind=course&sort=enrolled)", app_port,
                 [f"/catalog/menu/skills?kind=course&sort=enrolled&page={rng.randrange(1, 11)}" for _ in range(n)]),
                ("resource page /catalog/r/<id> (4 lessons, JSON-LD)", app_port,
                 [f"/catalog/r/{rng.randrange(1, args.resources)}" for _ in range(n)]),
            ]
            for _name, port, paths in targets:  # warm up: imports, caches, SQLite page cache
                load(port, paths[:50], args.threads)
            rows = []
            for name, port, paths in targets:
                latencies, wall = load(port, paths, args.threads)
                rows.append((name, len(paths), statistics.median(latencies), loadgen.percentile(latencies, 0.95),
                             len(paths) / wall))
                print(f"  {name}: done", flush=True)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    if args.json:
        keys = ["bare", "list_cached", "list_rendered", "menu_cached", "resource_rendered"]
        print(json.dumps({key: round(row[4] / rows[0][4], 3) for key, row in zip(keys, rows, strict=True)
                          if key != "bare"}))
        return
    report(rows, args)


def report(rows: list[tuple], args: argparse.Namespace) -> None:
    baseline = rows[0][4]
    lines = [
        f"{args.resources:,} published resources on SQLite; waitress with {args.threads} threads per app, "
        f"{args.threads} keep-alive client connections, all on this machine (2 shared cores). "
        f"`.venv/bin/python bench/catalog_pages.py`",
        "",
        "| target | requests | p50 ms | p95 ms | req/s | req/s vs baseline |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, count, p50, p95, rps in rows:
        lines.append(f"| {name} | {count} | {p50:.1f} | {p95:.1f} | {rps:.0f} | {rps / baseline:.2f} |")
    list_p95, list_ratio = rows[1][3], rows[1][4] / baseline
    lines += ["", f"Issue targets for the list page: p95 <= 50 ms: {'met' if list_p95 <= 50 else 'NOT met'} "
              f"({list_p95:.1f} ms); at least half the baseline's throughput: "
              f"{'met' if list_ratio >= 0.5 else 'NOT met'} ({list_ratio:.2f}). Anonymous visitors are served "
              "from the page micro-cache (app/pagecache.py, QIUXUE_PAGE_CACHE_SECONDS=5); the row with the cache "
              "off shows the cost of rendering every request (layout, translations, three queries, twenty "
              "cards: about 5 ms of CPU against well under 1 ms for the bare route)."]
    table = "\n".join(lines)
    print("\n" + table)
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
