"""The tus 1.0.0 resumable upload protocol (core, creation, termination, expiration), as services.

The views (media.tus_views) translate HTTP to these calls. Where the bytes go depends on MEDIA_STORAGE:

- By default (one host, a local folder) the bytes received so far live in this host's media folder at
  `uploads/<token>.part`; the file's size under an exclusive lock is the true offset (a crash between writing
  and recording loses nothing), and the row keeps a copy for quotas and listings.
- With MEDIA_STORAGE=s3://... the upload's state is its row and its bytes are an S3 multipart upload plus a
  small "tail" object (media.tus_s3), so each PATCH may land on another host: the row is the true offset, moved
  in the same transaction as the parts and tail it counts, after they are stored. Two PATCHes at once: the
  second finds the offset moved (row lock) and gets 409. PATCHes of any size work: bytes are buffered in the
  tail until a 5 MiB part is full.

Either way a PATCH is acknowledged (204, Upload-Offset) only for bytes that are durable (fsynced, or stored in
the bucket and committed). A body cut short keeps exactly what arrived: waitress never hands an incomplete
request to the app (so nothing of it is written or acknowledged); a server that streams bodies (granian) ends
the stream early and the bytes that came are kept.

Speed: waitress spools a body over 512 KB to a temporary file before the app sees it. Such a body (a
`SpooledBody`) is copied into the part file by the kernel (sendfile), not read and written again through
Python in 1 MiB pieces (that was 15% of the server's samples per upload; with waitress reading 64 KB per call,
1 MiB now, the server's CPU per upload fell by a third: bench/README.md, "tus uploads"), a piece at a time, each
piece's writing to disk started at once (sync_file_range on Linux) so the fsync before the answer has less left to
wait for (tuspy's 64 MB in 8 MiB chunks: 0.27x -> 0.33x a file copy, the same CPU). A server that streams
the body (granian) is read straight from its input (`body_pieces`) and written as it arrives, each piece's writing
to disk started the same way: through werkzeug's `request.stream` each piece was copied twice more (granian's CPU
per upload fell 10–45%); the early writeback took granian's upload from 0.28-0.29x to 0.34-0.35x on a quiet
machine (the same CPU; at load 16 it had shown nothing). The same checks, the same fsync before the answer.
(Into a bucket, the body is read as chunks.)
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import fcntl
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected

from app.accounts.models import Organisation
from app.accounts.policy import is_admin, require
from app.db import hold_row, utcnow
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.storage import LocalStorage, Storage
from media import pending_files, tus_s3
from media.models import MediaAsset, Rendition, Subtitle, Upload

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
PIECE = 1024 * 1024  # a PATCH body is read this much at a time


def _kernel_writeback() -> Any:
    """Linux's sync_file_range(2), which Python does not bind: None elsewhere (the fsync alone then does the same
    work, all of it at the end)."""
    try:
        call = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError, TypeError):  # no such call (macOS), no process library to look in
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return call


_WRITEBACK = _kernel_writeback()
SYNC_FILE_RANGE_WRITE = 2


def remote(storage: Storage, local: LocalStorage) -> tus_s3.Multipart | None:
    """The bucket that receives uploads when MEDIA_STORAGE is one (None: this host's folder does)."""
    return storage if storage is not local and isinstance(storage, tus_s3.Multipart) else None


@dataclass(frozen=True)
class SpooledBody:
    """A request body the server already holds whole in a regular file: `length` bytes from `start` of `fd`."""

    fd: int
    start: int
    length: int


def spooled_body(stream: Any, length: int | None) -> SpooledBody | None:
    """The body as a file span when `stream` is a regular file holding exactly `length` more bytes (waitress's
    spool for large bodies); None otherwise (in memory, or streamed: read it as chunks)."""
    try:
        fd, start = stream.fileno(), stream.tell()
        info = os.fstat(fd)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both OSError and ValueError
        return None
    if length is None or not stat.S_ISREG(info.st_mode) or info.st_size - start != length:
        return None
    return SpooledBody(fd, start, length)


def body_pieces(stream: Any, length: int) -> Iterator[bytes]:
    """The `length` bytes of a request body read from the server's own input (`wsgi.input`), PIECE at a time:
    werkzeug's `request.stream` would copy each piece twice more. Ends early, keeping what came, when the
    client goes away (an empty read, or an error: the bytes that came are kept)."""
    while length > 0:
        try:
            piece = stream.read(min(PIECE, length))
        except (OSError, ValueError):
            return
        if not piece:
            return
        length -= len(piece)
        yield piece


class TooLarge(DomainError):
    status = 413
    code = "upload_too_large"


class VersionUnsupported(DomainError):
    status = 412
    code = "tus_version_unsupported"


class WrongContentType(DomainError):
    status = 415
    code = "wrong_content_type"


def parse_metadata(header: str) -> dict[str, str]:
    """`Upload-Metadata: filename d29ybGQ=,filetype dmlkZW8vbXA0` -> {"filename": "world", ...}."""
    values: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _sep, encoded = pair.partition(" ")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True) if encoded.strip() else b""
        except (binascii.Error, ValueError) as err:
            raise Invalid(_("上传信息格式不对。"), code="bad_upload_metadata") from err
        values[key] = raw.decode("utf-8", "replace")
    return values


