"""Media operations: turn a finished upload into an asset and queue its transcode, report its status,
cancel it, attach it to a lesson, add subtitles. Services take a Session and plain values, flush, and
leave the commit to the view, command or job that called them.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs, stores
from app.accounts import scope
from app.accounts.models import Organisation
from app.accounts.policy import require
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.lookup import get_or_raise
from app.storage import LocalStorage, Storage, get_storage
from media import dedup, lessons, pending_files, subtitles, tus, tus_s3
from media.ladder import ACCEPTED_FORMATS
from media.models import AssetStatus, MediaAsset, Subtitle, Upload
from media.validation import check_media

TRANSCODE = "media.transcode"
CLEANUP = "media.cleanup"
SCRATCH = "media.scratch"  # the stray work folders of the host it runs on: in every runtime


@dataclass(frozen=True)
class MediaSettings:
    storage: Storage        # where sources, renditions and subtitles are kept (MEDIA_STORAGE: this folder or a bucket)
    local: LocalStorage     # this host's media folder: tus uploads in progress and transcode work folders
    max_upload: int
    quota: int
    max_duration_s: int
    expire_hours: int
    url_ttl_s: int
    preset: str
    threads: int

    @classmethod
    def of(cls, app: Flask) -> MediaSettings:
        """Built once per app from its configuration."""
        if "media" not in app.extensions:
            c = app.config
            local = get_storage(c)
            app.extensions["media"] = cls(
                storage=stores.area(c, "media") if c.get("MEDIA_STORAGE") else local, local=local,
                max_upload=int(c["MEDIA_MAX_UPLOAD"]), quota=int(c["ORG_STORAGE_QUOTA"]),
                max_duration_s=int(c["MEDIA_MAX_DURATION_S"]), expire_hours=int(c["MEDIA_UPLOAD_EXPIRE_HOURS"]),
                url_ttl_s=int(c["MEDIA_URL_TTL_S"]), preset=str(c["MEDIA_X264_PRESET"]),
                threads=int(c["MEDIA_FFMPEG_THREADS"]))
        settings: MediaSettings = app.extensions["media"]
        return settings

    @property
    def bucket(self) -> tus_s3.Multipart | None:
        """Where tus uploads go when they are not in this host's folder (uploads on any host)."""
        return tus.remote(self.storage, self.local)


def upload_orgs(actor: Any) -> list[Organisation]:
    """Organisations this user may upload media for, through their own memberships."""
    return scope.orgs_of(actor, action="media.upload")


def storage_of(session: Session, orgs: list[Organisation]) -> list[tuple[Organisation, int]]:
    """Each organisation's stored bytes as the quota counts them (media.tus.storage_used), for its staff to see."""
    return [(org, tus.storage_used(session, org.id)) for org in orgs]


def pick_org(session: Session, actor: Any, code: str | None) -> Organisation:
    """The organisation an upload is for: the one named (if allowed), else the user's first."""
    if code:
        org = session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None:
            raise NotFound(_("单位不存在。"), code="org_not_found")
        require(actor, "media.upload", org)
        return org
    orgs = upload_orgs(actor)
    if not orgs:
        raise Forbidden(_("您没有上传音视频的权限。"), code="forbidden")
    return orgs[0]


def get_asset(session: Session, asset_id: int) -> MediaAsset:
    return get_or_raise(session, MediaAsset, asset_id, _("音视频不存在。"), code="media_not_found")


def visible_asset(session: Session, actor: Any, asset_id: int) -> MediaAsset:
    """Status and details: for who may see the unpublished asset, or anyone once its lesson is public."""
    asset = get_asset(session, asset_id)
    if not (lessons.is_public(session, asset) or lessons.may_view(session, actor, asset)):
        raise NotFound(_("音视频不存在。"), code="media_not_found")
    return asset


def upload_id_from_url(upload_url: str) -> str:
    """`/api/v1/uploads/<id>` (absolute or not) -> `<id>`."""
    upload_id = str(upload_url or "").rstrip("/").rsplit("/", 1)[-1]
    if len(upload_id) != 32 or not upload_id.isalnum():
        raise Invalid(_("请先上传文件。"), code="upload_url_invalid", fields={"upload_url": _("上传地址不对。")})
    return upload_id


