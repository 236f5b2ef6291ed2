"""The same bytes are stored and transcoded once. A finished upload (tus or the demo) is hashed (SHA-256); when
an asset of the same bytes is ready, or is being transcoded, the new asset shares its source file, its job and
its output folder (rows of its own, pointing at the same files; nothing is copied). Files are removed only when
no asset points at them any more, so deleting one of two sharing assets leaves the other playable.

Sharing works within an organisation, and across organisations only with an asset anyone may already watch (on a
published lesson): an upload answered "ready" at once told any uploader that another organisation privately held
the same file (a review checked a leaked recording so). Each asset keeps its own rows (lesson, subtitles, status),
its own quota count and its own access rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import jobs
from app.db import utcnow
from media.models import AssetStatus, MediaAsset, Rendition

SHAREABLE = (AssetStatus.ready, AssetStatus.processing, AssetStatus.queued)
CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def owns_job(session: Session, asset: MediaAsset) -> bool:
    """The asset its job transcodes (the others waiting on that job only share it)."""
    job = session.get(jobs.Job, asset.job_id) if asset.job_id else None
    return job is not None and int((job.payload or {}).get("asset_id", 0)) == asset.id


def original_of(session: Session, digest: str, exclude_id: int | None, org_id: int,
                public: Callable[[MediaAsset], bool]) -> MediaAsset | None:
    """An asset of these bytes whose output can be shared: a ready one first, else the one being transcoded; of
    the same organisation (`org_id`), or one anyone may watch (`public`)."""
    found = [a for a in session.scalars(select(MediaAsset).where(
        MediaAsset.content_hash == digest, MediaAsset.status.in_(SHAREABLE), MediaAsset.id != (exclude_id or 0))
        .order_by(MediaAsset.id)) if a.org_id == org_id or public(a)]
    ready = next((a for a in found if a.status == AssetStatus.ready and a.output_key), None)
    return ready or next((a for a in found if a.status != AssetStatus.ready and owns_job(session, a)), None)


def share(session: Session, asset: MediaAsset, original: MediaAsset) -> None:
    """Give `asset` the source and the output (or the running job) of `original`, which has the same bytes."""
    asset.content_hash = original.content_hash
    asset.source_key, asset.source_bytes = original.source_key, original.source_bytes
    asset.error_code = asset.error = ""
    if original.status == AssetStatus.ready:
        copy_outputs(asset, original)
    else:
        asset.job_id, asset.status = original.job_id, original.status
    session.flush()


def copy_outputs(asset: MediaAsset, original: MediaAsset) -> None:
    """The rendition rows of `original`, for `asset`: same folder, same files."""
    asset.renditions.clear()
    for r in original.renditions:
        asset.renditions.append(Rendition(kind=r.kind, path=r.path, bitrate=r.bitrate, size_bytes=r.size_bytes,
                                          width=r.width, height=r.height))
    asset.output_key, asset.status, asset.ready_at = original.output_key, AssetStatus.ready, utcnow()
    asset.duration_s, asset.width, asset.height = original.duration_s, original.width, original.height
    asset.has_video, asset.has_audio = original.has_video, original.has_audio
    asset.error_code = asset.error = ""


def followers(session: Session, owner: MediaAsset, job_id: int | None = None) -> list[MediaAsset]:
    """Assets waiting on the owner's transcode job."""
    job_id = job_id or owner.job_id
    if not job_id:
        return []
    return list(session.scalars(select(MediaAsset).where(
        MediaAsset.job_id == job_id, MediaAsset.id != owner.id,
        MediaAsset.status.in_((AssetStatus.queued, AssetStatus.processing))).order_by(MediaAsset.id)))


def in_use(session: Session, key: str, exclude_id: int) -> bool:
    """Whether another asset still points at this stored source file or output folder."""
    return session.scalar(select(MediaAsset.id).where(
        MediaAsset.id != exclude_id, or_(MediaAsset.source_key == key, MediaAsset.output_key == key)).limit(1)) \
        is not None
