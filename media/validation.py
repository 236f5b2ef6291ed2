"""Is an uploaded file a lecture we can transcode? Judged by its content (probe and a short decode), never by
its name or the type the browser claimed. Each refusal has a stable code and a message for people."""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _

from app.errors import Invalid
from media import ffmpeg, ladder
from media.ffmpeg import Probe

# 8K UHD. Larger frames are not lectures; decoding and scaling them would exhaust a small server's memory.
MAX_FRAME_PIXELS = 7680 * 4320


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def check_media(path: Path, *, max_duration_s: int, use_ffprobe: bool | None = None, decode: bool = True) -> Probe:
    """Probe `path` and return what it holds, or raise Invalid with one of the media_* codes. `decode=False`
    skips the trial decode (the transcode job: its ffmpeg run fails on undecodable input anyway)."""
    if not path.exists() or path.stat().st_size == 0:
        raise Invalid(_("文件是空的，请重新选择视频。"), code="media_empty")
    not_media = Invalid(_("无法识别这个文件。请上传常见格式的视频或音频，例如 MP4、MOV、MKV、MP3、M4A。"),
                        code="media_not_recognised")
    try:
        found = ffmpeg.probe(path, use_ffprobe=use_ffprobe)
    except ffmpeg.ProbeError as err:
        raise not_media from err
    if found.is_still_image or not (found.has_video or found.has_audio) or not ladder.format_accepted(
            found.format_name):
        raise not_media
    if not found.duration_s or found.duration_s <= 0 or (found.has_video and not found.width):
        raise Invalid(_("文件已损坏或编码无法读取，请换一个文件。"), code="media_undecodable")
    if found.has_video and found.width * found.height > MAX_FRAME_PIXELS:
        raise Invalid(_("画面尺寸 %(width)d×%(height)d 太大，请导出为 4K 或更小的视频再上传。",
                        width=found.width, height=found.height), code="media_frame_too_large")
    if found.duration_s > max_duration_s:
        raise Invalid(_("时长 %(duration)s 超过了上限 %(limit)s，请剪短或分成几段上传。",
                        duration=clock(found.duration_s), limit=clock(max_duration_s)), code="media_too_long")
    if decode and not ffmpeg.decodes(path):
        raise Invalid(_("文件已损坏或编码无法读取，请换一个文件。"), code="media_undecodable")
    return found
