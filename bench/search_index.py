"""Search benchmark: build rate, index size and query latency (plain, faceted, highlighted, suggest) of our
Whoosh index, side by side in the same run with SQLite FTS5 (trigram tokenizer, and unicode61 over jieba-cut
text) on the same documents and queries. Writes the table into bench/README.md under "## Search", one table per
number of documents (between `<!-- search:N -->` marks).

    .venv/bin/python bench/search_index.py --docs 100000      # 6-8 minutes on 2 idle cores
    .venv/bin/python bench/search_index.py --docs 1000000 --baselines unicode61 --rounds 3  # 40+ min idle; hours busy

The documents are generated as they are indexed (never held in memory whole), for every engine alike: the
build rates include generating them (its cost per document is measured apart and printed in the table).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from search_corpus import Corpus  # noqa: E402

from search import analysis  # noqa: E402
from search.backend import SearchRequest  # noqa: E402
from search.documents import html_to_text  # noqa: E402
from search.engine_whoosh import WhooshBackend  # noqa: E402

QUERIES = ["电工", "焊工", "叉车司机", "培训", "安全", "python", "母婴护理", "电气线路安装", "养老护理员", "考证",
           "diangong", "dian gong", "dg", "母婴户理", "电子工程", "c语言", "焊工 培训", "cad制图", "仓储管理",
           "数据结构", "光伏", "高等数学", "快递员", "中式面点师", "钢筋绑扎", "塔吊", "心理健康", "chache",
           "yanglao", "计算机网络"]
PREFIXES = ["电", "电工", "dian", "dg", "叉", "chache", "py", "母婴", "yang", "c语", "数据", "jx", "焊", "h"]
FACETED_FILTER = {"kind": ["course"]}
LOAD = os.getloadavg()  # other helpers' jobs share the machine: the table says how busy it was
TARGETS = {"plain": 50, "faceted": 100, "highlighted": None, "suggest": 30}
BASELINES = {"unicode61": "FTS5 unicode61 + jieba", "trigram": "FTS5 trigram"}
MILLION = 1_000_000  # issue 20's targets at this size: build >= 2,000 docs/s, index <= 1.5x FTS5 unicode61 + jieba


def cpu_seconds() -> float:
    """CPU time of this process and of its children that ended (the Whoosh writer processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def timed(fn, items, rounds: int) -> tuple[float, float]:
    for item in items:  # warm: one searcher per process, caches filled, as a running server has them
        fn(item)
    samples = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            fn(item)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


class Progress:
    """A line every tenth of the documents (a million-document run takes an hour or more on a busy machine: a run
    stopped early still says how far it got and at what load)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.step = label, total, 0, max(100_000, total // 10)
        self.started = time.perf_counter()

    def __call__(self, count: int) -> None:
        before, self.done = self.done, self.done + count
        if self.done // self.step > before // self.step:
            print(f"{time.strftime('%H:%M:%S', time.gmtime())} {self.label}: {self.done:,} of {self.total:,} "
                  f"documents in {time.perf_counter() - self.started:.0f} s, load average "
                  f"{os.getloadavg()[0]:.1f}", flush=True)


def bench_whoosh(docs, folder: Path, procs: int, rounds: int) -> dict:
    backend = WhooshBackend(folder, build_procs=procs)
    started, cpu = time.perf_counter(), cpu_seconds()
    backend.rebuild(docs, progress=Progress("Whoosh build (fed to the writer processes)", len(docs)))
    build, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    synonyms = {"铲车": ["叉车"]}

    def plain(q):
        return backend.search(SearchRequest(q=q, facets=False, highlight=False, synonyms=synonyms))

    def faceted(q):
        return backend.search(SearchRequest(q=q, filters=FACETED_FILTER, highlight=False, synonyms=synonyms))

    def highlighted(q):
        return backend.search(SearchRequest(q=q, facets=False, synonyms=synonyms))

    print(f"Whoosh built: {len(docs) / build:,.0f} docs/s, {cpu * 1000 / len(docs):.2f} ms CPU a document, "
          f"{folder_mb(folder):.0f} MB; now its queries", flush=True)
    return {"build_s": build, "rate": len(docs) / build, "cpu_ms": cpu * 1000 / len(docs), "size_mb": folder_mb(folder),
            "cold": after_commit(backend, next(iter(docs)), plain, rounds),
            "plain": timed(plain, QUERIES, rounds), "faceted": timed(faceted, QUERIES, rounds),
            "highlighted": timed(highlighted, QUERIES, rounds),
            "suggest": timed(lambda p: backend.suggest(p), PREFIXES, rounds),
            "jieba_load_s": analysis.load_seconds()}


def after_commit(backend, doc, plain, rounds: int) -> tuple[float, float]:
    """Plain queries each asked once right after an index commit, which starts a new view with empty caches
    (what a server sees while the indexer is busy)."""
    samples = []
    for _ in range(rounds):
        backend.apply([doc], [])
        for query in QUERIES:
            started = time.perf_counter()
            plain(query)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


def _fts_text(doc, cut: bool) -> tuple[str, str]:
    body = doc.summary + " " + html_to_text(doc.description_html) + " " + " ".join(doc.lessons)
    meta = " ".join([*doc.tags, *doc.teachers, doc.provider_name])
    if cut:
        return " ".join(analysis.words(doc.title)), " ".join(analysis.words(body + " " + meta))
    return doc.title, body + " " + meta


def bench_fts(docs, path: Path, tokenizer: str, rounds: int) -> dict:
    cut = tokenizer == "unicode61"
    db = sqlite3.connect(path)
    started, cpu = time.perf_counter(), cpu_seconds()
    db.execute(f"CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='{tokenizer}')")
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, kind TEXT, provider TEXT, enrolled INT)")
    db.execute("CREATE INDEX ix_title ON docs (title)")
    progress = Progress(f"FTS5 {tokenizer} build", len(docs))
    with db:
        for doc in docs:
            title, body = _fts_text(doc, cut)
            db.execute("INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)", (doc.id, title, body))
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", (doc.id, doc.title, doc.kind, doc.provider,
                                                                 doc.enrolled))
            progress(1)
    build, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"FTS5 {tokenizer} built: {len(docs) / build:,.0f} docs/s, {cpu * 1000 / len(docs):.2f} ms CPU a "
          f"document, {path.stat().st_size / 1e6:.0f} MB; now its queries", flush=True)

    def where(q: str) -> tuple[str, tuple]:
        if cut:
            words = analysis.words(q)
            return "fts MATCH ?", (" AND ".join(f'"{w}"' for w in words) or '""',)
        parts = [p for p in re.split(r"\s+", q) if p]
        if all(len(p) >= 3 for p in parts):
            return "fts MATCH ?", (" AND ".join(f'"{p}"' for p in parts),)
        clause = " AND ".join("(fts.title LIKE ? OR fts.body LIKE ?)" for _ in parts)  # trigram needs 3 chars
        return clause, tuple(x for p in parts for x in (f"%{p}%", f"%{p}%"))

    def plain(q):
        clause, args = where(q)
        db.execute(f"SELECT rowid FROM fts WHERE {clause} ORDER BY rank LIMIT 10", args).fetchall()  # noqa: S608
        db.execute(f"SELECT count(*) FROM fts WHERE {clause}", args).fetchone()  # noqa: S608

    def faceted(q):
        clause, args = where(q)
        plain(q)
        for column in ("kind", "provider"):
            db.execute(f"SELECT d.{column}, count(*) FROM fts JOIN docs d ON d.id = fts.rowid "  # noqa: S608
                       f"WHERE {clause} AND d.kind = 'course' GROUP BY d.{column}", args).fetchall()

    def highlighted(q):
        clause, args = where(q)
        db.execute(f"SELECT snippet(fts, 1, '<mark>', '</mark>', '…', 16) FROM fts WHERE {clause} "  # noqa: S608
                   f"ORDER BY rank LIMIT 10", args).fetchall()

    def suggest(p):
        db.execute("SELECT id, title FROM docs WHERE title >= ? AND title < ? ORDER BY enrolled DESC LIMIT 8",
                   (p, p + "\U0010ffff")).fetchall()

    result = {"build_s": build, "rate": len(docs) / build, "cpu_ms": cpu * 1000 / len(docs),
              "size_mb": path.stat().st_size / 1e6,
              "plain": timed(plain, QUERIES, rounds), "faceted": timed(faceted, QUERIES, rounds),
              "highlighted": timed(highlighted, QUERIES, rounds), "suggest": timed(suggest, PREFIXES, rounds)}
    db.close()
    return result


def generation_us(docs: Corpus, sample: int = 20_000) -> float:
    """Microseconds to generate one document (included in every engine's build rate)."""
    started = time.perf_counter()
    count = sum(1 for _doc in zip(range(sample), docs, strict=False))
    return (time.perf_counter() - started) * 1e6 / max(1, count)


def table(n: int, real: int, results: dict[str, dict], generate_us: float, started_at: str) -> str:
    names = list(results)
    ours = results[names[0]]
    base = results[names[1]]
    million = n >= MILLION
    lines = [f"### {n:,} documents", "",
             f"{n:,} documents ({real:,} real courses from ../shared/data/courses_cn_mooc.csv, the rest generated "
             f"while indexing: {generate_us:.0f} µs per document, inside every build rate below); "
             f"{len(QUERIES)} queries and {len(PREFIXES)} prefixes, warm, measured in one run on this machine. "
             f"jieba dictionary load: {ours['jieba_load_s']:.2f} s per process (from its cache file). "
             f"**Load average on the 2 shared cores (other engineers' tests and benchmarks running): "
             f"{LOAD[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end** ({started_at} – "
             f"{time.strftime('%H:%M UTC', time.gmtime())}).", "",
             "| measure | target | " + " | ".join(names) + " | ratio (ours / " + names[1] + ") |",
             "| --- | --- | " + " | ".join("---" for _ in names) + " | --- |"]
    lines.append(f"| build (docs/s) | ≥ {'2,000' if million else '1,000'} | "
                 + " | ".join(f"{r['rate']:,.0f}" for r in results.values())
                 + f" | {ours['rate'] / base['rate']:.2f} |")
    lines.append("| build CPU (ms per document, all processes) | | "
                 + " | ".join(f"{r['cpu_ms']:.2f}" for r in results.values())
                 + f" | {ours['cpu_ms'] / base['cpu_ms']:.2f} |")
    lines.append(f"| index size (MB) | {'≤ 1.5×' if million else ''} | "
                 + " | ".join(f"{r['size_mb']:.0f}" for r in results.values())
                 + f" | {ours['size_mb'] / base['size_mb']:.2f} |")
    for kind, target in TARGETS.items():
        for index, label in ((0, "p50"), (1, "p95")):
            cells = [f"{r[kind][index]:.1f}" for r in results.values()]
            goal = f"≤ {target}" if target and index == 1 else ""
            lines.append(f"| {kind} {label} (ms) | {goal} | " + " | ".join(cells)
                         + f" | {ours[kind][index] / max(base[kind][index], 1e-6):.2f} |")
    cold = ours["cold"]
    lines.append(f"| plain p50 / p95 (ms), first query of each word after an index commit | | "
                 f"{cold[0]:.1f} / {cold[1]:.1f} | " + " | ".join("–" for _ in names[1:]) + " | |")
    return "\n".join(lines)


def write_readme(text: str, n: int) -> None:
    """Put the table for `n` documents between its marks in the "## Search" section (added if missing)."""
    readme = ROOT / "bench" / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    block = f"<!-- search:{n} -->\n{text}\n<!-- /search:{n} -->"
    marked = re.compile(rf"<!-- search:{n} -->\n.*?<!-- /search:{n} -->", re.S)
    if marked.search(current):
        updated = marked.sub(lambda _m: block, current)
    elif "\n## Search\n" in current:
        head, tail = current.split("\n## Search\n", 1)
        intro, rest = (tail.split("\n\n", 1) + [""])[:2]  # the section's first paragraph, then the others
        updated = head + "\n## Search\n" + intro + "\n\n" + block + "\n\n" + rest
    else:
        intro = "## Search\n\nProduced by `bench/search_index.py` (see its docstring)."
        updated = current.rstrip("\n") + "\n\n" + intro + "\n\n" + block + "\n"
    readme.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--procs", type=int, default=2, help="writer processes for the Whoosh build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baselines", default="unicode61,trigram",
                        help="FTS5 tokenizers to compare with, the first one gives the ratios (trigram answers "
                             "short words with LIKE scans: minutes per round at a million documents)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/README.md alone")
    args = parser.parse_args()
    started_at = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    analysis.configure(os.environ.get("QIUXUE_SEARCH_CACHE_DIR") or tempfile.gettempdir() + "/qiuxue-jieba")
    analysis.jieba_tokenizer()
    docs = Corpus(args.docs)
    generate_us = generation_us(docs)
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        results = {"Whoosh (ours)": bench_whoosh(docs, work / "whoosh", args.procs, args.rounds)}
        print("whoosh done", results["Whoosh (ours)"], flush=True)
        for tokenizer in args.baselines.split(","):
            results[BASELINES[tokenizer]] = bench_fts(docs, work / f"{tokenizer}.db", tokenizer, args.rounds)
            print(tokenizer, "done", results[BASELINES[tokenizer]], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(len(docs), len(docs.real), results, generate_us, started_at)
    print(text)
    if not args.no_write:
        write_readme(text, len(docs))


if __name__ == "__main__":
    main()
