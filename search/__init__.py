"""Search: Chinese full-text search on Whoosh with jieba segmentation, pinyin and facets,
kept in step with the catalog through an outbox. Built by the search issue."""

from __future__ import annotations

from pathlib import Path

from flask import Flask


def index_dir(app: Flask) -> Path:
    return Path(app.config.get("SEARCH_INDEX_DIR") or Path(app.config["DATA_DIR"]) / "search")


def init_app(app: Flask) -> None:
    # Loaded with the app, not with `search`: the benchmark and the engine's tests import search's pure
    # modules (documents, analysis, the engine) without the views, models and CLI and what they import.
    from search import analysis, indexer, models, views  # noqa: F401 - models registers the table
    from search.cli import search_cli
    from search.engine_whoosh import WhooshBackend

    analysis.configure(Path(app.config["DATA_DIR"]) / "cache")  # jieba's dictionary cache, built once
    app.extensions["search"] = WhooshBackend(index_dir(app), replica=app.config["SEARCH_REPLICA"])
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    app.cli.add_command(search_cli)

    indexer.register()  # the runtime (app/jobs) follows the change log; SEARCH_INDEXER=off: not in web processes
