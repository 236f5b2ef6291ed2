"""Demo media for `make run`: a few short lecture-like clips made by ffmpeg's own test sources (colour bars
or the moving test pattern, a tone, and a title when the build has drawtext), attached to demo video
lessons and queued for transcoding, so a new user can watch something. Nothing is downloaded."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from media import ffmpeg, lessons, pending_files, service
from media.models import AssetStatus, MediaAsset, Rendition, RenditionKind
from media.service import MediaSettings

log = logging.getLogger("media.demo")
CLIPS = (
    ("smptebars", 440, "安全生产第一课"),
    ("testsrc2", 523, "电工基础：认识万用表"),
    ("smptebars", 659, "普通话日常用语"),
)
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _font() -> str | None:
    found = next((f for f in CJK_FONTS if Path(f).exists()), None)
    if found is None and shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                             check=False)
        found = out.stdout.strip() or None
    return found


def make_clip(path: Path, title: str, *, seconds: int = 24, pattern: str = "testsrc2", tone_hz: int = 440,
              size: str = "1280x720", rate: int = 25) -> Path:
    """Write a lecture-like test clip: picture, a quiet tone, and the title (plus a clock) when possible."""
    video = f"{pattern}=size={size}:rate={rate}:duration={seconds}"
    font = _font() if ffmpeg.has_filter("drawtext") else None
    if font:
        title_file = path.with_suffix(".txt")
        title_file.write_text(title, encoding="utf-8")
        video += (f",drawtext=fontfile={font}:textfile={title_file}:fontsize=56:fontcolor=white:box=1:"
                  f"boxcolor=black@0.6:boxborderw=16:x=(w-text_w)/2:y=h*0.12,"
                  f"drawtext=fontfile={font}:text='%{{pts\\:hms}}':fontsize=40:fontcolor=white:box=1:"
                  f"boxcolor=black@0.6:boxborderw=10:x=(w-text_w)/2:y=h*0.8")
    args = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds}",
            "-filter:a", "volume=0.2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(args, check=True, capture_output=True)
    return path


def ready_clips(session: Session, lessons_to_fill: list, *, seconds: int = 24) -> int:
    """Playable video for each given video lesson, before its resource is published (nothing unplayable is):
    one clip is made and transcoded here, and each lesson gets its own ready asset whose output folder holds
    hard links to that transcode's files (no copies, no second transcode). The lessons keep their durations."""
    from media.transcode import transcode

    if not lessons_to_fill:
        return 0
    settings = MediaSettings.of(current_app)
    if current_app.config.get("TESTING"):
        seconds = min(seconds, 2)
    work = settings.storage.work_dir("demo-ready")
    pattern, tone, title = CLIPS[0]
    try:
        clip = make_clip(work / "clip.mp4", title, seconds=seconds, pattern=pattern, tone_hz=tone, size="640x360")
        probe = ffmpeg.probe(clip)
        result = transcode(clip, work / "out", probe, preset="ultrafast", threads=settings.threads)
    except (OSError, subprocess.CalledProcessError, ffmpeg.ProbeError, ffmpeg.FfmpegError):
        log.warning("demo media skipped: ffmpeg could not make the demo clip", exc_info=True)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    files = [f for f in (work / "out").rglob("*") if f.is_file()]
    for lesson in lessons_to_fill:
        asset = MediaAsset(org_id=lesson.resource.provider_id, title=f"{title}.mp4", status=AssetStatus.ready,
                           duration_s=probe.duration_s, width=probe.width, height=probe.height, has_video=True,
                           has_audio=probe.has_audio, lesson_id=lesson.id, ready_at=utcnow())
        session.add(asset)
        session.flush()
        asset.output_key = f"assets/{asset.id}/demo"
        folder = settings.storage.path(asset.output_key)
        for source in files:
            target = folder / source.relative_to(work / "out")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)  # another file system, or no hard links there
        pending_files.written(session, settings.storage, asset.output_key)
        asset.renditions = [Rendition(kind=RenditionKind(o.kind), path=o.path, bitrate=o.bitrate,
                                      size_bytes=o.size_bytes, width=o.width, height=o.height)
                            for o in result.outputs]
        lesson.media_asset_id = asset.id
    session.flush()
    shutil.rmtree(work, ignore_errors=True)
    return len(lessons_to_fill)


def _free_video_lessons(session: Session, limit: int) -> list:
    from catalog.models import Lesson, LessonType, Resource, ResourceStatus

    query = (select(Lesson).join(Resource, Lesson.resource_id == Resource.id)
             .where(Lesson.type == LessonType.video, Lesson.media_asset_id.is_(None),
                    Resource.status == ResourceStatus.published)
             .order_by(Resource.id, Lesson.position).limit(limit * 5))
    chosen, resources = [], set()
    for lesson in session.scalars(query):
        if lesson.resource_id not in resources:  # one clip per resource, so several resources show a player
            chosen.append(lesson)
            resources.add(lesson.resource_id)
        if len(chosen) == limit:
            break
    return chosen


def load(session: Session, *, transcode_now: bool = False, seconds: int = 24) -> dict[str, int]:
    """Attach a demo clip to the first few published video lessons without media; queue (or run) the
    transcodes. Does nothing when the catalog has no such lessons yet."""
    settings = MediaSettings.of(current_app)
    if current_app.config.get("TESTING"):
        seconds = min(seconds, 2)  # other packages' tests load the whole demo too: keep it quick there
    targets = _free_video_lessons(session, len(CLIPS))
    for lesson, (pattern, tone, title) in zip(targets, CLIPS, strict=False):
        work = settings.storage.work_dir("demo")
        try:
            clip = make_clip(work / "clip.mp4", title, seconds=seconds, pattern=pattern, tone_hz=tone)
            probe = ffmpeg.probe(clip)
        except (OSError, subprocess.CalledProcessError, ffmpeg.ProbeError):
            log.warning("demo media skipped: ffmpeg could not make the demo clips", exc_info=True)
            shutil.rmtree(work, ignore_errors=True)
            return {"demo clips": 0}
        asset = MediaAsset(org_id=lesson.resource.provider_id, title=f"{title}.mp4", status=AssetStatus.queued,
                           duration_s=probe.duration_s, width=probe.width, height=probe.height,
                           has_video=True, has_audio=True)
        session.add(asset)
        session.flush()
        asset.source_key = f"assets/{asset.id}/source.mov"
        asset.source_bytes = settings.storage.move_in(asset.source_key, clip)
        shutil.rmtree(work, ignore_errors=True)
        service.queue_transcode(session, asset)
        lessons.link(session, lesson, asset)
    if transcode_now and targets:
        from app.jobs import Worker

        session.commit()
        Worker(current_app._get_current_object(), periodic=False).run_until_idle()  # type: ignore[attr-defined]
    return {"demo clips": len(targets)}
