"""Media benchmark: a 60 s 720p30 clip through our whole pipeline next to the same ffmpeg command line run
directly, and tus upload throughput next to a local file copy, all in one run on this machine.

    .venv/bin/python bench/media_pipeline.py [--seconds 60] [--repeat 2] [--write]

Pipeline = POST /api/v1/media (probe + decode check, asset row, job row) -> the job worker claims it ->
the single ffmpeg process with -progress parsing and heartbeats -> outputs checked and measured -> master
playlist -> the folder moved into place -> renditions recorded -> status "ready". Direct = the identical
ffmpeg arguments in a subprocess, nothing else. Also: the ladder as one ffmpeg process vs one process per
rendition. `--write` puts the table into bench/README.md under "## Media".
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from media import ffmpeg, ladder  # noqa: E402

PASSWORD = "bench-password-1"


def make_clip(path: Path, seconds: int) -> None:
    subprocess.run([ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(path)], check=True)


def prepare_dirs(work: Path, plan: ladder.Plan) -> None:
    for rung in plan.rungs:
        (work / rung.kind).mkdir(parents=True, exist_ok=True)
    if plan.audio_only:
        (work / "audio").mkdir(parents=True, exist_ok=True)


def direct(clip: Path, probe: ffmpeg.Probe, scratch: Path) -> float:
    """The ladder's exact ffmpeg command line, run bare."""
    plan = ladder.plan(probe)
    work = Path(tempfile.mkdtemp(dir=scratch))
    prepare_dirs(work, plan)
    args = ladder.command(clip, probe, plan)
    started = time.perf_counter()
    subprocess.run(args, cwd=work, check=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    shutil.rmtree(work)
    return elapsed


def separate_runs(clip: Path, probe: ffmpeg.Probe, scratch: Path) -> float:
    """The same outputs, one ffmpeg process per rendition (each decodes the source again)."""
    full = ladder.plan(probe)
    plans = [dataclasses.replace(full, rungs=(rung,), audio_only=False,
                                 mp4_from=full.mp4_from if rung.kind == full.mp4_from else None,
                                 poster_at_s=full.poster_at_s if rung is full.rungs[-1] else None)
             for rung in full.rungs]
    plans.append(dataclasses.replace(full, rungs=(), mp4_from=None, poster_at_s=None))
    work = Path(tempfile.mkdtemp(dir=scratch))
    prepare_dirs(work, full)
    started = time.perf_counter()
    for plan in plans:
        subprocess.run(ladder.command(clip, probe, plan), cwd=work, check=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    shutil.rmtree(work)
    return elapsed


class Site:
    """The real app on a loopback waitress server, with a logged-in institution staff member."""

    def __init__(self, data_dir: Path):
        import requests
        from waitress.server import create_server

        from app.accounts import organisations, service
        from app.accounts.models import OrgKind, Role
        from app.accounts.policy import SYSTEM

        self.app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "bench",
                               "MEDIA_WORKER": "external"})
        with self.app.app_context():
            db.create_all()
            organisations.seed_zhejiang(db.session)
            org = organisations.create_organisation(db.session, SYSTEM, parent_code="330100", code="INST-BENCH",
                                                    name="基准测试学院", kind=OrgKind.institution)
            service.create_user(db.session, SYSTEM, phone="13700000001", name="bench", role=Role.institution_staff,
                                org=org, password=PASSWORD)
            db.session.commit()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.server = create_server(self.app, host="127.0.0.1", port=port, threads=4)
        threading.Thread(target=self.server.run, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        page = self.http.get(f"{self.url}/auth/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        self.http.post(f"{self.url}/auth/login", data={"csrf_token": token, "phone": "13700000001",
                                                       "password": PASSWORD}, allow_redirects=False)
        html = self.http.get(f"{self.url}/media/upload").text
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)

    def upload(self, path: Path) -> tuple[str, float]:
        from tusclient import client as tus_client

        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        uploader = tus_client.TusClient(f"{self.url}/api/v1/uploads/", headers={"Cookie": cookie}).uploader(
            str(path), chunk_size=8 * 1024 * 1024, metadata={"filename": path.name})
        started = time.perf_counter()
        uploader.upload()
        return uploader.url, time.perf_counter() - started

    def pipeline(self, upload_url: str) -> float:
        from app.jobs import Worker

        started = time.perf_counter()
        created = self.http.post(f"{self.url}/api/v1/media", json={"upload_url": upload_url},
                                 headers={"X-CSRFToken": self.csrf})
        created.raise_for_status()
        Worker(self.app, poll_s=0.05, periodic=False).run_until_idle(timeout_s=3600)
        status = self.http.get(f"{self.url}/api/v1/media/{created.json()['id']}").json()
        elapsed = time.perf_counter() - started
        assert status["status"] == "ready", status
        return elapsed

    def close(self) -> None:
        self.server.close()


