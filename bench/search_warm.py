"""Query latency of one code against an index folder already built (by bench/search_index.py, kept with its
documents): the bench's 30 queries and 14 prefixes, warm, for two codes timed one after the other on the same index
(`git archive REV | tar -x -C DIR` for the code before). Prints p50/p95 ms per kind, the first pass over the
queries (each asked once: what a query costs before it is kept), resident memory and the totals, which must match.

    .venv/bin/python bench/search_warm.py ROOT INDEX_DIR [ROUNDS]     (ROOT: the code to time, e.g. . or DIR)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    root, folder, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3
    sys.path[:0] = [root, os.path.join(root, "bench")]
    import search_index as bench  # the code under ROOT's own bench: its queries and timer

    from search import analysis
    from search.backend import SearchRequest
    from search.engine_whoosh import WhooshBackend

    analysis.configure(tempfile.gettempdir() + "/qiuxue-jieba")
    analysis.jieba_tokenizer()
    backend = WhooshBackend(folder)
    synonyms = {"铲车": ["叉车"]}

    def plain(q: str):  # noqa: ANN202 - the backend's result
        return backend.search(SearchRequest(q=q, facets=False, highlight=False, synonyms=synonyms))

    def faceted(q: str):  # noqa: ANN202
        return backend.search(SearchRequest(q=q, filters=bench.FACETED_FILTER, highlight=False, synonyms=synonyms))

    load = os.getloadavg()[0]
    started = time.perf_counter()
    first = [plain(q) for q in bench.QUERIES]
    result: dict[str, object] = {"first pass s": round(time.perf_counter() - started, 2)}
    for name, ask, items in (("plain", plain, bench.QUERIES), ("faceted", faceted, bench.QUERIES),
                             ("suggest", backend.suggest, bench.PREFIXES)):
        p50, p95 = bench.timed(ask, items, rounds)
        result[name] = f"{p50:.1f}/{p95:.1f}"
    result["rss MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    result["totals"] = sum(r.total for r in first)
    print(root, f"load {load:.1f}->{os.getloadavg()[0]:.1f}", result, flush=True)


if __name__ == "__main__":
    main()
