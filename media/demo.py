"""Demo media for `make run`: short lecture-like clips made by ffmpeg's own test sources (colour bars or the
moving test pattern, a tone, and the title drawn on the picture with a CJK font when the build has drawtext),
so every published demo video lesson plays. Nothing is downloaded.

The clips go in as uploads do (media.service.take_in): the same bytes are stored and transcoded once, and the
lessons that use a clip share its output. The short demo course gets one clip per lesson, titled like it and as
long as the lesson says (about a minute each); the other lessons share one clip per menu branch, and take its
length, so what the catalog says is what plays and every demo lesson can really be finished. The listening
lessons get sound only."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Invalid
from app.jobs import Worker
from catalog.demo_data import AUDIO_ONLY, SHORT_COURSE, SHORT_LESSON_SECONDS
from catalog.models import Lesson, LessonType, Resource, ResourceStatus
from media import dedup, ffmpeg, lessons, service
from media.models import AssetStatus, MediaAsset
from media.service import MediaSettings
from media.tasks import run_here

log = logging.getLogger("media.demo")
CLIPS = (
    ("smptebars", 440, "安全生产第一课"),
    ("testsrc2", 523, "电工基础：认识万用表"),
    ("smptebars", 659, "普通话日常用语"),
)
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
BRANCHES = {"academic": ("学历继续教育", "testsrc2", 523), "skills": ("岗位技能", "smptebars", 440),
            "innovation": ("创业创新", "testsrc2", 587), "literacy": ("综合素质", "smptebars", 659)}
SHARED_SECONDS = 60  # each branch's clip: long enough to be a lesson, quick to transcode (240p, 10 frames/s)
TESTING_SECONDS = 3   # other packages' tests load the whole demo: keep it quick there
TESTING_SHORT_MAX = 4  # the short course watched in a browser at 1x (tests/e2e/test_demo_course_journey.py)


def _font() -> str | None:
    found = next((f for f in CJK_FONTS if Path(f).exists()), None)
    if found is None and shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                             check=False)
        found = out.stdout.strip() or None
    return found


def make_clip(path: Path, title: str, *, seconds: int = 24, pattern: str = "testsrc2", tone_hz: int = 440,
              size: str = "1280x720", rate: int = 25, audio_only: bool = False) -> Path:
    """Write a lecture-like test clip: picture, a quiet tone, and the title (plus a clock) when the font and
    drawtext are there (without them, the picture alone). `audio_only`: an m4a with the tone only."""
    tone = ["-f", "lavfi", "-i", f"sine=frequency={tone_hz}:duration={seconds}", "-filter:a", "volume=0.2"]
    base = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if audio_only:
        subprocess.run([*base, *tone, "-c:a", "aac", "-b:a", "64k", str(path)], check=True, capture_output=True)
        return path
    video = f"{pattern}=size={size}:rate={rate}:duration={seconds}"
    font = _font() if ffmpeg.has_filter("drawtext") else None
    if font:
        title_file = path.with_suffix(".txt")
        title_file.write_text(title, encoding="utf-8")
        height = int(size.split("x")[1])
        video += (f",drawtext=fontfile={font}:textfile={title_file}:fontsize={max(16, height // 13)}:"
                  f"fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8:x=(w-text_w)/2:y=h*0.12,"
                  f"drawtext=fontfile={font}:text='%{{pts\\:hms}}':fontsize={max(12, height // 18)}:"
                  f"fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=6:x=(w-text_w)/2:y=h*0.8")
    def run(picture: str) -> None:
        subprocess.run([*base, "-f", "lavfi", "-i", picture, *tone, "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True, capture_output=True)

    try:
        run(video)
    except subprocess.CalledProcessError:
        if not font:
            raise
        log.warning("demo clip without its title: drawtext failed with %s", font)
        run(f"{pattern}=size={size}:rate={rate}:duration={seconds}")  # the picture alone still plays
    return path


@dataclass(frozen=True)
class Clip:
    key: str          # lessons with the same key share the clip
    title: str        # drawn on the picture
    seconds: int
    pattern: str = "smptebars"
    tone_hz: int = 440
    size: str = "426x240"
    audio_only: bool = False


def clip_for(lesson: Lesson, testing: bool = False, short_full_length: bool = False) -> Clip:
    """Which demo clip a lesson gets: its own for the short course, sound for the listening lessons, else its
    menu branch's. Under test, clips are short and small, unless the short course is asked for at full length."""
    resource = lesson.resource
    if resource.title == SHORT_COURSE and lesson.title in SHORT_LESSON_SECONDS:
        seconds = SHORT_LESSON_SECONDS[lesson.title]
        if testing:
            return Clip(f"short-{lesson.title}", lesson.title,
                        seconds if short_full_length else min(seconds, TESTING_SHORT_MAX), size="320x180")
        return Clip(f"short-{lesson.title}", lesson.title, seconds, pattern="testsrc2", size="640x360")
    seconds = TESTING_SECONDS if testing else SHARED_SECONDS
    if resource.title in AUDIO_ONLY:
        return Clip("audio", "听力练习", seconds, tone_hz=392, audio_only=True)
    root = (resource.categories[0].code if resource.categories else "").split("-")[0]
    name, pattern, tone = BRANCHES.get(root, ("求学演示视频", "testsrc2", 440))
    return Clip(f"branch-{root or 'other'}", f"{name} · 演示视频", seconds, pattern=pattern, tone_hz=tone,
                size="320x180" if testing else "426x240")