def _clean_name(value: str, limit: int) -> str:
    return "".join(c for c in value if c.isprintable() and c not in "/\\")[-limit:].strip()


def storage_used(session: Session, org_id: int) -> int:
    """Bytes an organisation holds: its assets' sources, renditions and subtitles, plus uploads not yet taken
    over. The one count the quota and the upload page use."""
    sources = session.scalar(select(func.coalesce(func.sum(MediaAsset.source_bytes), 0))
                             .where(MediaAsset.org_id == org_id)) or 0
    renditions = session.scalar(select(func.coalesce(func.sum(Rendition.size_bytes), 0))
                                .join(MediaAsset, Rendition.asset_id == MediaAsset.id)
                                .where(MediaAsset.org_id == org_id)) or 0
    subtitles = session.scalar(select(func.coalesce(func.sum(Subtitle.size_bytes), 0))
                               .join(MediaAsset, Subtitle.asset_id == MediaAsset.id)
                               .where(MediaAsset.org_id == org_id)) or 0
    pending = session.scalar(select(func.coalesce(func.sum(Upload.length_bytes), 0))
                             .where(Upload.org_id == org_id, Upload.asset_id.is_(None))) or 0
    return int(sources) + int(renditions) + int(subtitles) + int(pending)


def make_room(session: Session, org_id: int, quota: int, adding: int, freeing: int = 0) -> None:
    """Refuse `adding` bytes that would take the organisation past its quota (0: none), `freeing` bytes going in
    the same change (a file replaced). A change that does not grow is let through, even over the quota. The
    organisation's row is held so that one change's sum and insert come before the next one's sum (two uploads
    started together both passed the quota)."""
    if not quota or adding <= freeing:
        return
    hold_row(session, Organisation, org_id)
    if storage_used(session, org_id) - freeing + adding > quota:
        raise TooLarge(_("本单位的存储空间已用完（上限 %(size)s），请先删除不用的视频。", size=human_size(quota)),
                       code="quota_exceeded")


