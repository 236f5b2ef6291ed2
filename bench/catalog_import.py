"""Bulk import of 10,000 rows (CSV, UTF-8) into a fresh SQLite database, as `qiuxue catalog import` does it.

Baseline in the same run: parsing and validating the same rows without writing (the floor any import pays),
so the table shows what the database writes cost on top. Target from the issue: 10,000 rows in < 30 s.

    .venv/bin/python bench/catalog_import.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CATEGORIES = ["skills-construction", "skills-manufacturing", "literacy-safety", "academic-zhuanke", "岗位技能/养老",
              "innovation-startup", "export-law", "普通话"]
KINDS = ["网络课程", "视频公开课", "微课"]


def make_csv(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "kind", "summary", "description", "category", "industries", "audience", "credits",
                     "hours", "teachers", "external_url", "tags"])
    for i in range(rows):
        writer.writerow([
            f"基准课程{i:05d}：安全生产与岗位技能", KINDS[i % 3], "面向一线职工的实用课程，手机上随时学习。",
            f"<h3>简介</h3><p>第{i}门课程的介绍，含<b>重点</b>和<a href='https://example.org/{i}'>链接</a>。</p>"
            "<ul><li>要点一</li><li>要点二</li></ul>",
            CATEGORIES[i % len(CATEGORIES)], "建筑;制造" if i % 2 else "物流", "初级工;中级工", str(i % 5),
            str(8 + i % 40), "王建国（高级技师）；李梅", f"https://example.org/course/{i}", f"标签{i % 50};安全"])
    return buffer.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    from catalog_pages import menu_app, write_block

    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from app.tabular import TableLimits
    from catalog import categories, imports
    from catalog.schemas import validate_resource
    from tests import factories

    data = make_csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp, menu_app(tmp).app_context():
        provider = factories.organisations.get_by_code(db.session, "INST-T1")

        limits = TableLimits(max_bytes=len(data) + 1, max_rows=args.rows, max_lines=max(args.rows + 1, 100_000))
        started = time.perf_counter()
        _written, rows = imports.read_rows(data, "bench.csv", limits=limits)
        menu = categories.load_menu(db.session)
        bad = sum(1 for _n, raw in rows if validate_resource(raw, menu)[1])
        validate_s = time.perf_counter() - started

        started = time.perf_counter()
        report = imports.import_resources(db.session, SYSTEM, provider, data, "bench.csv", publish=True,
                                          limits=limits)
        db.session.commit()
        import_s = time.perf_counter() - started
        assert bad == 0 and report.imported == args.rows, (bad, report.errors[:3])
    table = "\n".join([
        f"{args.rows:,} CSV rows (UTF-8) into SQLite, as `qiuxue catalog import --publish` does it. "
        "`.venv/bin/python bench/catalog_import.py`", "",
        "| step | rows | seconds | rows/s |", "| --- | --- | --- | --- |",
        f"| parse + validate only (baseline) | {args.rows} | {validate_s:.2f} | {args.rows / validate_s:,.0f} |",
        f"| full import: validate, clean, insert, publish, commit | {args.rows} | {import_s:.2f} | "
        f"{args.rows / import_s:,.0f} |", "",
        f"Import / baseline: {import_s / validate_s:.2f}. Target 10,000 rows in < 30 s: "
        f"{'met' if import_s < 30 else 'NOT met'}."])
    print(table)
    write_block("import", "### Bulk import\n\n" + table)


if __name__ == "__main__":
    main()
