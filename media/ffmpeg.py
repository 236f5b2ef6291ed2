"""A thin wrapper around the ffmpeg and ffprobe programs. No Flask here: the bench and the tests call it
directly, and the jobs call it from `media.transcode`.

ffmpeg comes from PATH when there is one, otherwise from the imageio-ffmpeg wheel (which ships a static
ffmpeg with libx264 and AAC but no ffprobe), so `pip install` alone is enough. Probing therefore works
without ffprobe too, by reading what `ffmpeg -i` prints.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Formats that ffmpeg reads as "video" but that are still pictures, not lectures.
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "svg_pipe", "gif_pipe"}


class FfmpegError(RuntimeError):
    """ffmpeg exited with an error; `stderr` holds the end of what it printed."""

    def __init__(self, message: str, returncode: int | None = None, stderr: str = ""):
        super().__init__(message + (f": {stderr.strip()[-800:]}" if stderr.strip() else ""))
        self.returncode = returncode
        self.stderr = stderr


class FfmpegCancelled(RuntimeError):
    """`should_stop` said stop: ffmpeg was killed."""


@functools.cache
def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg  # only without ffmpeg on PATH: the wheel's static build (libx264 and AAC included)

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def ffprobe_exe() -> str | None:
    return shutil.which("ffprobe")


@functools.cache
def has_encoder(name: str) -> bool:
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=False)
    return re.search(rf"^\s*\S+\s+{re.escape(name)}\s", out.stdout, re.MULTILINE) is not None


@functools.cache
def has_filter(name: str) -> bool:
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-filters"], capture_output=True, text=True, check=False)
    return re.search(rf"^\s*\S+\s+{re.escape(name)}\s", out.stdout, re.MULTILINE) is not None


# -- probing ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """What a file holds, as far as the transcoder cares. Width and height are as displayed (rotation applied)."""

    format_name: str
    duration_s: float | None
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""

    @property
    def is_still_image(self) -> bool:
        return self.format_name in IMAGE_FORMATS or (self.has_video and not self.has_audio and
                                                     self.format_name.endswith("_pipe"))


class ProbeError(RuntimeError):
    """The file is not something ffmpeg can read as media."""


def probe(path: str | Path, *, use_ffprobe: bool | None = None) -> Probe:
    """Describe `path` with ffprobe when it is installed (or `use_ffprobe=True`), else with `ffmpeg -i`."""
    if use_ffprobe is None:
        use_ffprobe = ffprobe_exe() is not None
    return _probe_ffprobe(Path(path)) if use_ffprobe else _probe_ffmpeg(Path(path))


def _probe_ffprobe(path: Path) -> Probe:
    exe = ffprobe_exe()
    if exe is None:
        raise FileNotFoundError("ffprobe is not installed")
    out = subprocess.run([exe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=False, timeout=120)
    if out.returncode != 0:
        raise ProbeError(out.stderr.strip()[-500:] or "ffprobe failed")
    data = json.loads(out.stdout or "{}")
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    width, height, fps, rotation = 0, 0, 0.0, 0
    if video is not None:
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        fps = _ratio(video.get("avg_frame_rate")) or _ratio(video.get("r_frame_rate"))
        rotation = int(float((video.get("tags") or {}).get("rotate") or 0))
        for side in video.get("side_data_list") or []:
            rotation = int(float(side.get("rotation", rotation) or 0))
    if abs(rotation) % 180 == 90:
        width, height = height, width
    duration = _float(fmt.get("duration")) or _float((video or audio or {}).get("duration"))
    return Probe(format_name=str(fmt.get("format_name") or ""), duration_s=duration, has_video=video is not None,
                 has_audio=audio is not None, width=width, height=height, fps=fps,
                 video_codec=str((video or {}).get("codec_name") or ""),
                 audio_codec=str((audio or {}).get("codec_name") or ""))


_INPUT_RE = re.compile(r"^Input #0, (?P<format>[^,]+(?:,[^ ,]+)*), from", re.MULTILINE)
_DURATION_RE = re.compile(r"Duration: (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)")
_STREAM_RE = re.compile(r"^\s*Stream #0:\d+\S*: (?P<type>Video|Audio): (?P<codec>\w+)(?P<rest>.*)$", re.MULTILINE)
_SIZE_RE = re.compile(r", (?P<w>\d{2,5})x(?P<h>\d{2,5})[ ,]")
_FPS_RE = re.compile(r", (?P<fps>\d+(?:\.\d+)?) (?:fps|tbr)")
_ROTATION_RE = re.compile(r"(?:rotation of|rotate\s*:)\s*(?P<deg>-?\d+(?:\.\d+)?)")


def _probe_ffmpeg(path: Path) -> Probe:
    """Parse `ffmpeg -i` (it exits 1 for lack of an output; what matters is what it printed)."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                         capture_output=True, text=True, check=False, timeout=120, errors="replace")
    text = out.stderr
    header = _INPUT_RE.search(text)
    if header is None:
        raise ProbeError(text.strip().splitlines()[-1] if text.strip() else "ffmpeg could not read the file")
    duration = None
    if match := _DURATION_RE.search(text):
        duration = int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])
    video = audio = None
    for stream in _STREAM_RE.finditer(text):
        if stream["type"] == "Video" and video is None and "(attached pic)" not in stream["rest"]:
            video = stream
        elif stream["type"] == "Audio" and audio is None:
            audio = stream
    width = height = 0
    fps = 0.0
    if video is not None:
        if size := _SIZE_RE.search(video["rest"] + " "):
            width, height = int(size["w"]), int(size["h"])
        if rate := _FPS_RE.search(video["rest"]):
            fps = float(rate["fps"])
        tail = text[video.end():]
        next_stream = _STREAM_RE.search(tail)
        if (turn := _ROTATION_RE.search(tail[: next_stream.start() if next_stream else None])) and \
                abs(round(float(turn["deg"]))) % 180 == 90:
            width, height = height, width
    return Probe(format_name=header["format"], duration_s=duration, has_video=video is not None,
                 has_audio=audio is not None, width=width, height=height, fps=fps,
                 video_codec=video["codec"] if video else "", audio_codec=audio["codec"] if audio else "")


