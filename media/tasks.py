"""The media jobs: transcode one asset, and the periodic clean-up of expired uploads and stray work folders
(the latter on every host: each has its own scratch folder).

Both are idempotent. A transcode that ran before (fully or half) starts over in a fresh work folder and
only a complete ladder is moved into place, under a new output key, in one rename; the database then
points at it in the same commit that marks the asset ready.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import jobs
from app.db import utcnow
from app.errors import Invalid
from app.extensions import db
from app.observability import metrics
from media import dedup, ffmpeg, lessons, pending_files, tus
from media.models import AssetStatus, MediaAsset, Rendition, RenditionKind
from media.service import CLEANUP, SCRATCH, TRANSCODE, MediaSettings
from media.transcode import Result, transcode
from media.validation import check_media

log = logging.getLogger("media.tasks")
WORK_DIR_MAX_AGE_S = 24 * 3600
CLEANUP_EVERY_S = 3600


def run_transcode(ctx: jobs.JobContext) -> None:
    settings = MediaSettings.of(current_app)
    session = db.session
    asset = session.get(MediaAsset, int(ctx.payload["asset_id"]))
    if asset is None or asset.status in (AssetStatus.ready, AssetStatus.cancelled):
        return  # deleted, or done by an earlier run: nothing to do
    for each in (asset, *dedup.followers(session, asset, ctx.job_id)):
        each.status = AssetStatus.processing
    session.commit()
    for old in settings.local.tmp.glob(f"job-{ctx.job_id}-*"):
        shutil.rmtree(old, ignore_errors=True)  # what an earlier, interrupted attempt left
    scratch = settings.local.work_dir(f"job-{ctx.job_id}-source")  # the source, when it comes from a bucket
    try:
        with settings.storage.local_copy(asset.source_key, scratch) as source:
            try:
                probe = check_media(source, max_duration_s=settings.max_duration_s, decode=False)
            except Invalid as err:
                asset.status, asset.error_code, asset.error = AssetStatus.failed, err.code, err.message
                session.commit()
                raise jobs.PermanentError(err.code) from err
            work = settings.local.work_dir(f"job-{ctx.job_id}")
            try:
                with metrics.timed(metrics.TRANSCODE):
                    result = transcode(source, work, probe, preset=settings.preset, threads=settings.threads,
                                       on_progress=ctx.report, should_stop=ctx.cancel_event.is_set,
                                       max_duration_s=settings.max_duration_s)
            except ffmpeg.FfmpegCancelled as err:
                raise jobs.Cancelled() from err
            finally:
                if not (work / "master.m3u8").exists():
                    shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    try:
        _publish(session, settings, asset, probe, result, work)
    except tus.TooLarge as err:
        asset.status, asset.error_code = AssetStatus.failed, err.code
        asset.error = _("转码后共 %(size)s，超出本单位的存储空间（上限 %(quota)s）。请删除不用的视频后重新转码。",
                        size=tus.human_size(_bytes_of(result)), quota=tus.human_size(settings.quota))
        session.commit()
        raise jobs.PermanentError(err.code) from err


def run_here(session: Session, settings: MediaSettings, asset: MediaAsset) -> None:
    """Transcode a queued asset in this process and transaction, without committing (the demo load does, once):
    the same steps as the job, whose row is then marked done. Raises ffmpeg/Invalid errors, tus.TooLarge."""
    scratch = settings.local.work_dir(f"asset-{asset.id}-source")
    try:
        with settings.storage.local_copy(asset.source_key, scratch) as source:
            probe = check_media(source, max_duration_s=settings.max_duration_s, decode=False)
            work = settings.local.work_dir(f"asset-{asset.id}")
            try:
                result = transcode(source, work, probe, preset="ultrafast", threads=settings.threads,
                                   max_duration_s=settings.max_duration_s)
            except ffmpeg.FfmpegError:
                shutil.rmtree(work, ignore_errors=True)
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    job = session.get(jobs.Job, asset.job_id) if asset.job_id else None
    _publish(session, settings, asset, probe, result, work, commit=False)
    if job is not None and job.state == jobs.JobState.queued:
        job.state, job.progress, job.finished_at = jobs.JobState.succeeded, 100.0, utcnow()
    session.flush()


def _publish(session: Session, settings: MediaSettings, asset: MediaAsset, probe: ffmpeg.Probe, result: Result,
             work: Path, *, commit: bool = True) -> None:
    """Move the finished folder into place (a rename, or an upload to the bucket), then point the asset at it
    (one commit). The renditions count against the organisation's quota as sources do (a small low-bitrate source
    passed the upload's check, then its ladder stored several times its size): when they do not fit, raises
    tus.TooLarge (quota_exceeded) with the work folder removed and nothing stored."""
    try:
        tus.make_room(session, asset.org_id, settings.quota, _bytes_of(result),
                      freeing=sum(r.size_bytes for r in asset.renditions))  # a transcode again replaces them
    except tus.TooLarge:
        shutil.rmtree(work, ignore_errors=True)
        raise
    output_key = f"assets/{asset.id}/{secrets.token_hex(5)}"
    settings.storage.put_tree(output_key, work)
    pending_files.written(session, settings.storage, output_key)
    previous = asset.output_key
    asset.renditions.clear()
    session.flush()
    for output in result.outputs:
        asset.renditions.append(Rendition(kind=RenditionKind(output.kind), path=output.path, bitrate=output.bitrate,
                                          size_bytes=output.size_bytes, width=output.width, height=output.height))
    asset.output_key, asset.status, asset.ready_at = output_key, AssetStatus.ready, utcnow()
    # the length of what plays, not the source's claim (which may understate it: the transcode stops at the limit)
    asset.duration_s, asset.width, asset.height = result.duration_s or probe.duration_s, probe.width, probe.height
    asset.has_video, asset.has_audio = bool(probe.width), probe.has_audio
    asset.error_code = asset.error = ""
    lessons.fill_duration(session, asset)
    for follower in dedup.followers(session, asset):  # the same bytes uploaded again meanwhile: one transcode
        dedup.copy_outputs(follower, asset)
        follower.job_id = None
        lessons.fill_duration(session, follower)
    if previous and previous != output_key and not dedup.in_use(session, previous, asset.id):
        pending_files.drop_on_commit(session, settings.storage, previous)
    if commit:
        session.commit()


def _bytes_of(result: Result) -> int:
    return sum(output.size_bytes for output in result.outputs)


def transcode_ended(session: Session, job: jobs.Job) -> None:
    """The job failed for good or was cancelled: say so on the asset (unless validation already did)."""
    asset = session.get(MediaAsset, int((job.payload or {}).get("asset_id", 0)))
    if asset is None or asset.job_id != job.id or asset.status == AssetStatus.ready:
        return
    for each in (asset, *dedup.followers(session, asset, job.id)):  # who shared the job ends with it
        if job.state == jobs.JobState.cancelled:
            each.status = AssetStatus.cancelled
        elif each.status != AssetStatus.failed or each is not asset:
            each.status, each.error_code = AssetStatus.failed, asset.error_code or "transcode_failed"
            each.error = asset.error if asset.status == AssetStatus.failed and asset.error \
                else _("转码失败，请稍后重试，或换一个文件上传。")


def run_cleanup(ctx: jobs.JobContext | jobs.DutyContext) -> None:
    """Expired uploads (shared: the database and the bucket), then this host's stray work folders. Both a job kind
    (run once on demand) and a recurring duty (every hour, one runtime at a time across the hosts)."""
    settings = MediaSettings.of(current_app)
    removed = tus.remove_expired(db.session, settings.local, settings.bucket)
    db.session.commit()
    stray = _remove_stray_work(settings)
    if removed or stray:
        log.info("media cleanup: %s expired uploads, %s stray work folders removed", removed, stray)


def run_scratch_sweep(ctx: jobs.DutyContext) -> None:
    """This host's stray work folders: what a process that died mid-work left in its own scratch folder (a killed
    worker's transcode, a web process's tus PATCH body). Each host has its own folder, which only a runtime on that
    host can see, so this duty runs in every runtime; the exclusive clean-up above runs on one host an hour."""
    stray = _remove_stray_work(MediaSettings.of(current_app))
    if stray:
        log.info("media scratch: %s stray work folders removed", stray)


def _remove_stray_work(settings: MediaSettings) -> int:
    stray = 0
    for folder in settings.local.tmp.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > WORK_DIR_MAX_AGE_S:
            shutil.rmtree(folder, ignore_errors=True)
            stray += 1
    return stray


def register() -> None:
    jobs.register(TRANSCODE, run_transcode, on_end=transcode_ended, label=_l("视频转码"))
    jobs.register(CLEANUP, run_cleanup, label=_l("清理过期上传"))
    jobs.recurring(jobs.Duty(CLEANUP, run_cleanup, every_s=CLEANUP_EVERY_S, label=_l("清理过期上传")))
    jobs.recurring(jobs.Duty(SCRATCH, run_scratch_sweep, every_s=CLEANUP_EVERY_S, exclusive=False,
                             label=_l("清理本机临时文件")))
