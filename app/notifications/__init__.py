"""The notifications centre: one place for everything addressed to a person (the bell and `/me/notifications`),
delivered in the site, by Web Push and, for decisions, by text. Domains call `notify` (the kernel never imports
them); the worker delivers after commit (the `notifications.deliver` duty)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, Response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.notifications.kinds import ACCOUNT, KINDS, Kind
from app.notifications.service import notify

__all__ = ["KINDS", "Kind", "init_app", "notify"]
COUNT_SECONDS = 60.0  # at most this long between a message written on another host and the bell's count
EXPIRED_LOGINS = "accounts.expired_sessions"  # the hourly duty removing sessions past their lifetime


def init_app(app: Flask) -> None:
    # imported here, not at the top: domains' services import this package for `notify`, and these modules (views,
    # delivery with pywebpush, the web kernel) are only needed once an app is made
    from app import events, jobs, sms
    from app.accounts import sessions
    from app.extensions import db
    from app.notifications import delivery, service, views
    from app.sharedparts import SharedParts, watch_writes
    from app.web import current_user_or_none

    app.register_blueprint(views.bp)
    ttl = min(float(app.config["SHARED_PARTS_SECONDS"]), COUNT_SECONDS)
    kept = SharedParts(Path(app.config["DATA_DIR"]) / "cache" / "notifications.generation", ttl, ("notifications",))
    app.extensions["notification_counts"] = kept
    with app.app_context():
        watch_writes(db.engine, kept, "notifications")

    def unread(user_id: int) -> dict[str, int]:
        """The person's unread messages by path, kept until the notifications table is written (here or, through
        the generation file, in another process; another host within `ttl`)."""
        return kept.get_or_make(("unread", user_id), lambda: service.unread_about(db.session, user_id))

    @app.template_global()
    def notification_count() -> int:
        """The bell's count."""
        user: Any = current_user_or_none()
        return 0 if user is None else sum(unread(user.id).values())

    @app.after_request
    def read_on_opening(response: Response) -> Response:
        """Opening the page a message is about reads the message, as opening it from the bell does. Only when the
        person has an unread message about this very path (the kept count by path), so other requests query and
        write nothing; and the user is loaded only for a page answered 200 (never for a heartbeat)."""
        if request.method != "GET" or response.status_code != 200:
            return response
        user: Any = current_user_or_none()
        if user is not None and request.path in unread(user.id) and service.read_about(db.session, user.id,
                                                                                        request.path):
            db.session.commit()
        return response

    def deliver(ctx: jobs.DutyContext) -> bool:
        done = delivery.deliver_pending(ctx.session, ctx.app.config)
        sms.deliver_pending(ctx.session, sms.gateway_for(ctx.app))
        return done >= delivery.BATCH

    def end_expired_logins(ctx: jobs.DutyContext) -> bool:
        """Sessions past their lifetime go, and their devices' push subscriptions with them (registered here: their
        reason is push, and app.accounts cannot import app.jobs without a cycle)."""
        removed = sessions.purge_expired(ctx.session, ctx.app.config)
        ctx.session.commit()
        return removed >= sessions.PURGE_BATCH

    jobs.recurring(jobs.Duty("notifications.deliver", deliver, "NOTIFY_SECONDS", label=_l("消息推送与短信")))
    jobs.recurring(jobs.Duty(EXPIRED_LOGINS, end_expired_logins, every_s=3600.0, label=_l("清理过期登录")))
    events.subscribe(events.IDENTITY_CHANGED, tell_identity_changed)
    app.cli.add_command(notifications_cli)


def tell_identity_changed(session: Session, key: str) -> None:
    """A name or ID number changed (app.accounts.profiles, which texts the owner too): if it was not the owner, the
    message says what to do."""
    notify(session, int(key), ACCOUNT, _("您的姓名或身份证号码已更改"), "/me/password",
           _("如非本人操作，请立即修改密码，再改回个人资料。"))


@click.group("notifications")
def notifications_cli() -> None:
    """Notifications: Web Push keys."""


@notifications_cli.command("vapid-keys")
def vapid_keys() -> None:
    """Print a new VAPID key pair as the two settings to add (keep the private one secret)."""
    from app.notifications.delivery import generate_keys  # pywebpush's keys, loaded for this command only

    public, private = generate_keys()
    click.echo(f"QIUXUE_WEBPUSH_PUBLIC_KEY={public}")
    click.echo(f"QIUXUE_WEBPUSH_PRIVATE_KEY={private}")
