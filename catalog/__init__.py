"""Catalog: the menu-style open resource directory (courses, video lectures, micro-courses),
the publishing workflow, union catalogs and open exports. Built by the catalog issue."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, when the app is built, not at the top: `import catalog.models` (pure rules, other packages,
    # migrations) must not load the web layer, and the views import this package back.
    # models registers the tables; the view modules attach their routes to the blueprints
    from app import demo as app_demo
    from app import pagecache, viewer_pages
    from catalog import api, bulk_views, coauthor_views, manage_views, models, union_views, views  # noqa: F401
    from catalog import demo as catalog_demo
    from catalog import desk as catalog_desk
    from catalog.cli import catalog_cli
    from catalog.counters import ViewCounter
    from catalog.web import api_bp, bp, oai_bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(oai_bp)
    app.cli.add_command(catalog_cli)
    catalog_desk.register(app)
    app.extensions["catalog_views"] = ViewCounter()
    pagecache.cacheable(app, "catalog.index", "catalog.all_resources", "catalog.category")
    # a signed-in worker's too, beneath Flask once kept: nothing of the viewer's own, everything from watched tables
    for endpoint in ("catalog.all_resources", "catalog.category", "catalog.province"):
        viewer_pages.answerable(app, endpoint)
    app_demo.register(app, "catalog", lambda session, options: catalog_demo.load(session, options.ready_media))
