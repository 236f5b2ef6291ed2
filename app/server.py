"""The production servers behind `qiuxue serve`.

One process (the default) is waitress: it runs wherever Python does. A Python process runs Python code on
one core at a time, so to use every core of a larger machine `--workers N` starts gunicorn (Linux and
macOS) with N processes of `--threads` threads each; every process builds its own app after the fork, so
no database connection is shared between processes. The in-process media worker and search indexer are
safe to run in each of them (jobs are claimed atomically; the index takes one writer at a time across
processes), or can move to `qiuxue media worker` and `qiuxue search worker`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from flask import Flask


def _settle(app: Flask) -> Flask:
    """Put everything built at start-up (modules, the app, SQLAlchemy's metadata) out of the garbage
    collector's sight, so that its full collections no longer walk it: under load they were the 50-90 ms
    pauses at the 99th percentile (bench/heartbeats.py: p99 15-19 ms after, 50-90 ms before)."""
    gc.collect()
    gc.freeze()
    return app


def serve_waitress(app: Flask, host: str, port: int, threads: int) -> None:
    import waitress

    waitress.serve(_settle(app), host=host, port=port, threads=threads, ident="qiuxue")


def serve_gunicorn(factory: Callable[[], Flask], host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # gunicorn's documented way to embed it ("Custom Application")
        def load_config(self) -> None:
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "proc_name": "qiuxue",
                               "control_socket_disable": True}.items():  # no socket left in $HOME
                self.cfg.set(key, value)

        def load(self) -> Flask:  # in each worker, after the fork
            return _settle(factory())

    Server().run()