def ready_clips(session: Session, lessons_to_fill: list[Lesson], *, short_full_length: bool = False) -> int:
    """Playable media for each given video lesson, before its resource is published (nothing unplayable is).
    Each distinct clip is made and transcoded once, here; every other lesson using it gets its own ready asset
    sharing that output (media.dedup). Lessons take the length of what they play."""
    if not lessons_to_fill:
        return 0
    settings = MediaSettings.of(current_app)
    testing = bool(current_app.config.get("TESTING"))
    work = settings.local.work_dir("demo-ready")
    started = time.monotonic()
    made: dict[str, tuple[str, str, MediaAsset | None]] = {}  # clip key -> (stored key, digest, original)
    try:
        for index, lesson in enumerate(lessons_to_fill):
            clip = clip_for(lesson, testing, short_full_length)
            if clip.key not in made:
                path = make_clip(work / f"clip-{index}.{'m4a' if clip.audio_only else 'mp4'}", clip.title,
                                 seconds=clip.seconds, pattern=clip.pattern, tone_hz=clip.tone_hz, size=clip.size,
                                 rate=10, audio_only=clip.audio_only)
                made[clip.key] = (path.relative_to(settings.local.root).as_posix(), dedup.sha256_of(path), None)
            key, digest, original = made[clip.key]
            duration_s = (ffmpeg.probe(settings.local.path(key)).duration_s if original is None
                          else original.duration_s)
            asset = MediaAsset(org_id=lesson.resource.provider_id,
                               title=f"{clip.title}.{'m4a' if clip.audio_only else 'mp4'}",
                               status=AssetStatus.queued, has_video=not clip.audio_only, has_audio=True,
                               duration_s=duration_s)
            session.add(asset)
            session.flush()
            service.take_in(session, settings, asset, key, "m4a" if clip.audio_only else "mp4", digest=digest,
                            site_made=True)
            if original is None:
                run_here(session, settings, asset)  # the later lessons of this clip find it ready and share it
                made[clip.key] = (key, digest, asset)
            lessons.link(session, lesson, asset)
    except (OSError, subprocess.CalledProcessError, ffmpeg.ProbeError, ffmpeg.FfmpegError, Invalid):
        log.warning("demo media incomplete: ffmpeg could not make the demo clips", exc_info=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    session.flush()
    log.info("demo media: %s clips made and transcoded once each for %s lessons in %.1f s", len(made),
             len(lessons_to_fill), time.monotonic() - started)
    return sum(1 for lesson in lessons_to_fill if lesson.media_asset_id is not None)


def _free_video_lessons(session: Session, limit: int) -> list[Lesson]:
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
        work = settings.local.work_dir("demo")
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
        service.take_in(session, settings, asset, clip.relative_to(settings.local.root).as_posix(), "mov")
        shutil.rmtree(work, ignore_errors=True)
        lessons.link(session, lesson, asset)
    if transcode_now and targets:
        session.commit()
        Worker(current_app._get_current_object(), periodic=False).run_until_idle()  # type: ignore[attr-defined]
    return {"demo clips": len(targets)}
