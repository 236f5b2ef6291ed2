"""Re-run failed media jobs in bulk (app/bulk.py): the staff of the uploading organisation, or a site admin, tick
the failed or cancelled videos and queue them all again. Each goes through service.retry, so the policy and the
"only failed or cancelled, with the source still there" rule hold item by item."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import bulk
from app.accounts import scope
from app.accounts.policy import can, is_admin
from media import service
from media.models import AssetStatus, MediaAsset

RETRYABLE = (AssetStatus.failed, AssetStatus.cancelled)


def retry_many(session: Session, settings: service.MediaSettings, actor: Any, ids: list[Any]) -> bulk.Outcome:
    refs = bulk.parse_ids(ids)
    found = {a.id: a for a in session.scalars(select(MediaAsset).where(MediaAsset.id.in_([int(i) for i in refs])))}
    items = []
    for ref in refs:
        asset = found.get(int(ref))
        seen = asset is not None and can(actor, "media.upload", asset.org)
        items.append(bulk.Item(ref, asset, f"《{asset.title or '#' + ref}》" if asset and seen else f"#{ref}",
                               asset.org_id if asset is not None else None))
    return bulk.run(session, actor, "media.retry", "media_asset", items,
                    lambda asset: service.retry(session, settings, actor, asset), policy_action="media.upload")


def failed_assets(session: Session, actor: Any, limit: int = bulk.MAX_ITEMS) -> list[MediaAsset]:
    """Failed or cancelled videos the actor may queue again (a site admin: everyone's), newest first."""
    query = select(MediaAsset).where(MediaAsset.status.in_(RETRYABLE), MediaAsset.source_key != "")
    if not is_admin(actor):
        orgs = scope.org_ids_of(actor, action="media.upload")
        if not orgs:
            return []
        query = query.where(MediaAsset.org_id.in_(orgs))
    return list(session.scalars(query.order_by(MediaAsset.id.desc()).limit(limit)))
