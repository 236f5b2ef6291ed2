"""The generation files in DATA_DIR/cache through which the processes of a host tell each other of changes
(app/sharedparts.py): each change appends a record; a reader compares the file's (inode, size) with what it read
last, and reads on from there (app/part_scopes.py). Past FILE_LIMIT bytes on disk the file starts again."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import has_request_context, request

FILE_LIMIT = 65536  # bytes on disk; the file starts again (a new inode) past this (`_start_again`)


def append(path: Path, record: bytes) -> None:
    """One change's record, appended (O_APPEND: never lost between processes), or in a file started again."""
    found = path.stat() if path.exists() else None
    if found is not None and _on_disk(found) >= FILE_LIMIT:
        _start_again(path, found.st_size, record)
    else:
        with open(path, "ab") as fh:
            fh.write(record)


def _start_again(path: Path, size: int, record: bytes) -> None:
    """Replace the generation file by a new one holding `record` after a hole of `size` bytes (sparse: nothing on
    disk). Its size then only ever grows, so no (inode, size) is seen twice: a file system handing the new file an
    inode a process last read with a larger size (ext4 does, two restarts later) would otherwise pass for "a
    request's older look" (part_scopes.Versions) or for an old generation, and every change since went unseen.
    The new file is written under a name of this process's own, then moved into place. A file system that keeps
    no holes gets the record alone, as before."""
    fresh = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.new")
    with open(fresh, "wb") as fh:
        fh.seek(size)
        fh.write(record)
    if _on_disk(fresh.stat()) >= FILE_LIMIT:
        fresh.write_bytes(record)
    os.replace(fresh, path)


def _on_disk(found: os.stat_result) -> int:
    """The bytes a file takes on disk (its holes take none), where the system says."""
    blocks = getattr(found, "st_blocks", None)
    return found.st_size if blocks is None else blocks * 512


def file_state(path: Path) -> tuple[int, int, int]:
    """A generation file's (inode, size, mtime), read once per request: a page asks the stores up to five times
    (the user, the bell twice, the layout, the page's part), and each `stat` let go of the GIL, so under load each
    waited for it again (40% of a signed-in list page's wall time, bench/profiles/http-in-list-wallclock-*).
    Another process's change then shows from the next request on; this process's own changes are in the
    stores' exact counter, read every time. Outside a request: every time."""
    seen: dict[Path, tuple[int, int, int]] | None = None
    if has_request_context():
        seen = request.environ.setdefault("qiuxue.generation_files", {})
        if path in seen:
            return seen[path]
    try:
        stat = os.stat(path)
        state = stat.st_ino, stat.st_size, stat.st_mtime_ns
    except OSError:
        state = 0, 0, 0
    if seen is not None:
        seen[path] = state
    return state
