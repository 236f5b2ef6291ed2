"""Sending media files: playlists, segments, MP4 (HTTP Range, ETag, Last-Modified through Flask's
send_file), bounded public caching for files under an output key, signed expiring URLs for unpublished media,
and X-Accel-Redirect / X-Sendfile when a front proxy sends the bytes. With MEDIA_STORAGE in a bucket (`from_store`)
the web host sends no video bytes: playlists are read and sent with a presigned URL on every segment line, subtitles
are sent as they are (a <track> needs them from this origin), any other file is a redirect to a presigned URL;
sub-playlists stay relative, so they come back here to be rewritten in turn.

URLs carry the signature in the path, not the query string, so the relative URLs inside playlists
(`hls_360/index.m3u8`, `seg_00001.ts`) keep it:
    public  /media/<asset_id>/<token>/hls_360/seg_00001.ts
    signed  /media/s/<signature>/<asset_id>/<token>/hls_360/seg_00001.ts
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, send_file, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.storage import BadKey, Storage, check_key
from media.models import MediaAsset

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".mp4": "video/mp4", ".jpg": "image/jpeg",
    ".webp": "image/webp", ".vtt": "text/vtt; charset=utf-8",
}


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="media-url")


def sign(app: Flask, asset_id: int, state: str) -> str:
    """A signature for one asset in one publication state (media.lessons.publication_state): when the lesson's
    resource changes status (published, unpublished, withdrawn...) or the asset is re-transcoded or moved to
    another lesson, URLs signed before stop working."""
    return _serializer(app).dumps([asset_id, state])


def signature_valid(app: Flask, signature: str, asset_id: int, state: str) -> int | None:
    """Seconds the signature has left, or None when it is forged, expired, or for another asset or state."""
    ttl = int(app.config["MEDIA_URL_TTL_S"])
    try:
        payload, signed_at = _serializer(app).loads(signature, max_age=ttl, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    if payload != [asset_id, state]:
        return None
    left = ttl - int((datetime.now(UTC) - signed_at).total_seconds())
    return left if left > 0 else None


def relative_key(asset: MediaAsset, rest: str) -> str | None:
    """The storage key a URL names, if it is one this asset serves: its current outputs and subtitles only
    (never the source, never an older output folder)."""
    key = f"assets/{asset.id}/{rest}"
    try:
        check_key(key)
    except BadKey:
        return None
    folder = asset.output_key.rsplit("/", 1)[-1] if asset.output_key else ""
    if folder and rest.startswith(folder + "/"):  # the output folder may be shared, under another asset's id
        return f"{asset.output_key}/{rest[len(folder) + 1:]}"
    if any(s.path == key for s in asset.subtitles):
        return key
    return None


def file_url(asset: MediaAsset, key: str, signature: str | None = None, **params: Any) -> str:
    """The URL of a stored file of this asset: under the asset's own id, even for a shared output folder."""
    if asset.output_key and key.startswith(asset.output_key + "/"):
        rest = asset.output_key.rsplit("/", 1)[-1] + key[len(asset.output_key):]
    else:
        rest = key[len(f"assets/{asset.id}/"):]
    if signature:
        return url_for("media_files.signed", signature=signature, asset_id=asset.id, rest=rest, **params)
    return url_for("media_files.public", asset_id=asset.id, rest=rest, **params)


def send(app: Flask, path: Path, key: str, *, public: bool, download_name: str | None = None,
         max_age: int | None = None) -> Response:
    """One file, with Range/conditional support. Public: cached for MEDIA_PUBLIC_MAX_AGE_S and never `immutable`,
    since an unpublished resource's media must leave caches too (revalidation by ETag is cheap). Otherwise private,
    cached no longer than `max_age` (what the signature has left) and the signature lifetime."""
    content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
    accel = app.config["MEDIA_ACCEL"]
    if accel in ("nginx", "sendfile"):
        response = Response(status=200, content_type=content_type)
        if accel == "nginx":
            # nginx: `location /internal-media/ { internal; alias <MEDIA_DIR>/; }` sends it, Range and all
            response.headers["X-Accel-Redirect"] = app.config["MEDIA_ACCEL_PREFIX"].rstrip("/") + "/" + key
        else:
            response.headers["X-Sendfile"] = str(path)
        if download_name:
            response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    else:
        response = send_file(path, mimetype=content_type, conditional=True, etag=True, max_age=None,
                             as_attachment=bool(download_name), download_name=download_name)
    return _cached(app, response, public=public, playlist=path.suffix == ".m3u8", max_age=max_age)


def _cached(app: Flask, response: Response, *, public: bool, playlist: bool, max_age: int | None,
            limit: int | None = None) -> Response:
    if public:
        # Unpublishing stops new requests at once; what caches already hold lapses within the bound.
        bound = int(app.config["MEDIA_PUBLIC_MAX_AGE_S"])
        seconds = min(bound, 300) if playlist else bound
        response.headers["Cache-Control"] = f"public, max-age={min(seconds, limit or seconds)}"
    else:
        ttl = int(app.config["MEDIA_URL_TTL_S"])
        left = max(0, min(ttl, 3600, ttl if max_age is None else max_age, limit or ttl))
        response.headers["Cache-Control"] = f"private, max-age={left}"
    return response


SEGMENT_URI = re.compile(r'URI="([^"]+)"')


def rewrite_playlist(text: str, sign: Callable[[str], str]) -> str:
    """Every segment a playlist names (its lines and URI="..." attributes) as `sign(relative path)`; the
    sub-playlists (.m3u8) stay relative."""
    def one(uri: str) -> str:
        if uri.endswith(".m3u8") or "://" in uri or uri.startswith("/"):
            return uri
        return sign(uri)

    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            line = SEGMENT_URI.sub(lambda m: f'URI="{one(m.group(1))}"', line)
        elif line.strip():
            line = one(line.strip())
        lines.append(line)
    return "\n".join(lines) + "\n"


def from_store(app: Flask, files: Storage, key: str, *, public: bool, download_name: str | None = None,
               max_age: int | None = None) -> Response:
    """A file kept in a bucket: presigned URLs valid as long as the app's own would be (the public cache bound,
    or what the signature has left), and responses cached for a quarter of that at most."""
    expires = int(app.config["MEDIA_PUBLIC_MAX_AGE_S"]) if public else \
        min(int(app.config["MEDIA_URL_TTL_S"]), int(app.config["MEDIA_URL_TTL_S"]) if max_age is None else max_age)
    expires = max(expires, 1)
    if key.endswith(".m3u8"):
        try:
            with files.open(key) as stream:
                text = stream.read().decode("utf-8")
        except FileNotFoundError:
            abort(404)
        folder = posixpath.dirname(key)

        def sign(relative: str) -> str:
            try:
                return str(files.url(check_key(posixpath.normpath(posixpath.join(folder, relative))),
                                     expires_s=expires))
            except BadKey:
                return relative  # not a file we wrote: left as it was, so it fails as it would have
        response = Response(rewrite_playlist(text, sign), content_type=CONTENT_TYPES[".m3u8"])
    elif key.endswith(".vtt"):  # a <track> may not follow a redirect to another origin without CORS: sent from here
        try:
            with files.open(key) as stream:
                response = Response(stream.read(), content_type=CONTENT_TYPES[".vtt"])
        except FileNotFoundError:
            abort(404)
    else:
        target = files.url(key, expires_s=expires, download_name=download_name)
        if target is None:
            abort(404)
        response = Response(status=302, headers={"Location": target})
    return _cached(app, response, public=public, playlist=True, max_age=max_age, limit=max(expires // 4, 1))
