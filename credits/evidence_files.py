"""Evidence files (证明材料) of credit recognition and of subsidy claims: the one check of what may be kept, and the
one way they are sent back.

A file is judged by its content: a real PDF, JPEG or PNG, at most 10 MB. Images are re-encoded (EXIF and GPS and
anything appended are dropped). A PDF is kept as sent, so it is parsed with pypdf and refused when it holds
anything a viewer would run or open: JavaScript (document open action, additional actions of the document, pages,
annotations and form fields, the /Names JavaScript tree; wherever an action dictionary is), launch actions,
embedded files and file attachments, XFA forms, rich media. Parsing sees through what defeats byte patterns:
escaped names (`/J#61vaScript`) and objects inside compressed object streams. Links (/URI) are allowed: real
certificates carry verification links. Encrypted and unparsable PDFs are refused with a message saying so.

Served files are always downloads, under a policy that lets nothing in them run (`default-src 'none'; sandbox`)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask import Response, send_file
from flask_babel import gettext as _

from app.errors import Invalid

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_EVIDENCE = 10 * 1024 * 1024
MAX_PDF_OBJECTS = 500_000  # a certificate has tens; more is a file built to make the check slow
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
CSP = "default-src 'none'; sandbox"

# What a PDF may not hold, by the name that says so, and which message tells the user.
_KEYS = {"/JS": "script", "/JavaScript": "script", "/RichMedia": "script", "/EmbeddedFiles": "attachment",
         "/EF": "attachment", "/XFA": "xfa"}
_VALUES = {  # (key, value) pairs: the action type /S, an annotation's /Subtype, an object's /Type
    ("/S", "/JavaScript"): "script", ("/S", "/Launch"): "launch", ("/S", "/ImportData"): "script",
    ("/S", "/RichMediaExecute"): "script", ("/S", "/GoToE"): "attachment",
    ("/Subtype", "/FileAttachment"): "attachment", ("/Subtype", "/RichMedia"): "script",
    ("/Type", "/EmbeddedFile"): "attachment",
}
_RAW_NAMES = {name.encode()[1:]: why for name, why in _KEYS.items()} | {
    value.encode()[1:]: why for (_key, value), why in _VALUES.items()}

# Markers of a second format hidden in a PDF (a polyglot): markup a browser would run, or a ZIP archive.
_POLYGLOT = re.compile(rb"<\s*(?:html|script|svg|iframe|body)\b|<!doctype\s+html|javascript:", re.IGNORECASE)
_STRING = re.compile(rb"\((?:\\.|[^\\()])*\)", re.DOTALL)  # a literal string (one level; applied repeatedly)
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _error(message: str) -> Invalid:
    return Invalid(message, code="bad_evidence", fields={"evidence": message})


def _refused(why: str) -> Invalid:
    messages = {
        "script": _("PDF 中含有脚本，不能接收。请打印成普通 PDF 或拍照上传。"),
        "launch": _("PDF 中含有打开其他程序的动作，不能接收。请打印成普通 PDF 或拍照上传。"),
        "attachment": _("PDF 中夹带了附件文件，不能接收。请打印成普通 PDF 或拍照上传。"),
        "xfa": _("PDF 中含有动态表单（XFA），不能接收。请打印成普通 PDF 或拍照上传。"),
    }
    return _error(messages[why])


def check_evidence(data: bytes) -> tuple[str, bytes]:
    """(type, bytes to keep) for a real PDF, JPEG or PNG; images are re-encoded so EXIF (GPS) is dropped."""
    if not data:
        raise _error(_("请上传证书的扫描件或照片。"))
    if len(data) > MAX_EVIDENCE:
        raise _error(_("文件不能超过10MB。"))
    if data[:1024].lstrip().startswith(b"%PDF-"):
        check_pdf(data)
        return "pdf", data  # kept as sent, hence the checks
    return _image(data)


def check_pdf(data: bytes) -> None:
    """Invalid unless `data` is a plain PDF: parsable, not encrypted, nothing that runs, opens or carries files."""
    if b"%%EOF" not in data[-2048:]:
        raise _error(_("PDF 文件已损坏，请重新导出后上传。"))
    if _POLYGLOT.search(data) or (b"PK\x03\x04" in data and b"PK\x05\x06" in data):
        raise _error(_("这个 PDF 里夹带了网页或压缩包，不能接收。请重新导出为普通 PDF 或拍照上传。"))
    # The bytes outside streams, name escapes undone: also what a lenient viewer would find by scanning a
    # file whose cross-reference table leaves some objects out.
    outside = _outside_streams(data)
    for _level in range(4):  # strings are text, not names: `(D:/JS/cert.docx)` in a title is no script
        outside = _STRING.sub(b" ", outside)  # innermost first, then the strings around them
    for raw in _NAME.findall(outside):
        if (why := _RAW_NAMES.get(_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw))) is not None:
            raise _refused(why)
    from pypdf import PdfReader  # here, not at import: pypdf (with its crypto providers) is 24 MB in every web
    # process, and only an uploaded PDF needs it

    quiet = logging.getLogger("pypdf")
    level, quiet.level = quiet.level, logging.CRITICAL  # its notes on sloppy files are not our errors
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _error(_("PDF 已加密或设有密码，不能接收。请去掉密码后重新导出，或拍照上传。"))
        why = _first_refusal(reader)
    except Invalid:
        raise
    except Exception:  # noqa: BLE001 - any failure of the parser on a hostile file means "not a PDF we keep"
        raise _error(_("PDF 文件已损坏，请重新导出后上传。")) from None
    finally:
        quiet.level = level
    if why is not None:
        raise _refused(why)


def _outside_streams(data: bytes) -> bytes:
    """The bytes between streams (a stream's data is not names). Linear: each `stream` is matched with the next
    `endstream` by find(), so a file of unclosed `stream` keywords cannot make this slow."""
    parts, at = [], 0
    while (start := data.find(b"stream", at)) != -1:
        parts.append(data[at:start])
        end = data.find(b"endstream", start + 6)
        if end == -1:
            return b"".join(parts)
        at = end + 9
    parts.append(data[at:])
    return b"".join(parts)


def _objects(reader: PdfReader) -> Iterator[Any]:
    """Every object: the trailer, each one the cross-reference table lists, those inside object streams."""
    from pypdf.generic import IndirectObject  # here, as in check_pdf

    yield reader.trailer
    for generation, table in reader.xref.items():
        for number in table:
            yield IndirectObject(number, generation, reader)
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader)


def _first_refusal(reader: PdfReader) -> str | None:
    """Walk the object graph once (references followed, each object visited once) and say what is refused."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject  # here, as in check_pdf

    seen: set[tuple[int, int]] = set()
    stack = list(_objects(reader))
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise _error(_("PDF 文件结构过于复杂，不能接收。请重新导出为普通 PDF 或拍照上传。"))
        if isinstance(item, DictionaryObject):  # stream objects are dictionaries too (their keys, not their data)
            for key, value in item.items():
                why = _KEYS.get(key) or (_VALUES.get((key, value)) if isinstance(value, NameObject) else None)
                if why is not None:
                    return why
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _image(data: bytes) -> tuple[str, bytes]:
    # Pillow (~4 MB resident) only when an image is handled, not in every web process from its start
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = (probe.format or "").lower()
            if kind not in ("jpeg", "png") or probe.width * probe.height > 40_000_000:
                raise _error(_("只接收 PDF、JPEG 或 PNG 文件。"))
            probe.verify()
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        out = io.BytesIO()
        if kind == "jpeg":
            image.convert("RGB").save(out, "JPEG", quality=90)
        else:
            image.save(out, "PNG")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _error(_("只接收 PDF、JPEG 或 PNG 文件，这个文件无法识别或已损坏。")) from None
    return kind, out.getvalue()


def send(source: Path | IO[bytes], kind: str, download_name: str) -> Response:
    """A stored evidence file, always as a download, never sniffed, and under a policy that runs nothing in it
    even if a browser were to show it."""
    response = send_file(source, mimetype=MIME[kind], as_attachment=True, download_name=download_name, max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
