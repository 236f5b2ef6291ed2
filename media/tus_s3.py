"""tus uploads received by any host: with MEDIA_STORAGE=s3://..., an upload's state is its database row and its
bytes are in the bucket, so each PATCH of one upload may land on another host, and a host that dies loses nothing
it acknowledged. media.tus holds the protocol and calls here when the upload is in the bucket.

An upload is one S3 multipart upload of `uploads/<id>.part` (UploadId on the row), the parts stored so far (one
row each: number, ETag, size) and a tail: the bytes after the last part, fewer than 5 MiB (S3's smallest part but
the last), kept as their own small object `uploads/<id>.tail/<token>`. A PATCH reads the tail, appends its body,
and stores the result as the next part when it reaches 5 MiB (or ends the upload), else as a new tail object
under a new name. Only after those writes succeed does the row take the new offset, parts and tail, in the
PATCH's transaction: the 204 comes after the commit, so an acknowledged byte is in the bucket and recorded. A
transaction that does not commit leaves the old tail in place (the new one is removed, media.pending_files), and
a part number written again replaces the part, so a retried PATCH is safe.

The body is received into the host's scratch folder before anything is locked. Two PATCHes of one upload at
once: the first claims the row with `UPDATE ... WHERE offset_bytes = <offset>`
(a row lock on PostgreSQL until its commit, the single writer on SQLite); the other waits, finds the offset
moved and is answered 409, as tus says. The parts are joined (CompleteMultipartUpload, the tail as the last
part) when an asset takes the finished upload over (`fetch_finished`), which then copies it to the host's
scratch folder to be checked and hashed, as a local upload is.

Costs: a small PATCH rewrites the tail (up to 5 MiB read and written again); clients that send 8 MiB PATCHes
write each byte once. A body longer than what is left of the upload is refused whole (413), nothing stored.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast, runtime_checkable

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected

from app.db import utcnow
from app.errors import Conflict
from app.storage import LocalStorage, Storage
from media import pending_files
from media.models import Upload, UploadPart

PART_MIN = 5 * 1024 * 1024  # S3's smallest part (all but the last)


@runtime_checkable
class Multipart(Protocol):
    """What a store needs to receive uploads in parts (app.s3_storage.S3Storage has it)."""

    def put(self, key: str, source: BinaryIO | Path) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def start_multipart(self, key: str) -> str: ...
    def put_part(self, key: str, upload_id: str, number: int, source: Path) -> str: ...
    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None: ...
    def abort_multipart(self, key: str, upload_id: str) -> None: ...


class _Aborting:
    """A handle for media.pending_files whose `delete` aborts a multipart upload (with its transaction)."""

    def __init__(self, store: Multipart, upload_id: str):
        self.store, self.upload_id = store, upload_id

    def delete(self, key: str) -> None:
        self.store.abort_multipart(key, self.upload_id)


def _aborting(store: Multipart, upload_id: str) -> Storage:
    return cast(Storage, _Aborting(store, upload_id))  # pending_files calls only `delete`


def start(session: Session, store: Multipart, upload: Upload) -> None:
    """Begin the upload's multipart upload; aborted again if the creating transaction does not commit."""
    upload.multipart_id = store.start_multipart(upload.key)
    pending_files.written(session, _aborting(store, upload.multipart_id), upload.key)


def append(session: Session, store: Multipart, scratch: LocalStorage, upload: Upload, offset: int,
           chunks: Iterable[bytes], expire_hours: int, too_large: Exception) -> Upload:
    """PATCH into the bucket: see the module's docstring. `too_large` is raised (nothing stored) for a body
    longer than what is left."""
    scratch.tmp.mkdir(parents=True, exist_ok=True)
    # a work folder, not loose files: one a crash leaves behind is swept by media.cleanup like other work folders
    with tempfile.TemporaryDirectory(dir=scratch.tmp, prefix="tus-") as work, \
            open(Path(work) / "body", "w+b") as body, open(Path(work) / "buffer", "w+b") as buffer:
        # the body first, before the row is claimed: a slow client holds no lock while it sends
        written = _receive(chunks, body, upload.length_bytes - offset, too_large)
        _claim(session, upload, offset, expire_hours)
        if not written or upload.offset_bytes >= upload.length_bytes:
            return upload
        if upload.tail_key:
            with contextlib.closing(store.open(upload.tail_key)) as tail:
                shutil.copyfileobj(tail, buffer, 1024 * 1024)
        buffered = buffer.tell()
        body.seek(0)
        shutil.copyfileobj(body, buffer, 1024 * 1024)
        buffer.flush()
        _store(session, store, upload, Path(work) / "buffer", buffered + written, offset + written)
    return upload


