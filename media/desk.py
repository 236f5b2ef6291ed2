"""Media's queue on the staff desk (app/desk.py): the organisation's uploads whose transcode failed, each one
tap from its page, where 重新转码 or 删除 settles it; the queue is the page of failed uploads
(media/bulk_views.py), where many are queued again at once."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import desk
from app.accounts.models import Role
from media import bulk


def failed(session: Session, user: Any) -> desk.Waiting:
    return desk.Waiting.of(desk.Item(a.title or f"#{a.id}", a.org.name, a.updated_at,
                                     url_for("media.asset_page", asset_id=a.id))
                           for a in bulk.failed_assets(session, user))


def register(app: Flask) -> None:
    desk.register(app, desk.Queue(
        "media.failed", _l("转码失败的音视频"), (Role.institution_staff, Role.enterprise_staff, Role.union_staff),
        failed, lambda: url_for("media.failed"), ("media_assets",)))
