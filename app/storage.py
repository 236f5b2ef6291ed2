"""Where stored files live: media (sources, renditions, posters, subtitles), covers and evidence. Every key is
built by us ("assets/12/k3f9a0/hls_360/seg_00001.ts", "claims/3/<token>.pdf"); a client's file name never reaches
the store. `Storage` is the small interface; `LocalStorage` keeps files in a folder under DATA_DIR (the default),
app.s3_storage keeps them in an S3 bucket (`MEDIA_STORAGE=s3://BUCKET/PREFIX`); app.stores picks one.

Keys are written whole or not at all: `put` writes a temporary file and renames it, `put_tree` renames
a finished folder into place, so a reader never sees half a rendition.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

KEY_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]*(/[a-z0-9_][a-z0-9_.-]*)*$")


class BadKey(ValueError):
    """A key we did not build: upper case, `..`, absolute, or other characters."""


def check_key(key: str) -> str:
    if not KEY_RE.match(key) or ".." in key:
        raise BadKey(key)
    return key


class Storage(Protocol):
    def put(self, key: str, source: BinaryIO | Path) -> int: ...
    def put_tree(self, prefix: str, folder: Path) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def url(self, key: str, *, expires_s: int, download_name: str | None = None) -> str | None: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def walk(self, prefix: str = "") -> Iterator[str]: ...
    def local_copy(self, key: str, scratch: Path) -> Any: ...  # a context manager giving a local Path
    def check(self) -> None: ...


class LocalStorage:
    """Files under `root`. `path()` exists only here: the sendfile/X-Accel serving and tus need a real path."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp = self.root / "tmp"  # same file system as the keys, so renames are atomic
        self.tmp.mkdir(exist_ok=True)

    def path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise BadKey(key)
        return path

    def work_dir(self, name: str) -> Path:
        """A fresh folder for work in progress (e.g. a transcode), beside the keys."""
        path = self.tmp / f"{check_key(name)}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def put(self, key: str, source: BinaryIO | Path) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = self.tmp / f"put-{uuid.uuid4().hex}"
        if isinstance(source, Path):
            shutil.copyfile(source, partial)
        else:
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
        os.replace(partial, target)
        return target.stat().st_size

    def move_in(self, key: str, source: Path) -> int:
        """Take a local file (an upload finished beside us) without copying it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return target.stat().st_size

    def put_tree(self, prefix: str, folder: Path) -> None:
        """Rename a finished folder to `prefix` in one step; the prefix must be new."""
        target = self.path(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(prefix)
        os.rename(folder, target)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def url(self, key: str, *, expires_s: int = 0, download_name: str | None = None) -> str | None:
        return None  # served by the app (media.serving), which checks access first

    def delete(self, key: str) -> None:
        """Remove a file or a whole folder; missing is fine."""
        path = self.path(key)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def size(self, key: str) -> int:
        path = self.path(key)
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size

    def walk(self, prefix: str = "") -> Iterator[str]:
        """Every stored file under `prefix` (all when empty), work folders aside."""
        top = self.path(prefix) if prefix else self.root
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(self.root).as_posix()
            if path.is_file() and not relative.startswith("tmp/"):
                yield relative

    @contextmanager
    def local_copy(self, key: str, scratch: Path) -> Iterator[Path]:
        """The file itself: ffmpeg reads it where it is."""
        yield self.path(key)

    def check(self) -> None:
        """Raise OSError unless files can be written here (for /readyz)."""
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            raise OSError(f"storage folder {self.root} is not writable")


def get_storage(config: Mapping[str, Any]) -> LocalStorage:
    """This host's media folder: tus uploads in progress and transcode work folders, whatever MEDIA_STORAGE says
    (app.stores chooses where files are kept)."""
    root = config.get("MEDIA_DIR") or os.path.join(config["DATA_DIR"], "media")
    return LocalStorage(root)
