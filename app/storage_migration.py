"""Copying a local data folder's stored files into the configured object store (`qiuxue media migrate-storage`),
checking each object by reading it back: a copy is trusted only when the bytes in the bucket hash to what the
disk holds. Run again, it skips objects already there with the same size and checks them all again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from app.storage import BadKey, LocalStorage, Storage, check_key

CHUNK = 1024 * 1024
LOCAL_ONLY = ("tmp/", "uploads/")  # work folders and tus uploads in progress stay on their host


@dataclass
class Report:
    copied: int = 0
    already: int = 0            # there before, same size (still checked)
    verified: int = 0
    mismatched: list[str] = field(default_factory=list)  # in the bucket with other bytes than on disk
    refused: list[str] = field(default_factory=list)     # names we did not build: not copied

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.refused


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    while block := stream.read(CHUNK):
        digest.update(block)
    return digest.hexdigest()


def migrate(source: LocalStorage, target: Storage, on_key: Callable[[str, str], None] | None = None) -> Report:
    """Copy every file of `source` (work folders and uploads in progress aside) to the same key in `target`."""
    report = Report()
    for key in source.walk():
        if key.startswith(LOCAL_ONLY):
            continue
        path = source.path(key) if _valid(key) else None
        if path is None:
            report.refused.append(key)
            continue
        try:
            present = target.size(key) == path.stat().st_size
        except FileNotFoundError:
            present = False
        if present:
            report.already += 1
        else:
            target.put(key, path)
            report.copied += 1
        with path.open("rb") as local, target.open(key) as stored:
            same = sha256_of(local) == sha256_of(stored)
        if same:
            report.verified += 1
        else:
            report.mismatched.append(key)
        if on_key is not None:
            on_key(key, "ok" if same else "MISMATCH")
    return report


def _valid(key: str) -> bool:
    try:
        check_key(key)
    except BadKey:
        return False
    return True
