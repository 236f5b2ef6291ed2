"""Which store keeps each kind of file, by configuration alone: folders under DATA_DIR by default, or folders
under PREFIX in an S3 bucket with `MEDIA_STORAGE=s3://BUCKET/PREFIX`. The same relative keys in both, so
`qiuxue media migrate-storage` copies a data folder to the bucket as it is."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.storage import LocalStorage, Storage

# The kinds of stored files, each a folder under DATA_DIR locally and a folder under PREFIX in a bucket.
AREAS = ("media", "covers", "claim_evidence", "credit_evidence")


def local_root(config: Mapping[str, Any], area: str = "media") -> Path:
    if area == "media" and config.get("MEDIA_DIR"):
        return Path(config["MEDIA_DIR"])
    return Path(config["DATA_DIR"]) / area


def area(config: Mapping[str, Any], name: str) -> Storage:
    """The configured store of one kind of file: a folder under DATA_DIR, or PREFIX/<name>/ in the bucket."""
    location = str(config.get("MEDIA_STORAGE") or "")
    if location.startswith("s3://"):
        try:
            from app import s3_storage  # optional dependency (boto3, the `s3` extra): loaded only when configured
        except ImportError as err:
            raise RuntimeError("MEDIA_STORAGE=s3://... needs boto3: pip install 'qiuxue[s3]'") from err
        return s3_storage.S3Storage.at(location, name)
    if location:
        raise ValueError(f"MEDIA_STORAGE must be empty or s3://BUCKET/PREFIX, not {location!r}")
    return LocalStorage(local_root(config, name))


def of(files: Storage | str, name: str) -> Storage:
    """A service's `files` argument: a store, or a data folder (the local default, as the tests pass it)."""
    return LocalStorage(Path(files) / name) if isinstance(files, str) else files
