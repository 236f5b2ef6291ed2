"""The Qiuxue application factory. Nothing happens at import time: `create_app` builds and wires
everything, so tests get a fresh app on their own data folder."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app.resources import folder

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("catalog", "search", "media", "learning", "credits", "programme")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # Imported here, not at the top: every `import app.<module>` runs this file first, so a top-level import of
    # the views would load the whole web layer for a pure module (and the modules below import `app` back).
    # outbox registers its table when imported, jobs its two
    from app import (  # noqa: F401
        config,
        desk_views,
        errors,
        i18n,
        jobs,
        layout_frame,
        limits,
        logs,
        migrations_setup,
        notifications,
        observability,
        outbox,
        pagecache,
        person_tokens,
        proxy,
        request_input,
        security,
        sharedparts,
        viewer_pages,
        views,
        web,
    )
    from app.accounts import org_views
    from app.accounts import views as account_views
    from app.assets import init_app as init_assets
    from app.db import readable_sqlite_url, sqlite_engine_options
    from app.extensions import csrf, db, login_manager

    app = Flask(__name__, static_folder=str(folder("static")), static_url_path="/static")
    web.hooks_checked_once(app)  # Flask's per-request "is this hook async?" asked once per function
    app.config.from_mapping(config.load(test_config))
    app.config["SQLALCHEMY_DATABASE_URI"] = readable_sqlite_url(app.config["SQLALCHEMY_DATABASE_URI"])
    request_input.init_app(app)  # bounded ids and numbers, safe JSON; before any blueprint adds its rules
    logs.init_app(app)  # request ids; first, so every later hook's log lines carry one
    observability.init_app(app)  # metrics timing, /readyz, /metrics; before the page cache can answer early
    logging.getLogger("app").setLevel(app.config["LOG_LEVEL"])

    person_tokens.engine_options(app.config)  # SQLite: connections that note which learners they wrote
    sqlite_engine_options(app.config)  # SQLite: how long to wait for another process's write lock
    db.init_app(app)
    with app.app_context():
        person_tokens.init_app(app, db.engine)
    migrations_setup.init_app(app, db, directory=str(folder("migrations")), render_as_batch=True)  # on first use
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    account_views.init_login(login_manager)

    errors.register(app)
    security.init_app(app)
    pagecache.init_app(app)
    sharedparts.init_app(app)  # what every viewer shares, and the signed-in users, kept until a change
    layout_frame.init_app(app)  # base.html's pieces that are the same for every viewer, kept with them
    init_assets(app)  # after the page cache: it compresses before the cache keeps the page
    app.register_blueprint(views.bp)
    app.register_blueprint(account_views.auth_bp)
    app.register_blueprint(account_views.me_bp)
    app.register_blueprint(org_views.bp)

    for name in DOMAINS:
        init = getattr(importlib.import_module(name), "init_app", None)
        if init is not None:
            init(app)  # each domain package wires its own blueprints, CLI groups and hooks
    notifications.init_app(app)  # the centre domains write to; its delivery duty before the runtime starts
    jobs.init_app(app)  # after the domains: it runs the duties they registered
    desk_views.init_app(app)  # after the domains: it counts the queues they registered
    limits.init_app(app)  # after every blueprint: it wraps the views it limits
    viewer_pages.init_app(app)  # after every after-request hook: it cuts the page before they change it
    proxy.init_app(app)  # last: the outermost WSGI layer reads X-Forwarded-* before anything else

    from app import cli  # as above; and app.cli builds apps with create_app

    cli.register(app)
    return app