def _claim(session: Session, upload: Upload, offset: int, expire_hours: int) -> None:
    """Lock the row if it stands at `offset` (else 409), and read it as the PATCH before this one left it."""
    claimed = session.execute(update(Upload).where(Upload.id == upload.id, Upload.offset_bytes == offset)
                              .values(expires_at=utcnow() + timedelta(hours=expire_hours))
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult: UPDATE counts its rows
        raise Conflict(_("上传位置不一致，请重新获取进度后继续。"), code="offset_mismatch")
    session.refresh(upload)  # as committed by the PATCH before this one, on whichever host
    session.refresh(upload, ["parts"])


def _receive(chunks: Iterable[bytes], out: Any, room: int, too_large: Exception) -> int:
    written = 0
    try:
        for chunk in chunks:
            if written + len(chunk) > room:
                raise too_large
            out.write(chunk)
            written += len(chunk)
    except (ClientDisconnected, ConnectionError):
        pass  # keep what arrived; the client resumes from the offset HEAD reports
    return written


def _store(session: Session, store: Multipart, upload: Upload, buffer: Path, size: int, offset: int) -> None:
    """The buffer as the next part (full, or the end of the upload) or as the new tail; then the row."""
    old_tail = upload.tail_key
    if size >= PART_MIN or offset >= upload.length_bytes:
        number = len(upload.parts) + 1
        etag = store.put_part(upload.key, str(upload.multipart_id), number, buffer)
        upload.parts.append(UploadPart(number=number, etag=etag, size_bytes=size))
        upload.tail_key = ""
    else:
        upload.tail_key = f"uploads/{upload.id}.tail/{secrets.token_hex(8)}"
        store.put(upload.tail_key, buffer)
        pending_files.written(session, cast(Storage, store), upload.tail_key)
    if old_tail:
        pending_files.drop_on_commit(session, cast(Storage, store), old_tail)
    upload.offset_bytes = offset
    if upload.is_complete and upload.completed_at is None:
        upload.completed_at = utcnow()
    session.flush()


def fetch_finished(session: Session, store: Multipart, scratch: LocalStorage, upload: Upload) -> Path:
    """Join a finished upload's parts into its object and copy that to this host's scratch folder (to check and
    hash it); the copy goes with the transaction, the object once it commits (the asset keeps its own)."""
    parts = [(p.number, p.etag) for p in upload.parts]
    if not parts:  # an empty upload: one empty part, which S3 allows as the last
        with tempfile.TemporaryDirectory(dir=scratch.tmp, prefix="tus-") as work:
            (Path(work) / "empty").touch()
            parts = [(1, store.put_part(upload.key, str(upload.multipart_id), 1, Path(work) / "empty"))]
    try:
        store.complete_multipart(upload.key, str(upload.multipart_id), parts)
    except Exception:  # noqa: BLE001 - already joined by an earlier attempt whose transaction did not commit?
        store.open(upload.key).close()  # ... then the object is there; else this raises what is wrong
    path = scratch.path(upload.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(store.open(upload.key)) as body, path.open("wb") as out:
        shutil.copyfileobj(body, out, 1024 * 1024)
    pending_files.written(session, scratch, upload.key)
    pending_files.drop_on_commit(session, cast(Storage, store), upload.key)
    return path


def drop(session: Session, store: Multipart, upload: Upload) -> None:
    """Once this transaction commits: abort the multipart upload (its parts go), remove the tail and the object."""
    pending_files.drop_on_commit(session, _aborting(store, str(upload.multipart_id)), upload.key)
    pending_files.drop_on_commit(session, cast(Storage, store), f"uploads/{upload.id}.tail")
    pending_files.drop_on_commit(session, cast(Storage, store), upload.key)
