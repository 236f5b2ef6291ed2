"""The whole ladder from a 720p clip in one ffmpeg run, every rendition probed as a player would see it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from media import ffmpeg
from media.transcode import transcode
from tests.media.test_ffmpeg import ffprobe_json

pytestmark = pytest.mark.skipif(ffmpeg.ffprobe_exe() is None, reason="these checks read outputs with ffprobe")


@pytest.fixture(scope="module")
def ladder_out(clips, tmp_path_factory):
    work = tmp_path_factory.mktemp("ladder")
    probe = ffmpeg.probe(clips["hd"])
    percents: list[float] = []
    result = transcode(clips["hd"], work, probe, on_progress=percents.append)
    return work, result, percents


def _streams(path: Path) -> dict[str, dict]:
    return {s["codec_type"]: s for s in ffprobe_json(path)["streams"]}


@pytest.mark.parametrize(("kind", "height", "max_kbps"), [("hls_240", 240, 420), ("hls_360", 360, 800),
                                                          ("hls_720", 720, 2400)])
def test_each_video_rendition_is_h264_aac_at_its_height(ladder_out, kind, height, max_kbps):
    work, result, _ = ladder_out
    segments = sorted((work / kind).glob("seg_*.ts"))
    assert segments, f"no segments for {kind}"
    streams = _streams(work / kind / "index.m3u8")
    assert streams["video"]["codec_name"] == "h264" and streams["video"]["height"] == height
    assert streams["video"]["pix_fmt"] == "yuv420p" and streams["audio"]["codec_name"] == "aac"
    output = next(o for o in result.outputs if o.kind == kind)
    assert output.size_bytes == sum(p.stat().st_size for p in segments)
    assert 0 < output.bitrate / 1000 < max_kbps  # measured, TS overhead included


def test_the_audio_only_rendition_has_no_video_stream_and_is_small(ladder_out):
    work, result, _ = ladder_out
    streams = _streams(work / "audio" / "index.m3u8")
    assert set(streams) == {"audio"} and streams["audio"]["codec_name"] == "aac"
    audio = next(o for o in result.outputs if o.kind == "audio")
    low = next(o for o in result.outputs if o.kind == "hls_240")
    assert audio.bitrate < 70_000 and audio.size_bytes * 3 < low.size_bytes


def test_segments_are_six_seconds_and_aligned_across_the_ladder(ladder_out):
    work, _result, _ = ladder_out
    durations = {}
    for kind in ("hls_240", "hls_360", "hls_720"):
        text = (work / kind / "index.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-ENDLIST" in text
        durations[kind] = re.findall(r"#EXTINF:([\d.]+)", text)
    assert len(set(map(tuple, durations.values()))) == 1, durations
    assert [round(float(d)) for d in durations["hls_240"]] == [6, 1]  # 7 s: one full segment and the rest


def test_master_playlist_lists_every_rendition_with_bandwidth_and_resolution(ladder_out):
    work, _result, _ = ladder_out
    master = (work / "master.m3u8").read_text()
    assert master.startswith("#EXTM3U")
    for line in ("hls_240/index.m3u8", "hls_360/index.m3u8", "hls_720/index.m3u8", "audio/index.m3u8"):
        assert line in master
    assert "RESOLUTION=426x240" in master and "RESOLUTION=1280x720" in master
    audio_entry = master.split("audio/index.m3u8")[0].rsplit("#EXT-X-STREAM-INF:", 1)[1]
    assert "RESOLUTION" not in audio_entry and 'CODECS="mp4a.40.2"' in audio_entry
    playable = ffmpeg.probe(work / "master.m3u8")
    assert playable.has_video and playable.has_audio


def test_offline_mp4_is_360p_faststart_and_source_tags_are_gone(ladder_out, clips):
    work, _result, _ = ladder_out
    source_tags = ffprobe_json(clips["hd"])["format"]["tags"]
    assert "location" in source_tags and source_tags["title"] == "secret title"
    mp4 = work / "mp4_360.mp4"
    data = mp4.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # plays while it downloads
    info = ffprobe_json(mp4)
    assert {s["codec_type"]: s["height"] if s["codec_type"] == "video" else 0 for s in info["streams"]} == \
        {"video": 360, "audio": 0}
    tags = {k.lower() for k in info["format"].get("tags", {})}
    assert not tags & {"location", "location-eng", "title", "com.apple.quicktime.location.iso6709"}
    assert b"+30.2741+120.1551" not in data and b"secret title" not in data
    for segment in (work / "hls_720").glob("seg_*.ts"):
        assert b"secret title" not in segment.read_bytes()


def test_poster_and_thumbnail(ladder_out):
    work, _result, _ = ladder_out
    poster = _streams(work / "poster.jpg")["video"]
    thumb = _streams(work / "thumb.webp")["video"]
    assert (poster["codec_name"], poster["height"]) == ("mjpeg", 720)
    assert (thumb["codec_name"], thumb["width"]) == ("webp", 320)


def test_progress_climbs_to_one_hundred(ladder_out):
    _work, _result, percents = ladder_out
    assert percents[-1] == 100.0 and percents == sorted(percents)