def copy_time(path: Path, scratch: Path) -> float:
    target = scratch / "copy.bin"
    started = time.perf_counter()
    shutil.copyfile(path, target)
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())  # the upload fsyncs what it received; so does the baseline
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write the table into bench/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qiuxue-media-bench-") as tmp:
        scratch = Path(tmp)
        clip = scratch / "lecture-720p30.mp4"
        make_clip(clip, args.seconds)
        probe = ffmpeg.probe(clip)
        site = Site(scratch / "data")
        size_mb = clip.stat().st_size / 1e6
        uploads, copies, direct_runs, ours, separate = [], [], [], [], []
        for _ in range(args.repeat):  # interleaved, so load from other work on the machine hits both alike
            copies.append(copy_time(clip, scratch))
            url, seconds = site.upload(clip)
            uploads.append(seconds)
            direct_runs.append(direct(clip, probe, scratch))
            ours.append(site.pipeline(url))
        separate.append(separate_runs(clip, probe, scratch))
        site.close()
    rows = report(args.seconds, size_mb, statistics.median(direct_runs), statistics.median(ours),
                  statistics.median(separate), statistics.median(copies), statistics.median(uploads), args.repeat)
    print("\n".join(rows))
    if args.write:
        write_readme(rows)


def report(seconds: int, size_mb: float, bare: float, ours: float, split: float, copy: float, upload: float,
           repeat: int) -> list[str]:
    overhead = (ours / bare - 1) * 100
    return [
        f"{seconds} s 1280x720 30 fps test clip ({size_mb:.1f} MB, H.264/AAC); ladder 240p/360p/720p + audio + "
        f"360p MP4 + poster + thumbnail, x264 veryfast; median of {repeat} interleaved runs. "
        "`.venv/bin/python bench/media_pipeline.py --write`",
        "",
        "| what | seconds | × realtime | ratio |",
        "| --- | --- | --- | --- |",
        f"| ffmpeg ladder command run directly (baseline) | {bare:.1f} | {seconds / bare:.2f} | 1.00 |",
        f"| our pipeline: API → job → ffmpeg with progress → checks → move → ready | {ours:.1f} | "
        f"{seconds / ours:.2f} | {ours / bare:.2f} |",
        f"| the same outputs from one ffmpeg process per rendition | {split:.1f} | {seconds / split:.2f} | "
        f"{split / bare:.2f} |",
        "",
        "| upload | MB | seconds | MB/s | ratio |",
        "| --- | --- | --- | --- | --- |",
        f"| local file copy + fsync (baseline) | {size_mb:.1f} | {copy:.2f} | {size_mb / copy:.0f} | 1.00 |",
        f"| tus upload with tuspy to waitress on 127.0.0.1, 8 MiB chunks | {size_mb:.1f} | {upload:.2f} | "
        f"{size_mb / upload:.0f} | {(size_mb / upload) / (size_mb / copy):.2f} |",
        "",
        f"Pipeline overhead over bare ffmpeg: {overhead:+.1f}% "
        f"(target ≤ 10%: {'met' if overhead <= 10 else 'NOT met'}).",
    ]


def write_readme(rows: list[str]) -> None:
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = "<!-- media:pipeline -->\n### Transcoding pipeline and uploads\n\n" + "\n".join(rows) + \
        "\n<!-- /media:pipeline -->\n"
    if "<!-- media:pipeline -->" in text:
        text = re.sub(r"<!-- media:pipeline -->.*?<!-- /media:pipeline -->\n", lambda _m: block, text, flags=re.S)
    elif "\n## Media\n" in text:
        text = text.replace("\n## Media\n", "\n## Media\n\n" + block, 1)
    else:
        text = text.rstrip("\n") + "\n\n## Media\n\n" + block
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