def _ratio(text: str | None) -> float:
    if not text or text in {"0/0", "N/A"}:
        return 0.0
    num, _sep, den = text.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _float(value: object) -> float | None:
    try:
        return float(value) if value not in (None, "N/A", "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def decodes(path: str | Path, seconds: float = 3.0) -> bool:
    """Decode the first few seconds: a file whose header probes fine may still hold no readable frames."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-t", str(seconds),
                          "-i", str(path), "-f", "null", "-"], capture_output=True, text=True, check=False,
                         timeout=300, errors="replace")
    return out.returncode == 0


# -- running ----------------------------------------------------------------------------------------------------

def run(args: Sequence[str], *, cwd: str | Path | None = None, duration_s: float | None = None,
        on_progress: Callable[[float], None] | None = None, should_stop: Callable[[], bool] | None = None,
        poll_s: float = 0.2) -> None:
    """Run ffmpeg with `-progress pipe:1 -nostats`, report percent done, kill it when `should_stop()` says so.

    `args` is the whole command line (ffmpeg first). Raises FfmpegCancelled or FfmpegError.
    """
    args = list(args)
    if "-progress" not in args:
        args[1:1] = ["-progress", "pipe:1", "-nostats", "-nostdin"]
    stderr_tail: deque[str] = deque(maxlen=60)
    stopped = threading.Event()
    with subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          text=True, errors="replace", bufsize=1) as proc:
        readers = [threading.Thread(target=stderr_tail.extend, args=(proc.stderr,), daemon=True)]
        if should_stop is not None:
            readers.append(threading.Thread(target=_watch, args=(proc, should_stop, stopped, poll_s), daemon=True))
        for thread in readers:
            thread.start()
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                key, _sep, value = line.strip().partition("=")
                if key == "out_time_us" and on_progress and duration_s and value.lstrip("-").isdigit():
                    on_progress(max(0.0, min(100.0, int(value) / 1e6 / duration_s * 100)))
        except BaseException:
            proc.kill()  # never leave ffmpeg running behind a failed caller
            raise
        returncode = proc.wait()
        for thread in readers:
            thread.join()
    if stopped.is_set():
        raise FfmpegCancelled("ffmpeg stopped on request")
    if returncode != 0:
        raise FfmpegError(f"ffmpeg exited with {returncode}", returncode, "".join(stderr_tail))
    if on_progress:
        on_progress(100.0)


def _watch(proc: subprocess.Popen[bytes], should_stop: Callable[[], bool], stopped: threading.Event,
           poll_s: float) -> None:
    while proc.poll() is None:
        if should_stop():
            stopped.set()
            proc.kill()
            return
        time.sleep(poll_s)
