"""One source in, the whole ladder out, into a work folder: run the ladder's single ffmpeg command,
check every expected file is there, write the master playlist and measure each rendition. No Flask and
no database: the job (media.tasks) moves the folder into storage and records the result, and the bench
times this against the bare ffmpeg command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from media import ffmpeg, ladder
from media.ffmpeg import Probe


@dataclass(frozen=True)
class Output:
    kind: str          # hls_240, hls_360, hls_720, audio, mp4_360, poster, thumb
    path: str          # relative to the work folder: "hls_360/index.m3u8", "poster.jpg", ...
    size_bytes: int    # all bytes a viewer downloads for it (every segment of an HLS rendition)
    bitrate: int       # measured average bits per second (0 for pictures)
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Result:
    outputs: list[Output]
    master: str | None  # "master.m3u8", or None when the source had neither sound nor picture we could use
    command: list[str]
    duration_s: float = 0.0  # what the renditions play (their segments), not what the source's container claims


def transcode(source: Path, work: Path, probe: Probe, *, preset: str = "veryfast", threads: int = 0,
              on_progress: Callable[[float], None] | None = None,
              should_stop: Callable[[], bool] | None = None, max_duration_s: float | None = None) -> Result:
    """Write every rendition of `source`, up to `max_duration_s` of it, into the empty folder `work`.
    Raises ffmpeg.FfmpegError/FfmpegCancelled."""
    plan = ladder.plan(probe)
    args = ladder.command(source, probe, plan, preset=preset, threads=threads, max_duration_s=max_duration_s)
    for rung in plan.rungs:
        (work / rung.kind).mkdir(parents=True, exist_ok=True)
    if plan.audio_only:
        (work / "audio").mkdir(parents=True, exist_ok=True)
    ffmpeg.run(args, cwd=work, duration_s=probe.duration_s, on_progress=on_progress, should_stop=should_stop)
    if plan.rungs and not (work / "thumb.webp").exists() and (work / "poster.jpg").exists():
        _thumb_with_pillow(work)
    played = _played_s(work, plan) or probe.duration_s or 0
    outputs = _measure(work, plan, played)
    expected = {r.kind for r in plan.rungs} | ({"audio"} if plan.audio_only else set())
    missing = expected - {o.kind for o in outputs}
    if missing:
        raise ffmpeg.FfmpegError(f"ffmpeg made no output for {', '.join(sorted(missing))}")
    (work / "master.m3u8").write_text(ladder.master_playlist(plan, {o.kind: o.bitrate for o in outputs}))
    return Result(outputs=outputs, master="master.m3u8", command=args, duration_s=played)


def _played_s(work: Path, plan: ladder.Plan) -> float:
    """The longest HLS rendition's length: the sum of its segments' durations (#EXTINF) as ffmpeg wrote them."""
    folders = [r.kind for r in plan.rungs] + (["audio"] if plan.audio_only else [])
    return max((_playlist_s(work / folder / "index.m3u8") for folder in folders), default=0.0)


def _playlist_s(playlist: Path) -> float:
    if not playlist.exists():
        return 0.0
    total = 0.0
    for line in playlist.read_text(errors="replace").splitlines():
        if line.startswith("#EXTINF:"):
            try:
                total += float(line[len("#EXTINF:"):].split(",", 1)[0])
            except ValueError:
                continue
    return total


def _measure(work: Path, plan: ladder.Plan, duration_s: float) -> list[Output]:
    def bps(size: int) -> int:
        return int(size * 8 / duration_s) if duration_s else 0

    outputs: list[Output] = []
    for rung in plan.rungs:
        size = _playlist_bytes(work / rung.kind)
        if size:
            outputs.append(Output(rung.kind, f"{rung.kind}/index.m3u8", size, bps(size), rung.width, rung.out_height))
    if plan.audio_only and (size := _playlist_bytes(work / "audio")):
        outputs.append(Output("audio", "audio/index.m3u8", size, bps(size)))
    mp4 = work / "mp4_360.mp4"
    if plan.mp4_from and mp4.exists() and mp4.stat().st_size:
        rung = next(r for r in plan.rungs if r.kind == plan.mp4_from)
        size = mp4.stat().st_size
        outputs.append(Output("mp4_360", "mp4_360.mp4", size, bps(size), rung.width, rung.out_height))
    for kind, name in (("poster", "poster.jpg"), ("thumb", "thumb.webp")):
        if (work / name).exists() and (work / name).stat().st_size:
            outputs.append(Output(kind, name, (work / name).stat().st_size, 0))
    return outputs


def _playlist_bytes(folder: Path) -> int:
    if not (folder / "index.m3u8").exists():
        return 0
    return sum(p.stat().st_size for p in folder.glob("seg_*.ts"))


def _thumb_with_pillow(work: Path) -> None:
    """ffmpeg builds without libwebp: make the thumbnail from the poster instead."""
    # Pillow (~4 MB resident) only when an image is handled, not in every web process from its start
    from PIL import Image

    with Image.open(work / "poster.jpg") as poster:
        poster.thumbnail((ladder.THUMB_WIDTH, ladder.THUMB_WIDTH * 4))
        poster.save(work / "thumb.webp", "WEBP", quality=70)
