"""The ffmpeg wrapper and the ladder with the real ffmpeg: probing with and without ffprobe (the
imageio-ffmpeg wheel ships none), progress, cancelling, and the whole ladder from one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from media import ffmpeg, ladder
from media.ffmpeg import Probe
from media.transcode import transcode


def ffprobe_json(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def no_ffprobe_wheel_ffmpeg(monkeypatch):
    """As after `pip install` on a machine without ffmpeg: the wheel's binary, and no ffprobe anywhere."""
    pytest.importorskip("imageio_ffmpeg")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **kw: None)
    for cached in (ffmpeg.ffmpeg_exe, ffmpeg.ffprobe_exe, ffmpeg.has_encoder, ffmpeg.has_filter):
        cached.cache_clear()
    yield
    for cached in (ffmpeg.ffmpeg_exe, ffmpeg.ffprobe_exe, ffmpeg.has_encoder, ffmpeg.has_filter):
        cached.cache_clear()


@pytest.mark.parametrize("use_ffprobe", [True, False], ids=["ffprobe", "ffmpeg-i"])
def test_probe_reads_video_and_audio(clips, use_ffprobe):
    if use_ffprobe and ffmpeg.ffprobe_exe() is None:
        pytest.skip("no ffprobe on this machine")
    found = ffmpeg.probe(clips["hd"], use_ffprobe=use_ffprobe)
    assert (found.has_video, found.has_audio, found.width, found.height) == (True, True, 1280, 720)
    assert found.duration_s == pytest.approx(7.0, abs=0.1) and found.fps == pytest.approx(10)
    assert "mov" in found.format_name and found.video_codec == "h264" and found.audio_codec == "aac"
    audio = ffmpeg.probe(clips["audio"], use_ffprobe=use_ffprobe)
    assert (audio.has_video, audio.has_audio, audio.width) == (False, True, 0)


@pytest.mark.parametrize("use_ffprobe", [True, False], ids=["ffprobe", "ffmpeg-i"])
def test_probe_refuses_text_and_sees_rotation(clips, tmp_path, use_ffprobe):
    if use_ffprobe and ffmpeg.ffprobe_exe() is None:
        pytest.skip("no ffprobe on this machine")
    fake = tmp_path / "notes.mp4"
    fake.write_text("这不是视频，只是一段文字。\n" * 20, encoding="utf-8")
    with pytest.raises(ffmpeg.ProbeError):
        ffmpeg.probe(fake, use_ffprobe=use_ffprobe)
    rotated = tmp_path / "phone.mp4"
    subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-y", "-i", str(clips["small"]), "-c", "copy",
                    "-metadata:s:v", "rotate=90", str(rotated)], check=True)
    found = ffmpeg.probe(rotated, use_ffprobe=use_ffprobe)
    assert (found.width, found.height) == (360, 640)  # as the phone shows it: portrait


def test_without_ffprobe_the_wheel_ffmpeg_probes_and_transcodes(clips, tmp_path, no_ffprobe_wheel_ffmpeg):
    assert ffmpeg.ffprobe_exe() is None and "imageio_ffmpeg" in ffmpeg.ffmpeg_exe()
    found = ffmpeg.probe(clips["small"])
    assert (found.width, found.height, found.has_audio) == (640, 360, True)
    assert found.duration_s == pytest.approx(3.0, abs=0.1)
    result = transcode(clips["small"], tmp_path, found)
    assert {o.kind for o in result.outputs} >= {"hls_240", "hls_360", "audio", "mp4_360", "poster"}


def test_plan_never_goes_above_the_source_and_handles_portrait_and_audio():
    def kinds(probe):
        return [r.kind for r in ladder.plan(probe).rungs]

    assert kinds(Probe("mov", 60, True, True, 1920, 1080, 30)) == ["hls_240", "hls_360", "hls_720"]
    assert kinds(Probe("mov", 60, True, True, 854, 480, 30)) == ["hls_240", "hls_360"]
    tiny = ladder.plan(Probe("mov", 60, True, True, 320, 180, 30)).rungs
    assert [(r.kind, r.width, r.out_height) for r in tiny] == [("hls_240", 320, 180)]  # no upscaling
    portrait = ladder.plan(Probe("mov", 60, True, True, 1080, 1920, 30))
    assert [(r.width, r.out_height) for r in portrait.rungs] == [(240, 426), (360, 640), (720, 1280)]
    audio_only = ladder.plan(Probe("mp3", 60, False, True))
    assert audio_only.rungs == () and audio_only.audio_only and audio_only.mp4_from is None
    assert ladder.plan(Probe("mov", 60, True, True, 3840, 2160, 60)).fps_cap


def test_progress_is_reported_and_cancel_kills_ffmpeg(clips, tmp_path):
    found = ffmpeg.probe(clips["long"])
    seen: list[float] = []
    stop = threading.Event()

    def on_progress(percent):
        seen.append(percent)
        if percent > 0:
            stop.set()  # cancel as soon as ffmpeg has made some progress

    args = ladder.command(clips["long"], found, ladder.plan(found), preset="medium", threads=1)
    for rung in ladder.plan(found).rungs:
        (tmp_path / rung.kind).mkdir()
    (tmp_path / "audio").mkdir()
    with pytest.raises(ffmpeg.FfmpegCancelled):
        ffmpeg.run(args, cwd=tmp_path, duration_s=found.duration_s, on_progress=on_progress,
                   should_stop=stop.is_set, poll_s=0.05)
    assert seen and 0 < max(seen) < 100
    assert ffmpeg_children() == []


def ffmpeg_children() -> list[int]:
    """ffmpeg processes whose parent is this test process (alive or not yet reaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            name, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and name.startswith("ffmpeg"):
            found.append(int(stat.parent.name))
    return found


def test_a_failing_ffmpeg_raises_with_its_message(tmp_path):
    with pytest.raises(ffmpeg.FfmpegError) as caught:
        ffmpeg.run([ffmpeg.ffmpeg_exe(), "-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.mp4")])
    assert "missing.mp4" in str(caught.value)