def create_asset(session: Session, settings: MediaSettings, actor: Any, upload: Upload,
                 lesson_id: int | None = None) -> MediaAsset:
    """Check the finished upload by its content, take its file over and queue the transcode.

    Raises Invalid (media_* codes) for files that are not usable media; the caller may then discard the upload.
    """
    org = session.get(Organisation, upload.org_id)
    require(actor, "media.upload", org)
    if not upload.is_complete:
        raise Conflict(_("文件还没有上传完。"), code="upload_incomplete")
    lesson = lessons.find_lesson(session, lesson_id) if lesson_id else None
    if lesson is not None:
        lessons.check_can_attach(actor, lesson)
    bucket = settings.bucket if upload.multipart_id is not None else None
    path = tus_s3.fetch_finished(session, bucket, settings.local, upload) if bucket else settings.local.path(upload.key)
    found = check_media(path, max_duration_s=settings.max_duration_s)
    asset = MediaAsset(org_id=upload.org_id, uploader_id=getattr(actor, "id", None), title=upload.filename,
                       status=AssetStatus.queued, duration_s=found.duration_s, width=found.width,
                       height=found.height, has_video=bool(found.width), has_audio=found.has_audio)
    session.add(asset)
    session.flush()
    extension = next((n for n in found.format_name.split(",") if n in ACCEPTED_FORMATS), "bin")
    take_in(session, settings, asset, upload.key, extension)
    session.delete(upload)
    if lesson is not None:
        lessons.link(session, lesson, asset)
    session.flush()
    return asset


def _original(session: Session, asset: MediaAsset, site_made: bool = False) -> MediaAsset | None:
    assert asset.content_hash is not None
    return dedup.original_of(session, asset.content_hash, asset.id, asset.org_id,
                             lambda other: site_made or lessons.is_public(session, other))


def take_in(session: Session, settings: MediaSettings, asset: MediaAsset, key: str, extension: str,
            digest: str | None = None, *, site_made: bool = False) -> None:
    """Make the local file `key` (a finished upload) the asset's source: share the asset of the same bytes if
    there is one (the file is then removed once this commits), else move it in and queue its transcode.
    `digest`: the file's SHA-256 when the caller has it already. `site_made`: bytes the site made itself (the
    demo's clips), shared with any organisation's asset of them: nobody learns anything from it."""
    path = settings.local.path(key)
    asset.content_hash = digest or dedup.sha256_of(path)
    original = _original(session, asset, site_made)
    if original is not None:
        dedup.share(session, asset, original)
        pending_files.drop_on_commit(session, settings.local, key)
        return
    asset.source_key = f"assets/{asset.id}/source.{extension}"
    if settings.storage is settings.local:  # one folder: a rename
        asset.source_bytes = settings.local.move_in(asset.source_key, path)
    else:  # into the bucket; the local upload goes once this commits, the stored copy if it does not
        asset.source_bytes = settings.storage.put(asset.source_key, path)
        pending_files.written(session, settings.storage, asset.source_key)
        pending_files.drop_on_commit(session, settings.local, key)
    queue_transcode(session, asset)


def queue_transcode(session: Session, asset: MediaAsset) -> jobs.Job:
    job = jobs.enqueue(session, TRANSCODE, {"asset_id": asset.id}, key=f"{TRANSCODE}:{asset.id}")
    asset.job_id, asset.status, asset.error_code, asset.error = job.id, AssetStatus.queued, "", ""
    session.flush()
    return job


def discard_upload(session: Session, settings: MediaSettings, upload_id: str) -> None:
    upload = session.get(Upload, upload_id)
    if upload is not None and upload.asset_id is None:
        tus.terminate(session, settings.local, upload, settings.bucket)


def job_of(session: Session, asset: MediaAsset) -> jobs.Job | None:
    return session.get(jobs.Job, asset.job_id) if asset.job_id else None


def progress(session: Session, asset: MediaAsset) -> float:
    if asset.status == AssetStatus.ready:
        return 100.0
    job = job_of(session, asset)
    return round(job.progress, 1) if job is not None and asset.status == AssetStatus.processing else 0.0


def cancel(session: Session, actor: Any, asset: MediaAsset) -> None:
    """Stop a queued or running transcode; the worker kills ffmpeg and the asset ends as cancelled."""
    require(actor, "media.upload", asset.org)
    if asset.status not in (AssetStatus.queued, AssetStatus.processing):
        raise Conflict(_("只有排队中或转码中的视频可以取消。"), code="not_cancellable")
    if asset.job_id and not dedup.owns_job(session, asset):  # waiting on another asset's transcode: leave it
        asset.status, asset.job_id = AssetStatus.cancelled, None
        session.flush()
        return
    job = job_of(session, asset)
    if job is not None:
        jobs.cancel(session, job)
    if job is None or job.state == jobs.JobState.cancelled:
        asset.status = AssetStatus.cancelled
    session.flush()


