"""The production servers behind `qiuxue serve`.

Granian (Linux and macOS, the default there) reads and writes HTTP in Rust and runs the app in `--workers`
processes of `--threads` threads each; every process builds its own app, so no database connection is shared
between processes, and more than one uses every core of a larger machine (a Python process runs Python code on one
core at a time). Waitress (`--server waitress`, the only one on Windows) serves one process and runs wherever Python
does. On this project's 2-core machines granian served a progress heartbeat for 1.06-1.38 ms of server CPU against
1.39-2.02 ms under gunicorn's threaded worker; and on one kernel (Linux 6.18 in a Firecracker VM) waitress under a
few concurrent connections fell to 100-400 requests a second, its event loop spinning while each response waited
tens of milliseconds, where granian kept thousands (bench/README.md, "One process: granian"). The in-process
background runtime (app/jobs) is safe to run in each process (jobs and exclusive duties are claimed atomically; the
index takes one writer at a time across processes), or can move to `qiuxue worker` (WORKER=external).
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
from pathlib import Path

import waitress
from flask import Flask

from app import create_app
from app.observability import metrics

GRANIAN = importlib.util.find_spec("granian") is not None  # not installed on Windows (setup.cfg)
DEFAULT = "granian" if GRANIAN else "waitress"
RECV_BYTES = 1024 * 1024
HEAPS = 2  # glibc's malloc heaps (arenas) for the whole process, unless MALLOC_ARENA_MAX says otherwise
M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def _settle(app: Flask) -> Flask:
    """Put everything built at start-up (modules, the app, SQLAlchemy's metadata) out of the garbage
    collector's sight, so that its full collections no longer walk it: under load they were the 50-90 ms
    pauses at the 99th percentile (bench/heartbeats.py: p99 15-19 ms after, 50-90 ms before)."""
    gc.collect()
    gc.freeze()
    _fewer_heaps()
    return app


def _fewer_heaps() -> None:
    """glibc gives each new thread its own heap, up to 8 per core, and each keeps what it once held: 8 threads
    serving pages grew a process by ~60 MB over warm against ~40 MB in one thread (issue 20, 200 MB a process;
    bench/memory.py). Capped at HEAPS before the server's threads start, and what start-up freed is given back.
    Not glibc (macOS, musl): nothing to do."""
    try:
        libc = ctypes.CDLL(None)
        mallopt, trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return
    if not os.environ.get("MALLOC_ARENA_MAX"):
        mallopt(M_ARENA_MAX, HEAPS)
    trim(0)


def serve_waitress(app: Flask, host: str, port: int, threads: int) -> None:
    # recv_bytes: waitress reads 8 KB per call by default, and spools a large body (a tus chunk of 8 MiB) to
    # its temporary file one call at a time; 64 KB per call made uploads faster, and up to 1 MiB per call (a call
    # returns what the socket holds) cut the receiving thread's CPU by another 15-20% (bench/tus_upload.py)
    waitress.serve(_settle(app), host=host, port=port, threads=threads, ident="qiuxue", recv_bytes=RECV_BYTES)


def settled_app() -> Flask:
    """The app each granian worker process builds for itself, configured from the environment as `qiuxue serve`
    is: no database connection or thread is shared between processes."""
    return _settle(create_app())


def serve_granian(host: str, port: int, workers: int, threads: int, metrics_dir: Path | None = None) -> None:
    """`metrics_dir`: where the workers count their Prometheus metrics (PROMETHEUS_MULTIPROC_DIR when set), so that
    /metrics, answered by any one worker, adds up all of them. Emptied at start: one server per folder."""
    if metrics_dir is not None:
        metrics.use_multiprocess_dir(Path(os.environ.get(metrics.MULTIPROC_ENV) or metrics_dir))
    from granian import Granian  # not installed on Windows (setup.cfg), where waitress serves
    from granian.constants import Interfaces  # as above

    Granian("app.server:settled_app", factory=True, address=host, port=port, interface=Interfaces.WSGI,
            workers=workers, blocking_threads=threads, websockets=False,
            respawn_failed_workers=True).serve()
