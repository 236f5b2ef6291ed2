"""Credits and qualifications (学分银行): the append-only ledger, the award for a completed resource,
recognition of outside outcomes and the conversion table, pathways, certificates and the transcript.

Learning never imports this package: it announces "resource completed" (app.events) and credits listens.
Credits may read learning's public models (Enrolment) and the catalog."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from app import demo as app_demo
from app import events
from app.accounts import merge
from app.accounts.policy import SYSTEM
from credits import api, awards, ledger, models, views  # noqa: F401 - models registers the tables
from credits import demo as credits_demo
from credits import desk as credits_desk

MERGE_REASON = "账号合并，重复记录"  # stored on the revocation, as a reason staff type is


def _revoke_twice(session: Session, record_id: int) -> None:
    """A merged person's second earned record for one resource: revoked, its certificate resting on the first."""
    ledger.revoke_record(session, SYSTEM, record_id, MERGE_REASON)


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    events.subscribe(events.RESOURCE_COMPLETED, awards.on_resource_completed)
    awards.register()
    merge.REVOKE_TWICE["credit_records"] = _revoke_twice  # a credit counts once after an account merge
    credits_desk.register(app)
    # pathways, a conversion row, a recognition request to review
    app_demo.register(app, "credit bank", lambda session, options: credits_demo.load(session))
