"""Media fixtures: tiny clips made by the real ffmpeg once per session (2-4 s, small frames, so the suite
stays quick on two shared cores), the catalog menu, and helpers to upload through tus and run the worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.extensions import db as _db
from media import ffmpeg


def make_clip(path: Path, *, seconds: float = 3, size: str = "640x360", rate: int = 15, audio: bool = True,
              video: bool = True, extra: tuple[str, ...] = ()) -> Path:
    args = [ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac"]
    subprocess.run([*args, *extra, "-shortest", str(path)], check=True)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """hd: 7 s 720p with GPS and title tags (two segments); small: 3 s 360p; long: 10 s 360p (cancel, kill);
    audio: an m4a without picture."""
    folder = tmp_path_factory.mktemp("clips")
    gps = ("-metadata", "location=+30.2741+120.1551/", "-metadata", "title=secret title", "-movflags", "+faststart")
    return {
        "hd": make_clip(folder / "hd.mp4", seconds=7, size="1280x720", rate=10, extra=gps),
        "small": make_clip(folder / "small.mp4", seconds=3, size="640x360", rate=15),
        "long": make_clip(folder / "long.mp4", seconds=10, size="640x360", rate=25),
        "audio": make_clip(folder / "audio.m4a", seconds=3, video=False),
    }


@pytest.fixture(autouse=True)
def _seeded_menu(request):
    """The catalog's menu, so tests can make resources and lessons through the catalog's services."""
    if "app" in request.fixturenames:
        from catalog import categories

        app = request.getfixturevalue("app")
        with app.app_context():
            categories.seed_menu(_db.session)
            _db.session.commit()


def tus_upload(client, data: bytes, *, filename: str = "lecture.mp4", chunk: int = 64 * 1024, headers=None) -> str:
    """Upload through the tus endpoints with the Flask test client; returns the upload's URL."""
    import base64

    base = {"Tus-Resumable": "1.0.0", **(headers or {})}
    meta = "filename " + base64.b64encode(filename.encode()).decode()
    created = client.post("/api/v1/uploads/", headers={**base, "Upload-Length": str(len(data)),
                                                       "Upload-Metadata": meta})
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"]
    for start in range(0, len(data), chunk):
        response = client.patch(url, data=data[start:start + chunk],
                                headers={**base, "Upload-Offset": str(start),
                                         "Content-Type": "application/offset+octet-stream"})
        assert response.status_code == 204, response.get_data(as_text=True)
    return url


def api_token(client) -> str:
    """The CSRF token our pages put in <meta name="csrf-token"> for their JSON calls."""
    import re

    html = client.get("/media/upload").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def quick_worker(app, **kw):
    from app.jobs import Worker

    options = {"poll_s": 0.05, "heartbeat_s": 0.1, "stale_after_s": 30, "retry_base_s": 0.05, "periodic": False}
    return Worker(app, **{**options, **kw})


def fetch(client, url: str, **kw):
    """GET a media file and close the response (send_file keeps the file open until then)."""
    response = client.get(url, **kw)
    response.get_data()
    response.close()
    return response
