"""The phone-friendly HLS ladder: which renditions a source gets, the one ffmpeg command that makes them
all (built with ffmpeg-python), and the master playlist. No Flask here.

One ffmpeg process decodes the source once and feeds every output: H.264/AAC HLS at 240p, 360p and 720p
(never above the source), a 48 kb/s audio-only HLS rendition (the data saver), a 360p MP4 for offline
viewing (the 360p encode is shared with its HLS rendition through the tee muxer, so it costs nothing
extra), a poster JPEG and a small WebP thumbnail. Keyframes are forced every 6 s in every rendition and
scene-cut keyframes are off, so segment boundaries line up across the ladder and players can switch
between renditions at any segment. `-map_metadata -1` drops the source's tags (GPS position, device,
names) from every output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from media.ffmpeg import Probe, ffmpeg_exe, has_encoder

SEGMENT_S = 6
AUDIO_ONLY_KBPS = 48
POSTER_MAX_SIDE = 720  # short side of the poster, like the top rung
THUMB_WIDTH = 320
MAX_FPS = 30

# Demuxers accepted for uploads: common camera, phone, screen-recorder and audio formats. Anything else
# (playlists such as HLS or concat that make ffmpeg open other files, raw streams, images) is refused.
ACCEPTED_FORMATS = {"mov", "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "asf", "mp3", "wav", "ogg", "aac",
                    "flac", "amr", "3gp", "mp4", "m4a", "dv", "mxf", "wv"}


@dataclass(frozen=True)
class Rung:
    kind: str            # rendition kind stored in the database, e.g. "hls_360"
    height: int          # short side of the picture (portrait videos are scaled on their width)
    video_kbps: int
    maxrate_kbps: int
    audio_kbps: int
    width: int = 0       # filled in by plan() from the source's aspect ratio
    out_height: int = 0

    @property
    def total_kbps(self) -> int:
        return self.video_kbps + self.audio_kbps


LADDER = (
    Rung("hls_240", 240, 250, 300, 48),     # ~300 kb/s: the 省流量 choice
    Rung("hls_360", 360, 536, 620, 64),     # ~600 kb/s, also the offline MP4
    Rung("hls_720", 720, 1700, 2000, 96),   # ~1.8 Mb/s
)


@dataclass(frozen=True)
class Plan:
    """What one source becomes. `mp4_from` names the rung whose encode the offline MP4 shares."""

    rungs: tuple[Rung, ...]
    audio_only: bool
    mp4_from: str | None
    poster_at_s: float | None
    portrait: bool = False
    fps_cap: bool = False
    fps: float = 0.0
    webp: bool = True


def format_accepted(format_name: str) -> bool:
    return any(name in ACCEPTED_FORMATS for name in format_name.split(","))


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def plan(source: Probe) -> Plan:
    """The renditions for `source`: every rung up to its short side (at least one), audio when it has audio."""
    rungs: list[Rung] = []
    portrait = False
    if source.has_video and source.width and source.height:
        short, long_ = min(source.width, source.height), max(source.width, source.height)
        portrait = source.height > source.width
        fitting = [r for r in LADDER if r.height <= short] or [replace(LADDER[0], height=_even(short))]
        for rung in fitting:
            other = _even(long_ * rung.height / short)
            width, height = (rung.height, other) if portrait else (other, rung.height)
            rungs.append(replace(rung, width=width, out_height=height))
    mp4 = next((r.kind for r in reversed(rungs) if r.height <= 360), None)
    duration = source.duration_s or 0
    poster_at = min(duration * 0.1, 5.0) if rungs else None
    return Plan(rungs=tuple(rungs), audio_only=source.has_audio, mp4_from=mp4, poster_at_s=poster_at,
                portrait=portrait, fps_cap=source.fps > MAX_FPS + 0.5, fps=min(source.fps or 25.0, MAX_FPS),
                webp=has_encoder("libwebp"))


def _hls_options(folder: str) -> dict[str, object]:
    return {"hls_time": SEGMENT_S, "hls_playlist_type": "vod", "hls_flags": "independent_segments",
            "hls_segment_type": "mpegts", "hls_segment_filename": f"{folder}/seg_%05d.ts"}


def _video_options(rung: Rung, plan_: Plan, preset: str, threads: int) -> dict[str, object]:
    gop = max(1, round(plan_.fps * SEGMENT_S))
    options: dict[str, object] = {
        "c:v": "libx264", "preset": preset, "profile:v": "main", "pix_fmt": "yuv420p",
        "b:v": f"{rung.video_kbps}k", "maxrate": f"{rung.maxrate_kbps}k", "bufsize": f"{2 * rung.maxrate_kbps}k",
        "g": gop, "keyint_min": gop, "sc_threshold": 0, "force_key_frames": f"expr:gte(t,n_forced*{SEGMENT_S})",
        "map_metadata": -1, "map_chapters": -1,
    }
    if threads:
        options["threads"] = threads
    return options


def _audio_options(kbps: int) -> dict[str, object]:
    return {"c:a": "aac", "b:a": f"{kbps}k", "ac": 1 if kbps <= AUDIO_ONLY_KBPS else 2, "ar": 44100}


def command(source: str | Path, probe_: Probe, plan_: Plan, *, preset: str = "veryfast",
            threads: int = 0, max_duration_s: float | None = None) -> list[str]:
    """The whole ffmpeg command line. Output paths are relative: run it with the output folder as cwd.
    `max_duration_s`: read no further into the source (`-t` on the input). The duration limit was judged on what
    the container claims, which a file may understate (Matroska saying 2 s, holding hours); this costs nothing."""
    fmt = next((n for n in probe_.format_name.split(",") if n in ACCEPTED_FORMATS), None)
    input_options: dict[str, object] = {"protocol_whitelist": "file"}
    if fmt:
        input_options["f"] = fmt  # read it as the format validation accepted, never re-probed as something else
    if max_duration_s:
        input_options["t"] = max_duration_s
    source_node = ffmpeg_python.input(str(source), **input_options)
    audio = source_node.audio if probe_.has_audio else None
    outputs = []
    video = source_node.video
    if plan_.rungs:
        if plan_.fps_cap:
            video = video.filter("fps", MAX_FPS)
        branches = video.split()
        for index, rung in enumerate(plan_.rungs):
            scaled = branches[index].filter("scale", rung.width, rung.out_height).filter("setsar", 1)
            streams = [scaled] + ([audio] if audio is not None else [])
            options = {**_video_options(rung, plan_, preset, threads),
                       **(_audio_options(rung.audio_kbps) if audio is not None else {})}
            outputs.append(_rung_output(streams, rung, plan_, options))
        if plan_.poster_at_s is not None:
            outputs.extend(_stills(branches[len(plan_.rungs)], plan_))
    if plan_.audio_only and audio is not None:
        outputs.append(ffmpeg_python.output(audio, "audio/index.m3u8", vn=None, format="hls", map_metadata=-1,
                                            **_audio_options(AUDIO_ONLY_KBPS), **_hls_options("audio")))
    args = ffmpeg_python.merge_outputs(*outputs).compile(cmd=ffmpeg_exe())
    return [args[0], "-hide_banner", "-y", "-loglevel", "error", *args[1:]]


def _rung_output(streams: list[Any], rung: Rung, plan_: Plan, options: dict[str, object]) -> Any:  # ffmpeg nodes
    if rung.kind != plan_.mp4_from:
        return ffmpeg_python.output(*streams, f"{rung.kind}/index.m3u8", format="hls", **options,
                                    **_hls_options(rung.kind))
    # Same encode, two files: the HLS rendition and the offline MP4 (moov first, so it plays while downloading).
    hls = ":".join(f"{k}={v}" for k, v in _hls_options(rung.kind).items())
    tee = f"[f=hls:{hls}]{rung.kind}/index.m3u8|[f=mp4:movflags=+faststart]mp4_360.mp4"
    return ffmpeg_python.output(*streams, tee, format="tee", flags="+global_header", **options)


def _stills(branch: Any, plan_: Plan) -> list[Any]:  # ffmpeg-python has no types: its graph nodes are Any
    picked = branch.filter("select", f"gte(t,{plan_.poster_at_s:.3f})").split()
    side = min(POSTER_MAX_SIDE, max(r.height for r in plan_.rungs))
    poster_scale = (side, -2) if plan_.portrait else (-2, side)
    outputs = [ffmpeg_python.output(picked[0].filter("scale", *poster_scale), "poster.jpg", vframes=1, update=1,
                                    **{"q:v": 3}, map_metadata=-1)]
    if plan_.webp:
        outputs.append(ffmpeg_python.output(picked[1].filter("scale", THUMB_WIDTH, -2), "thumb.webp", vframes=1,
                                            **{"c:v": "libwebp", "quality": 70}, map_metadata=-1))
    return outputs


def master_playlist(plan_: Plan, measured_bps: dict[str, int]) -> str:
    """The master playlist: every video rung (BANDWIDTH = peak, AVERAGE-BANDWIDTH = measured), then audio only."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in plan_.rungs:
        average = measured_bps.get(rung.kind) or rung.total_kbps * 1000
        peak = max(average, (rung.maxrate_kbps + rung.audio_kbps) * 1000)
        codecs = "avc1.4d401f" + (",mp4a.40.2" if plan_.audio_only else "")
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},"
                  f"RESOLUTION={rung.width}x{rung.out_height},FRAME-RATE={plan_.fps:.3f},CODECS=\"{codecs}\"",
                  f"{rung.kind}/index.m3u8"]
    if plan_.audio_only:
        average = measured_bps.get("audio") or AUDIO_ONLY_KBPS * 1000
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={max(average, AUDIO_ONLY_KBPS * 1100)},AVERAGE-BANDWIDTH={average},"
                  f"CODECS=\"mp4a.40.2\"", "audio/index.m3u8"]
    return "\n".join(lines) + "\n"
