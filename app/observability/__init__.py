"""Operating the site on many hosts: Prometheus metrics (/metrics), readiness (/readyz). Logs and request ids are
app/logs.py (the job runtime uses them too), the trusted proxy app/proxy.py, shared rate limits app/limits.py."""

from __future__ import annotations

from flask import Flask

from app.observability import metrics, readiness, views

__all__ = ["init_app", "metrics", "readiness"]


def init_app(app: Flask) -> None:
    metrics.init_app(app)
    app.register_blueprint(views.bp)
