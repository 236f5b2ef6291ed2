"""Stored files in any S3-compatible object store (AWS S3, MinIO, SeaweedFS, Ceph RGW, OSS/COS gateways), through
boto3: the reference S3 client, which reads the standard AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (and AWS_DEFAULT_REGION) by itself, signs presigned URLs without a network round trip, and
sends large files in parts.

The operator creates the bucket and keeps it private; every object lives under PREFIX/<area>/. Nothing is
public: players get short-lived presigned URLs (media.serving), evidence is read by the app and sent to whoever
the policy allows.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.storage import check_key

CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".vtt": "text/vtt; charset=utf-8",
                 ".webp": "image/webp"}
_clients: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()
SIZE_CACHE = 20_000  # sizes of keys read back (playlists the player page weighs); a key is never rewritten in place


def client() -> Any:
    """One boto3 client per process and credentials (clients are thread-safe and costly to make)."""
    env = tuple(os.environ.get(k, "") for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                 "AWS_DEFAULT_REGION", "AWS_REGION"))
    with _lock:
        if env not in _clients:
            region = env[3] or env[4] or "us-east-1"
            _clients[env] = boto3.client("s3", region_name=region, config=Config(
                signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=5, read_timeout=60))
        return _clients[env]


def parse(location: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    bucket, _sep, prefix = location[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"MEDIA_STORAGE needs a bucket: s3://BUCKET/PREFIX, not {location!r}")
    return bucket, prefix.strip("/")


def content_type(key: str) -> str:
    suffix = os.path.splitext(key)[1]
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


class S3Storage:
    """The Storage interface on a bucket: a key is the object PREFIX/<key>; a "folder" is every object under it."""

    def __init__(self, bucket: str, prefix: str, s3: Any = None):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.s3 = s3 or client()
        self._sizes: dict[str, int] = {}

    @classmethod
    def at(cls, location: str, area: str) -> S3Storage:
        bucket, prefix = parse(location)
        return cls(bucket, f"{prefix}/{area}" if prefix else area)

    def name(self, key: str) -> str:
        return f"{self.prefix}/{check_key(key)}" if self.prefix else check_key(key)

    def put(self, key: str, source: BinaryIO | Path) -> int:
        extra = {"ContentType": content_type(key)}
        if isinstance(source, Path):
            self.s3.upload_file(str(source), self.bucket, self.name(key), ExtraArgs=extra)
            size = source.stat().st_size
        else:
            counted = _Counting(source)
            self.s3.upload_fileobj(counted, self.bucket, self.name(key), ExtraArgs=extra)
            size = counted.count
        self._sizes.pop(key, None)
        return size

    def put_tree(self, prefix: str, folder: Path) -> None:
        """Every file of a finished folder under `prefix`, playlists last (a reader that finds the master finds
        what it names); the folder is removed once all is stored. The database points at the prefix only after."""
        files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: (p.suffix == ".m3u8", str(p)))
        for path in files:
            self.put(f"{prefix}/{path.relative_to(folder).as_posix()}", path)
        shutil.rmtree(folder, ignore_errors=True)

    def open(self, key: str) -> BinaryIO:
        try:
            body: BinaryIO = self.s3.get_object(Bucket=self.bucket, Key=self.name(key))["Body"]
        except ClientError as err:
            raise _missing(err, key) from err
        return body

    def url(self, key: str, *, expires_s: int, download_name: str | None = None) -> str:
        """A presigned GET, valid `expires_s` seconds (computed here, no request to the store)."""
        params = {"Bucket": self.bucket, "Key": self.name(key)}
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        url: str = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=max(1, int(expires_s)))
        return url

    def delete(self, key: str) -> None:
        """Remove an object, or every object under a folder; missing is fine."""
        try:
            names = [self.name(key)] + [self.name(k) for k in self.walk(key)]
            for start in range(0, len(names), 1000):
                self.s3.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": n} for n in names[start:start + 1000]], "Quiet": True})
        except (ClientError, BotoCoreError) as err:  # callers (media.pending_files) log OSError and go on
            raise OSError(f"could not delete {key}: {err}") from err
        self._sizes.pop(key, None)

    def _head(self, key: str) -> int | None:
        if key in self._sizes:
            return self._sizes[key]
        try:
            size = int(self.s3.head_object(Bucket=self.bucket, Key=self.name(key))["ContentLength"])
        except ClientError as err:
            if _status(err) == 404:
                return None
            raise
        if len(self._sizes) < SIZE_CACHE:
            self._sizes[key] = size
        return size

    def exists(self, key: str) -> bool:
        return self._head(key) is not None or next(self.walk(key), None) is not None

    def size(self, key: str) -> int:
        size = self._head(key)
        if size is not None:
            return size
        found = list(self._listing(key))
        if not found:
            raise FileNotFoundError(key)
        return sum(s for _k, s in found)

    def _listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        start = f"{self.prefix}/" if self.prefix else ""
        folder = f"{start}{check_key(prefix)}/" if prefix else start
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder):
            for item in page.get("Contents", []):
                yield item["Key"][len(start):], int(item["Size"])

    def walk(self, prefix: str = "") -> Iterator[str]:
        """Every object under `prefix` (all of this area when empty), as keys."""
        return (key for key, _size in self._listing(prefix))

    @contextmanager
    def local_copy(self, key: str, scratch: Path) -> Iterator[Path]:
        """The object downloaded into `scratch` (a worker's work space), removed afterwards."""
        handle, name = tempfile.mkstemp(dir=scratch, suffix=os.path.splitext(key)[1])
        os.close(handle)
        try:
            try:
                self.s3.download_file(self.bucket, self.name(key), name)
            except ClientError as err:
                raise _missing(err, key) from err
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    # -- multipart uploads: a tus upload received by any host (media.tus_s3) ---------------------------------

    def start_multipart(self, key: str) -> str:
        """Begin a multipart upload of `key`; its UploadId."""
        answer = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.name(key), ContentType=content_type(key))
        return str(answer["UploadId"])

    def put_part(self, key: str, upload_id: str, number: int, source: Path) -> str:
        """Store `source` as part `number` (at least 5 MiB unless it is the last); its ETag. The same number
        sent again replaces the part."""
        with source.open("rb") as body:
            answer = self.s3.upload_part(Bucket=self.bucket, Key=self.name(key), UploadId=upload_id,
                                         PartNumber=number, Body=body, ContentLength=source.stat().st_size)
        return str(answer["ETag"])

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        """Join the parts [(number, etag), ...] into the object `key`."""
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.name(key), UploadId=upload_id,
                                          MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})
        self._sizes.pop(key, None)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop a multipart upload and its parts; one already gone is fine."""
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.name(key), UploadId=upload_id)
        except ClientError as err:
            if _status(err) != 404 and "NoSuchUpload" not in str(err):
                raise OSError(f"could not abort the upload of {key}: {err}") from err
        except BotoCoreError as err:
            raise OSError(f"could not abort the upload of {key}: {err}") from err

    def multipart_uploads(self, prefix: str = "") -> list[tuple[str, str]]:
        """Multipart uploads in progress under `prefix`, as (key, UploadId)."""
        start = f"{self.prefix}/" if self.prefix else ""
        answer = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=start + prefix)
        return [(u["Key"][len(start):], u["UploadId"]) for u in answer.get("Uploads", [])]

    def check(self) -> None:
        """Raise OSError unless the bucket answers with these credentials (for /readyz)."""
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as err:
            raise OSError(f"bucket {self.bucket} not reachable: {err}") from err


class _Counting:
    """A readable stream that counts what was read (the size of a stored stream, without a HEAD)."""

    def __init__(self, source: BinaryIO):
        self.source, self.count = source, 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        return data


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _missing(err: ClientError, key: str) -> Exception:
    return FileNotFoundError(key) if _status(err) == 404 or "NoSuchKey" in str(err) else OSError(str(err))