def retry(session: Session, settings: MediaSettings, actor: Any, asset: MediaAsset) -> jobs.Job | None:
    """Transcode again (after a failure or a cancel); the source is still there."""
    require(actor, "media.upload", asset.org)
    if asset.status not in (AssetStatus.failed, AssetStatus.cancelled) or not asset.source_key:
        raise Conflict(_("这个视频现在不需要重新转码。"), code="not_retryable")
    original = _original(session, asset) if asset.content_hash else None
    if original is not None:  # the same bytes are ready, or being transcoded, meanwhile: share that
        own = [k for k in (asset.source_key, asset.output_key) if k]
        dedup.share(session, asset, original)
        # its own files, now pointed at by no row, go once this commits: else they stayed on disk, counted by no
        # quota (upload, cancel, upload again, retry: a source's worth each round)
        for key in own:
            if key not in (asset.source_key, asset.output_key) and not dedup.in_use(session, key, asset.id):
                pending_files.drop_on_commit(session, settings.storage, key)
        return job_of(session, original)
    return queue_transcode(session, asset)


def delete_asset(session: Session, settings: MediaSettings, actor: Any, asset: MediaAsset) -> None:
    """Delete an asset that no published lesson plays. Its files go once this commits, unless another asset of
    the same bytes still uses them; a transcode it was running for others is handed to one of them."""
    require(actor, "media.upload", asset.org)
    if lessons.is_public(session, asset):
        raise Conflict(_("这个视频正在已发布的课时中播放，不能删除。请先换上别的视频。"), code="media_in_use")
    lessons.check_can_change(session, actor, asset)  # the lesson's editors only: a removed co-author took it away
    own_job = job_of(session, asset) if dedup.owns_job(session, asset) else None
    waiting = dedup.followers(session, asset) if own_job is not None else []
    if waiting:
        job = queue_transcode(session, waiting[0])
        for other in waiting[1:]:
            other.job_id = job.id
    if own_job is not None and own_job.state not in jobs.ENDED:
        jobs.cancel(session, own_job)  # nobody needs its output any more
    lessons.unlink(session, asset)
    keys = [k for k in (asset.source_key, asset.output_key) if k and not dedup.in_use(session, k, asset.id)]
    keys += [s.path for s in asset.subtitles]
    session.delete(asset)
    session.flush()
    for key in keys:
        pending_files.drop_on_commit(session, settings.storage, key)


def attach(session: Session, actor: Any, asset: MediaAsset, lesson_id: int) -> None:
    require(actor, "media.upload", asset.org)
    lesson = lessons.find_lesson(session, lesson_id)
    lessons.check_can_attach(actor, lesson)
    if asset.lesson_id != lesson.id:
        lessons.check_can_change(session, actor, asset)
    lessons.link(session, lesson, asset)


def add_subtitle(session: Session, settings: MediaSettings, actor: Any, asset: MediaAsset, language: str,
                 data: bytes) -> Subtitle:
    """SRT or WebVTT in, WebVTT stored; one file per language (a new one replaces the old once committed).
    The stored bytes count against the organisation's quota, as uploads do (413 quota_exceeded)."""
    require(actor, "media.upload", asset.org)
    lessons.check_can_change(session, actor, asset)
    code, label = subtitles.language(language)
    existing = next((s for s in asset.subtitles if s.language == code), None)
    if existing is None and len(asset.subtitles) >= subtitles.MAX_LANGUAGES:
        raise Invalid(_("每个视频最多%(n)d种字幕语言，请先删除不用的。", n=subtitles.MAX_LANGUAGES),
                      code="too_many_subtitles", fields={"language": _("字幕语言太多。")})
    stored = subtitles.to_webvtt(data).encode("utf-8")  # may outgrow the upload: GBK or UTF-16 Chinese, stamps
    tus.make_room(session, asset.org_id, settings.quota, len(stored), existing.size_bytes if existing else 0)
    key = f"assets/{asset.id}/subs/{code.lower()}-{secrets.token_hex(4)}.vtt"
    settings.storage.put(key, io.BytesIO(stored))
    pending_files.written(session, settings.storage, key)
    if existing is not None:
        pending_files.drop_on_commit(session, settings.storage, existing.path)
        asset.subtitles.remove(existing)
        session.flush()
    subtitle = Subtitle(language=code, label=label, path=key, lesson_id=asset.lesson_id, size_bytes=len(stored))
    asset.subtitles.append(subtitle)
    session.flush()
    return subtitle


def assets_of(session: Session, actor: Any, limit: int = 20) -> list[MediaAsset]:
    """The latest assets of the organisations this user uploads for."""
    orgs = scope.org_ids_of(actor, action="media.upload")
    if not orgs:
        return []
    return list(session.scalars(select(MediaAsset).where(MediaAsset.org_id.in_(orgs))
                                .order_by(MediaAsset.id.desc()).limit(limit)))