def create_upload(session: Session, storage: LocalStorage, actor: Any, org: Organisation, *, length: int | None,
                  metadata: dict[str, str], max_size: int, quota: int, expire_hours: int,
                  bucket: tus_s3.Multipart | None = None) -> Upload:
    """POST: check the size and the organisation's quota, then make an empty upload."""
    require(actor, "media.upload", org)
    if length is None or length < 0:
        raise Invalid(_("缺少文件大小（Upload-Length）。"), code="upload_length_required")
    if length > max_size:
        raise TooLarge(_("文件太大，最大允许 %(size)s。", size=human_size(max_size)), code="upload_too_large")
    make_room(session, org.id, quota, length)
    upload = Upload(id=secrets.token_hex(16), org_id=org.id, user_id=getattr(actor, "id", None),
                    length_bytes=length, offset_bytes=0, filename=_clean_name(metadata.get("filename", ""), 255),
                    filetype=_clean_name(metadata.get("filetype", ""), 100),
                    expires_at=utcnow() + timedelta(hours=expire_hours))
    if bucket is not None:
        tus_s3.start(session, bucket, upload)
    else:
        path = storage.path(upload.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        _fsync_dir(path.parent)  # the empty file's name survives a crash, as its row will
    if length == 0:
        upload.completed_at = utcnow()
    session.add(upload)
    session.flush()
    return upload


def _fsync_dir(folder: Any) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_upload(session: Session, actor: Any, upload_id: str) -> Upload:
    """The actor's own upload, unexpired and not yet taken over; anything else is 404 (no hint it exists)."""
    upload = session.get(Upload, upload_id) if upload_id.isalnum() and len(upload_id) == 32 else None
    owner = upload is not None and (upload.user_id == getattr(actor, "id", object()) or is_admin(actor))
    if upload is None or not owner or upload.asset_id is not None or \
            (upload.expires_at < utcnow() and not upload.is_complete):
        raise NotFound(_("上传不存在或已过期，请重新上传。"), code="upload_not_found")
    return upload


def append(session: Session, storage: LocalStorage, upload: Upload, offset: int,
           chunks: Iterable[bytes] | SpooledBody, expire_hours: int, *,
           fallback: Iterable[bytes] | None = None, bucket: tus_s3.Multipart | None = None) -> Upload:
    """PATCH: write `chunks` at `offset`, which must be where the upload stands (409 otherwise).

    A `SpooledBody` that fits in what is left of the upload is copied by the kernel; one that does not, or
    that the kernel cannot copy, is read from `fallback` as chunks instead (so a body too large keeps, as
    always, the whole chunks that fit, and is answered 413). Bytes received before the client went away are
    kept: the next HEAD reports them and the client goes on.
    """
    if upload.multipart_id is not None:
        if bucket is None:
            raise RuntimeError("this upload is in a bucket: MEDIA_STORAGE must name it")
        body = (fallback or ()) if isinstance(chunks, SpooledBody) else chunks
        return tus_s3.append(session, bucket, storage, upload, offset, body, expire_hours,
                             TooLarge(_("上传的数据超过了声明的文件大小。"), code="upload_exceeds_length"))
    path = storage.path(upload.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # created again if a crash lost it (its row survived): HEAD said 0, so the client starts over, no 500
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o666), "r+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise Conflict(_("这个文件正在另一处上传。"), code="upload_locked") from err
        current = os.fstat(fh.fileno()).st_size
        if offset != current:
            raise Conflict(_("上传位置不一致，请重新获取进度后继续。"), code="offset_mismatch")
        fh.seek(current)
        copied = None
        if isinstance(chunks, SpooledBody):
            fits = current + chunks.length <= upload.length_bytes
            copied = _copy_in_kernel(chunks, fh.fileno(), current) if fits else None
            chunks = () if copied is not None else (fallback or ())
        written = copied or 0
        try:
            for chunk in chunks:
                if current + written + len(chunk) > upload.length_bytes:
                    fh.truncate(current + written)
                    fh.flush()
                    os.fsync(fh.fileno())
                    raise TooLarge(_("上传的数据超过了声明的文件大小。"), code="upload_exceeds_length")
                fh.write(chunk)
                if _WRITEBACK is not None:  # the disk starts on this piece while the next arrives
                    fh.flush()
                    _WRITEBACK(fh.fileno(), current + written, len(chunk), SYNC_FILE_RANGE_WRITE)
                written += len(chunk)
        except (ClientDisconnected, ConnectionError):
            pass  # keep what arrived; the client resumes from the offset HEAD reports
        # durable before it is acknowledged: the 204 and Upload-Offset the client trusts come after this
        fh.flush()
        os.fsync(fh.fileno())
        upload.offset_bytes = current + written
    upload.expires_at = utcnow() + timedelta(hours=expire_hours)
    if upload.is_complete and upload.completed_at is None:
        upload.completed_at = utcnow()
    session.flush()
    return upload


def _copy_in_kernel(body: SpooledBody, out_fd: int, at: int) -> int | None:
    """Copy the spooled body to `out_fd` at `at` with sendfile; bytes copied, or None when the kernel cannot
    copy between these files (then nothing was written)."""
    os.lseek(out_fd, at, os.SEEK_SET)
    copied = 0
    while copied < body.length:
        try:
            sent = os.sendfile(out_fd, body.fd, body.start + copied, min(PIECE, body.length - copied))
        except OSError:
            if copied:
                raise
            return None  # e.g. a system whose sendfile only writes to sockets: read it through Python
        if sent == 0:  # the file ended early: keep what came, as for a stream cut short
            break
        if _WRITEBACK is not None:  # the disk starts on this piece while the next is copied
            _WRITEBACK(out_fd, at + copied, sent, SYNC_FILE_RANGE_WRITE)
        copied += sent
    return copied


def current_offset(storage: LocalStorage, upload: Upload) -> int:
    if upload.multipart_id is not None:  # in the bucket: the row is the truth
        return upload.offset_bytes
    try:
        return min(storage.size(upload.key), upload.length_bytes)
    except FileNotFoundError:
        return 0


def terminate(session: Session, storage: LocalStorage, upload: Upload,
              bucket: tus_s3.Multipart | None = None) -> None:
    """DELETE: drop the row, and the bytes once that is committed (in a bucket: abort the multipart upload)."""
    _drop_bytes(session, storage, upload, bucket)
    session.delete(upload)
    session.flush()


def _drop_bytes(session: Session, storage: LocalStorage, upload: Upload, bucket: tus_s3.Multipart | None) -> None:
    if upload.multipart_id is not None and bucket is not None:
        tus_s3.drop(session, bucket, upload)
    pending_files.drop_on_commit(session, storage, upload.key)  # a scratch copy, or the local upload


def remove_expired(session: Session, storage: LocalStorage, bucket: tus_s3.Multipart | None = None) -> int:
    """Uploads past their expiry that no asset took over: unfinished ones, and finished ones never used."""
    expired = session.scalars(select(Upload).where(Upload.expires_at < utcnow(), Upload.asset_id.is_(None))).all()
    for upload in expired:
        _drop_bytes(session, storage, upload, bucket)
        session.delete(upload)
    session.flush()
    return len(expired)


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
