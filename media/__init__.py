"""Media: resumable uploads, ffmpeg transcoding to phone-friendly HLS, durable jobs, storage
and serving, and the player. Built by the media issue."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, when the app is built, not at the top: `import media.models` (pure rules, other packages,
    # migrations) must not load the web layer, and the views import this package back.
    from app import demo as app_demo
    from app.extensions import csrf
    from app.observability import readiness
    from catalog import service as catalog_service
    from media import api, bulk_views, lessons, models, tasks, tus_views, views  # noqa: F401 - models: the tables
    from media import demo as media_demo
    from media import desk as media_desk
    from media.cli import media_cli
    from media.readiness import storage_ready

    tasks.register()
    media_desk.register(app)
    readiness.register("storage", storage_ready)  # /readyz
    catalog_service.register_media_check(lessons.not_ready)  # nothing unplayable is submitted or published
    app.register_blueprint(tus_views.bp)
    csrf.exempt(tus_views.bp)  # raw-byte API; guarded by session + Tus-Resumable + Origin instead (see tus_views)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.files)
    app.cli.add_command(media_cli)
    app.jinja_env.globals["media_player"] = views.player_global
    app_demo.set_ready_media(app, media_demo.ready_clips)  # demo clips on the video lessons, before they are submitted
