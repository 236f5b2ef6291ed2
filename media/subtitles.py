"""Subtitles: SRT or WebVTT in, WebVTT out (what browsers' <track> reads). Pure functions apart from the
translated messages."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from app.errors import Invalid

MAX_BYTES = 2 * 1024 * 1024
MAX_LANGUAGES = 8  # per video: made-up tags (en-a0, en-a1, ...) would each add a file; the quota counts them too
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
LABELS = {"zh-CN": "中文", "zh": "中文", "zh-Hans": "中文", "zh-TW": "中文（繁體）", "en": "English"}
_TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{1,3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{1,3}")
_TIME = re.compile(r"(\d{1,2}:)?(\d{1,2}):(\d{2})[,.](\d{1,3})")
_TAG = re.compile(r"<(?!/?(?:b|i|u)>)[^>]*>")  # keep <b>, <i>, <u>; drop SRT's <font ...> and anything else


def language(code: str) -> tuple[str, str]:
    """A BCP 47 code (primary tag lower case: "zh-CN", "en") and its menu label."""
    first, *rest = (code or "").strip().split("-")
    code = "-".join([first.lower(), *rest])
    if len(code) > 16 or not LANGUAGE_RE.match(code):  # the column's width; real tags are shorter
        raise Invalid(_("请选择字幕语言。"), code="subtitle_language_invalid", fields={"language": _("语言代码不对。")})
    return code, LABELS.get(code, code)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):  # Windows tools often save Chinese SRT as GBK
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-16" or text.count("-->"):
            return text
    raise Invalid(_("字幕文件的编码无法识别，请另存为 UTF-8 后再上传。"), code="subtitle_encoding")


def _stamp(match: re.Match[str]) -> str:
    hours = int((match.group(1) or "0:")[:-1])
    millis = match.group(4).ljust(3, "0")
    return f"{hours:02d}:{int(match.group(2)):02d}:{match.group(3)}.{millis}"


def to_webvtt(data: bytes) -> str:
    """Convert (or clean) a subtitle file; refuse files with no cue at all."""
    if not data or len(data) > MAX_BYTES:
        raise Invalid(_("字幕文件为空或超过 2 MB。"), code="subtitle_invalid")
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    cues: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if _TIMING.match(line)), None)
        if timing is None:
            continue  # the WEBVTT header, NOTE and STYLE blocks, or junk
        start, _arrow, rest = lines[timing].partition("-->")
        end, *settings = rest.split()
        stamp = f"{_TIME.sub(_stamp, start.strip())} --> {_TIME.sub(_stamp, end.strip())}"
        if settings and text.lstrip("\ufeff").startswith("WEBVTT"):
            stamp += " " + " ".join(settings)  # WebVTT cue settings (position, align) survive
        body = [_TAG.sub("", line) for line in lines[timing + 1:]]
        cues.append("\n".join([stamp, *body]))
    if not cues:
        raise Invalid(_("没有读到字幕内容，请上传 SRT 或 WebVTT 格式的字幕。"), code="subtitle_invalid")
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"
