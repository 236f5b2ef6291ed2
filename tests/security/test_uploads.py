"""Upload attacks: polyglot files, path-traversal names, oversize files and files that decode to absurd sizes.
Each is refused with a clear message, or, when the file is a real image or video, stored only as our own
re-encoded output under a name we generate."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db as _db
from catalog import covers
from media import ffmpeg
from media.models import MediaAsset
from tests.catalog.helpers import make, png
from tests.media.conftest import api_token, tus_upload


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_polyglot_image_is_stored_only_as_our_re_encoded_jpeg(app, db):
    html = b"<html><script>alert(document.cookie)</script></html>"
    polyglot = png((800, 600)) + html  # a valid PNG that a sniffing browser could also read as HTML
    resource = make()
    covers.set_cover(db.session, SYSTEM, resource, polyglot, app.config["DATA_DIR"])
    stored = _files(covers.folder(app.config["DATA_DIR"]))
    assert stored and all(b"<script" not in p.read_bytes() and p.read_bytes()[:3] == b"\xff\xd8\xff" for p in stored)
    assert all(resource.cover_key in p.name for p in stored)


@pytest.mark.parametrize(("data", "message"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (covers.MAX_BYTES + 1), "图片不能超过8MB。"),
    (None, "图片尺寸太大。"),  # a decompression bomb: 100 megapixels in a few hundred kilobytes
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "文件不是有效的图片。"),
    (b"GIF89a<script>alert(1)</script>", "文件不是有效的图片。"),
])
def test_oversize_bombs_and_disguised_images_are_refused_with_a_message(app, db, data, message):
    if data is None:
        buffer = io.BytesIO()
        Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
        data = buffer.getvalue()
        assert len(data) < covers.MAX_BYTES
    resource = make()
    with pytest.raises(Invalid) as err:
        covers.set_cover(db.session, SYSTEM, resource, data, app.config["DATA_DIR"])
    assert message in err.value.fields["cover"] or message in str(err.value)
    assert resource.cover_key == ""


def test_a_path_traversal_file_name_never_reaches_the_disk(app, client, auth, tmp_path):
    auth.as_role("institution_staff")
    name = "../../../../tmp/evil/../../etc/cron.d/x.mp4"
    upload_url = tus_upload(client, b"\x00" * 2048, filename=name)
    media_dir = Path(app.config["DATA_DIR"]) / "media"
    stored = _files(media_dir)
    assert stored and all(".." not in p.name and "cron" not in str(p) for p in stored)
    assert all(p.resolve().is_relative_to(media_dir.resolve()) for p in stored)
    response = client.post("/api/v1/media", json={"upload_url": upload_url},
                           headers={"X-CSRFToken": api_token(client)})
    assert response.status_code == 400  # not media; and the name is never used as a path
    with app.app_context():
        assert _db.session.query(MediaAsset).count() == 0


def test_a_video_whose_frames_decode_to_an_absurd_size_is_refused(app, client, auth, tmp_path):
    huge = tmp_path / "huge.mp4"
    subprocess.run([ffmpeg.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                    "-i", "color=c=black:s=8192x4608:d=0.4:r=5", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(huge)], check=True, timeout=120)
    auth.as_role("institution_staff")
    response = client.post("/api/v1/media", json={"upload_url": tus_upload(client, huge.read_bytes())},
                           headers={"X-CSRFToken": api_token(client)})
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (400, "media_frame_too_large")
    assert "8192×4608" in error["message"]
