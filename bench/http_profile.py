"""Where a server's time goes under an HTTP benchmark, which an in-process profile (bench/profile_pages.py) does
not show: the data's size, the pages asked for (a kept part missed on first use), the server's threads.

`Profiled(app, folder)` wraps a WSGI app: every request is sampled by pyinstrument in its own thread, its SQL
statements (SQLAlchemy's; not app/db.py's DirectStatement) and its thread's CPU time counted, and grouped by page
(resource, list, menu...; `-in` when the request carries a cookie). `GET /__profile__?since` answers the requests by
statements since the last such call, `?discard` forgets everything so far (the warm-up), and `GET /__profile__`
writes, per group, `http-<group>.txt` (the requests by how many statements they ran: how many, CPU and wall ms
each; then the own time by library and pyinstrument's call tree) and `http-<group>.html` (the flame view of the
last requests), and starts again. bench/catalog_pages.py `--profile` serves the app this way and asks for them.
"""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Callable, Iterable
from functools import reduce
from pathlib import Path
from typing import Any

from profile_pages import summarise
from pyinstrument import Profiler
from pyinstrument.session import Session
from sqlalchemy import event
from sqlalchemy.engine import Engine

PAGES = [("resource", r"^/catalog/r/\d+$"), ("lesson", r"^/catalog/r/\d+/lessons/"), ("list", r"^/catalog/all"),
         ("menu", r"^/catalog/menu/"), ("mine", r"^/learning$"), ("search", r"^/search")]
FLAME_REQUESTS = 10  # the flame view's requests (the last ones): its file stays small
INTERVAL_S = 0.0005  # QIUXUE_BENCH_PROFILE_INTERVAL (seconds; 0: no sampling, only statements and CPU counted)

_local = threading.local()


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args: Any) -> None:
    _local.statements = getattr(_local, "statements", 0) + 1


def page_of(path: str, cookie: str) -> str:
    name = next((name for name, pattern in PAGES if re.search(pattern, path)), "other")
    return f"{name}-in" if cookie else name


class Profiled:
    def __init__(self, app: Callable[..., Iterable[bytes]], folder: str, interval: float = INTERVAL_S) -> None:
        self.app, self.folder, self.interval = app, Path(folder), interval
        self.lock = threading.Lock()
        self.sessions: dict[str, list[Session]] = collections.defaultdict(list)
        # per group: (statements, thread CPU ms, wall ms) of each request
        self.requests: dict[str, list[tuple[int, float, float]]] = collections.defaultdict(list)
        self.recent: list[tuple[str, tuple[int, float, float]]] = []  # since the last `?since`

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/__profile__":
            written = self.answer(environ.get("QUERY_STRING", ""))
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(written)))])
            return [written]
        group = page_of(environ["PATH_INFO"], environ.get("HTTP_COOKIE", ""))
        profiler = Profiler(interval=self.interval, async_mode="disabled") if self.interval else None
        _local.statements = 0
        cpu, wall = time.thread_time(), time.perf_counter()
        if profiler:
            profiler.start()
        try:
            body = b"".join(self.app(environ, start_response))  # the whole answer made inside the profile
        finally:
            if profiler:
                profiler.stop()
            sample = (_local.statements, (time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000)
            with self.lock:
                if profiler and profiler.last_session:
                    self.sessions[group].append(profiler.last_session)
                self.requests[group].append(sample)
                self.recent.append((group, sample))
        return [body]

    def answer(self, query: str) -> bytes:
        if query == "discard":
            with self.lock:
                self.sessions.clear()
                self.requests.clear()
                self.recent.clear()
            return b"discarded"
        if query == "since":
            with self.lock:
                new, self.recent = self.recent, []
            lines: list[str] = []
            for group in sorted({g for g, _r in new}):
                lines += [group, *by_statements([r for g, r in new if g == group])]
            return "\n".join(lines).encode()
        return self.write()

    def write(self) -> bytes:
        with self.lock:
            sessions, requests = dict(self.sessions), dict(self.requests)
            self.sessions.clear()
            self.requests.clear()
        self.folder.mkdir(parents=True, exist_ok=True)
        for group, kept in sessions.items():
            if not kept:
                continue
            session = reduce(Session.combine, kept)
            head = [f"{group}: {len(kept)} requests, profiled in the server under the HTTP load", *by_statements(
                requests[group]), *summarise(session.root_frame(), session.duration, len(kept))]
            (self.folder / f"http-{group}.txt").write_text("\n".join(head) + "\n\n" + _text(session),
                                                            encoding="utf-8")
            flame = reduce(Session.combine, kept[-FLAME_REQUESTS:])
            (self.folder / f"http-{group}.html").write_text(_html(flame), encoding="utf-8")
        return "\n".join(line for group, rows in requests.items() for line in [group, *by_statements(rows)]).encode()


def by_statements(samples: list[tuple[int, float, float]]) -> list[str]:
    """The requests grouped by how many SQL statements each ran (none: everything kept; many: a kept part made)."""
    groups: dict[int, list[tuple[int, float, float]]] = collections.defaultdict(list)
    for sample in samples:
        groups[sample[0]].append(sample)
    lines = ["requests by SQLAlchemy statements run (count, mean thread CPU ms, mean wall ms):"]
    for statements, rows in sorted(groups.items()):
        cpu, wall = (sum(r[i] for r in rows) / len(rows) for i in (1, 2))
        lines.append(f"  {statements:3d} statements: {len(rows):5d} requests, CPU {cpu:6.2f} ms, wall {wall:6.2f} ms")
    cpu = sum(r[1] for r in samples)
    lines.append(f"  all: {len(samples)} requests, CPU {cpu / len(samples):.2f} ms each; share of the CPU in requests "
                 f"running statements: {sum(r[1] for r in samples if r[0]) / cpu:.0%}")
    return lines


def _text(session: Session) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    return ConsoleRenderer(unicode=True, color=False, show_all=False).render(session)


def _html(session: Session) -> str:
    from pyinstrument.renderers import HTMLRenderer

    return HTMLRenderer().render(session)
