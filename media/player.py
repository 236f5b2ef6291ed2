"""What the player and the status API show about an asset: its URLs (public, or signed for unpublished media)
and, for each quality choice, the data it costs to watch the whole lesson: what the player really fetches, the
playlist(s) and every segment of the rendition (static/js/player.js adds hls.js while it is not yet on the phone)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.playback import PLAYER_SPEEDS
from media import lessons, service, serving
from media.models import AssetStatus, MediaAsset, RenditionKind
from media.tus import human_size

SPEEDS = PLAYER_SPEEDS  # app.playback: one constant with learning's trust rule (no credit faster than the fastest)


def access(session: Session, user: Any, asset: MediaAsset) -> tuple[bool, bool]:
    """(may watch, public): public media for everyone, signed URLs for those allowed to see it unpublished."""
    if lessons.is_public(session, asset):
        return True, True
    return lessons.may_view(session, user, asset), False


def _file(asset: MediaAsset, rel: str, signature: str | None, **params: object) -> str:
    return serving.file_url(asset, f"{asset.output_key}/{rel}", signature, **params)


def data_bytes(bitrate: int, duration_s: float | None) -> int:
    return int(bitrate * (duration_s or 0) / 8)


def renditions(asset: MediaAsset, signature: str | None) -> list[dict[str, Any]]:
    return [{"kind": r.kind.value, "bitrate": r.bitrate, "size_bytes": r.size_bytes, "width": r.width,
             "height": r.height, "url": _file(asset, r.path, signature)} for r in asset.renditions]


def _playlists(storage: Any, asset: MediaAsset, *rels: str) -> int:
    return sum(storage.size(f"{asset.output_key}/{rel}") if storage.exists(f"{asset.output_key}/{rel}") else 0
               for rel in rels)


def modes(asset: MediaAsset, signature: str | None, storage: Any = None) -> list[dict[str, Any]]:
    """自动 (the whole ladder; costs at most the top rung), 省流量 (240p), 仅音频. Only those the asset has.
    Each costs its segments (`size_bytes`, measured at transcoding) plus the playlists the player reads first."""
    video = [r for r in asset.renditions if r.kind.value.startswith("hls_")]
    top = max(video, key=lambda r: r.bitrate, default=None)
    low = asset.rendition(RenditionKind.hls_240)
    audio = asset.rendition(RenditionKind.audio)
    choices = []  # (key, label, playlist, rendition, whether the size is an upper bound)
    if top is not None:
        choices.append(("auto", _("自动"), "master.m3u8", top, True))
    if low is not None and low is not top:
        choices.append(("saver", _("省流量"), low.path, low, False))
    if audio is not None:
        choices.append(("audio", _("仅音频"), audio.path, audio, False))
    result = []
    for key, label, rel, rendition, at_most in choices:
        size = rendition.size_bytes or data_bytes(rendition.bitrate, asset.duration_s)
        if storage is not None:
            size += _playlists(storage, asset, *dict.fromkeys((rel, rendition.path)))
        text = _("最多约 %(size)s", size=human_size(size)) if at_most else _("约 %(size)s", size=human_size(size))
        result.append({"key": key, "label": label, "url": _file(asset, rel, signature), "bytes": size,
                       "size_text": text, "size_template": (_("最多约 %(size)s", size="{size}") if at_most
                                                            else _("约 %(size)s", size="{size}"))})
    return result


def describe(app: Flask, session: Session, user: Any, asset: MediaAsset) -> dict[str, Any]:
    """The status API's body; URLs only for those who may watch."""
    allowed, public = access(session, user, asset)
    ready = asset.status == AssetStatus.ready and allowed
    signature = None if public or not ready else serving.sign(app, asset.id, lessons.publication_state(session, asset))
    poster, thumb = asset.rendition(RenditionKind.poster), asset.rendition(RenditionKind.thumb)
    return {
        "id": asset.id, "status": asset.status.value, "progress": service.progress(session, asset),
        "error": {"code": asset.error_code, "message": asset.error} if asset.error_code else None,
        "duration": asset.duration_s, "width": asset.width, "height": asset.height, "lesson_id": asset.lesson_id,
        "title": asset.title,
        "renditions": renditions(asset, signature) if ready else [],
        "master": _file(asset, "master.m3u8", signature) if ready else None,
        # the player's choices with fresh URLs: the page's player asks for these when a signed URL lapses
        "modes": [{"key": m["key"], "url": m["url"]} for m in modes(asset, signature)] if ready else [],
        "poster": _file(asset, poster.path, signature) if ready and poster else None,
        "thumb": _file(asset, thumb.path, signature) if ready and thumb else None,
        "subtitles": [{"language": s.language, "label": s.label, "url": serving.file_url(asset, s.path, signature)}
                      for s in asset.subtitles] if ready else [],
        "page": url_for("media.asset_page", asset_id=asset.id),
    }


def for_template(app: Flask, session: Session, user: Any, *, lesson: Any = None,
                 asset: MediaAsset | None = None) -> dict[str, Any] | None:
    """The player macro's data, or None when there is nothing this user may play."""
    asset = asset or (lessons.lesson_asset(session, lesson) if lesson is not None else None)
    if asset is None:
        return None
    allowed, public = access(session, user, asset)
    if not allowed:
        return None
    if asset.status != AssetStatus.ready:
        return {"ready": False, "status": asset.status.value, "asset": asset}
    signature = None if public else serving.sign(app, asset.id, lessons.publication_state(session, asset))
    poster, mp4 = asset.rendition(RenditionKind.poster), asset.rendition(RenditionKind.mp4_360)
    return {
        "ready": True, "asset": asset, "modes": modes(asset, signature, service.MediaSettings.of(app).storage),
        "speeds": SPEEDS,
        "poster": _file(asset, poster.path, signature) if poster else "",
        "download": _file(asset, mp4.path, signature, download=1) if mp4 else "",
        "download_size": human_size(mp4.size_bytes) if mp4 else "",
        "subtitles": [{"language": s.language, "label": s.label, "url": serving.file_url(asset, s.path, signature)}
                      for s in asset.subtitles],
        "audio_only": not asset.has_video,
    }
