"""Cover images: an upload is checked to really be an image (decoded by Pillow, not trusted by its name),
cropped to 16:9 and saved as JPEG at phone sizes in the covers store (DATA_DIR/covers, or PREFIX/covers/ in a
bucket: app.storage) with a generated name. The original file is never kept, so nothing the uploader embedded
(scripts in SVG, EXIF, polyglots) survives."""

from __future__ import annotations

import contextlib
import io
import secrets
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import outbox
from app.errors import Invalid
from app.storage import Storage
from app.stores import of as store_of
from catalog.models import Resource
from catalog.service import editing

if TYPE_CHECKING:
    from PIL import Image

WIDTHS = (480, 960)         # list cards, resource page (phones at 1x-2x and 3x)
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000     # refuse decompression bombs before decoding
MIN_SIDE = 200


def _invalid(message: str) -> Invalid:
    return Invalid(message, code="bad_image", fields={"cover": message})


def _open(data: bytes) -> Image.Image:
    # Pillow (~4 MB resident) only when an image is handled, not in every web process from its start
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise _invalid(_("请选择一张图片。"))
    if len(data) > MAX_BYTES:
        raise _invalid(_("图片不能超过8MB。"))
    try:
        with warnings.catch_warnings():  # Pillow only warns below its hard limit; for us too many pixels is a refusal
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED:
                    raise _invalid(_("请上传 JPEG、PNG、WebP 或 GIF 图片。"))
                if probe.width * probe.height > MAX_PIXELS:
                    raise _invalid(_("图片尺寸太大。"))
                probe.verify()
            opened = Image.open(io.BytesIO(data))
            opened.load()
            # EXIF orientation applied here: a PNG whose eXIf chunk is not TIFF raises in it (a 500 before)
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _invalid(_("图片尺寸太大。")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _invalid(_("文件不是有效的图片。")) from None
    if min(image.size) < MIN_SIDE:
        raise _invalid(_("图片太小，宽和高至少%(n)d像素。", n=MIN_SIDE))
    return image


def render(data: bytes) -> dict[int, bytes]:
    """JPEG bytes per width, cropped to 16:9 around the centre, EXIF orientation applied."""
    # Pillow (~4 MB resident) only when an image is handled, not in every web process from its start
    from PIL import Image, ImageOps

    image = _open(data)
    out = {}
    for width in WIDTHS:
        fitted = ImageOps.fit(image, (width, width * 9 // 16), method=Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        fitted.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
        out[width] = buffer.getvalue()
    return out


def folder(data_dir: str) -> Path:
    path = Path(data_dir) / "covers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_name(key: str, width: int) -> str:
    return f"{key}-{width}.jpg"


def set_cover(session: Session, actor: Any, resource: Resource, data: bytes, files: Storage | str) -> str:
    """Store a new cover for the resource (`files`: the covers store, or a data folder); returns the old key,
    whose files the caller removes after commit (`remove_files`), so a rolled-back change still has its picture."""
    editing(actor, resource)
    renditions = render(data)
    key = secrets.token_hex(12)
    target = store_of(files, "covers")
    for width, jpeg in renditions.items():
        target.put(file_name(key, width), io.BytesIO(jpeg))
    old = resource.cover_key
    resource.cover_key = key
    session.flush()
    outbox.emit(session, "resource", resource.id)
    return old


def rekey(files: Storage | str, key: str) -> str:
    """Copy a picture's renditions under a new random name and return it: the old URLs (shared, cached as
    `immutable`) stop answering once the caller removes the old files after commit (`remove_files`)."""
    target = store_of(files, "covers")
    new = secrets.token_hex(12)
    for width in WIDTHS:
        if target.exists(file_name(key, width)):
            with contextlib.closing(target.open(file_name(key, width))) as source:
                target.put(file_name(new, width), io.BytesIO(source.read()))
    return new


def remove_files(files: Storage | str, key: str) -> None:
    if key:
        for width in WIDTHS:
            store_of(files, "covers").delete(file_name(key, width))
