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
    from app import demo as app_demo
    from app import viewer_pages
    from app.observability import readiness
    from search import analysis, indexer, models, synonyms, views  # noqa: F401 - models registers the table
    from search.cli import search_cli
    from search.engine_whoosh import WhooshBackend
    from search.readiness import index_ready

    analysis.configure(Path(app.config["DATA_DIR"]) / "cache")  # jieba's dictionary cache, built once
    app.extensions["search"] = WhooshBackend(index_dir(app), replica=app.config["SEARCH_REPLICA"])
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    # a signed-in worker's results beneath Flask once kept, under the index's and the synonyms' version
    viewer_pages.answerable(app, "search.page", views.results_version)
    app.cli.add_command(search_cli)
    # 铲车→叉车, 月嫂→母婴护理, 电焊→焊工
    app_demo.register(app, "search synonyms", lambda session, options: {"synonyms": synonyms.seed(session)})

    readiness.register("search", index_ready)  # /readyz: this host's replica complete and caught up
    indexer.register()  # the runtime (app/jobs) follows the change log; SEARCH_INDEXER=off: not in web processes
