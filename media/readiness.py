"""/readyz's storage check (app/observability/readiness.py): this host can write, read back and delete an object
where media live. A storage that offers `check()` (the object store) answers for itself; otherwise a small probe
object is written under `readyz/` and removed."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import uuid

from flask import Flask

from media.service import MediaSettings

PROBE = b"qiuxue readiness probe\n"


def storage_ready(app: Flask) -> str | None:
    storage = MediaSettings.of(app).storage
    check = getattr(storage, "check", None)
    if callable(check):
        return None if check() is not False else "storage check failed"
    host = "".join(c for c in socket.gethostname().lower() if c.isalnum())[:40] or "host"
    key = f"readyz/{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        storage.put(key, io.BytesIO(PROBE))
        with storage.open(key) as fh:
            if fh.read() != PROBE:
                return "storage returned other bytes than written"
    except OSError as error:
        return f"storage cannot be written: {error.strerror or type(error).__name__}"
    finally:
        with contextlib.suppress(OSError):  # nothing was written, or a read-only storage: the reason is given
            storage.delete(key)
    return None
