"""Credits and qualifications (学分银行): the append-only ledger, the award for a completed resource,
recognition of outside outcomes and the conversion table, pathways, certificates and the transcript.

Learning never imports this package: it announces "resource completed" (app.events) and credits listens.
Credits may read learning's public models (Enrolment) and the catalog."""

from __future__ import annotations

from flask import Flask

from app import demo as app_demo
from app import events
from credits import api, awards, models, views  # noqa: F401 - models registers the tables
from credits import demo as credits_demo
from credits import desk as credits_desk


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    events.subscribe(events.RESOURCE_COMPLETED, awards.on_resource_completed)
    awards.register()
    credits_desk.register(app)
    # pathways, a conversion row, a recognition request to review
    app_demo.register(app, "credit bank", lambda session, options: credits_demo.load(session))
