"""Media next to compression (app/assets.py): a browser that accepts gzip and brotli still gets every playlist,
segment and MP4 byte for byte, uncompressed, and its byte ranges exact, so seeking works; the lesson page around
the player is compressed."""

from __future__ import annotations

import gzip
import re

from tests.media.conftest import fetch
from tests.media.test_pipeline import _transcoded

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def test_media_is_never_compressed_and_ranges_stay_exact(app, client, auth, clips):
    body, lesson_id = _transcoded(app, client, auth, clips["small"].read_bytes(), publish=True)
    urls = {r["kind"]: r["url"] for r in body["renditions"]}
    auth.logout()
    plain = fetch(client, urls["mp4_360"]).data
    whole = fetch(client, urls["mp4_360"], headers=BROWSER)
    assert "Content-Encoding" not in whole.headers and whole.data == plain and len(plain) > 1024
    part = fetch(client, urls["mp4_360"], headers={"Range": "bytes=100-1099", **BROWSER})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers and part.data == plain[100:1100]
    playlist = fetch(client, urls["hls_360"], headers=BROWSER)
    assert "Content-Encoding" not in playlist.headers
    segment_name = re.search(r"^seg_\d+\.ts$", playlist.get_data(as_text=True), re.MULTILINE).group(0)
    segment = fetch(client, urls["hls_360"].rsplit("/", 1)[0] + "/" + segment_name, headers=BROWSER)
    assert segment.status_code == 200 and "Content-Encoding" not in segment.headers
    assert segment.headers["Cache-Control"] == "public, max-age=3600"  # bounded: it may be unpublished

    page = client.get(f"/catalog/r/{_resource_of(app, lesson_id)}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and "电工安全" in gzip.decompress(page.data).decode()


def _resource_of(app, lesson_id: int) -> int:
    from app.extensions import db
    from catalog.models import Lesson

    with app.app_context():
        return db.session.get(Lesson, lesson_id).resource_id
