"""/readyz's storage check (app/observability/readiness.py): this host can write, read back and delete an object
where media live. The storage's own `check()` first (a folder that is not writable, a bucket that does not
answer), then a small probe object written under `readyz/` and removed (as root, a folder's mode says little)."""

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
    try:
        storage.check()
    except Exception as error:  # noqa: BLE001 - a bucket's client raises its own errors; /readyz answers 503 with it
        return f"storage cannot be written: {error}"
    host = "".join(c for c in socket.gethostname().lower() if c.isalnum())[:40] or "host"
    key = f"readyz/{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        storage.put(key, io.BytesIO(PROBE))
        with storage.open(key) as fh:
            if fh.read() != PROBE:
                return "storage returned other bytes than written"
    except OSError as error:
        return f"storage cannot be written: {error.strerror or type(error).__name__}"
    except Exception as error:  # noqa: BLE001 - as above: the object store's client errors are not OSErrors
        return f"storage cannot be written: {type(error).__name__}"
    finally:
        with contextlib.suppress(OSError):  # nothing was written, or a read-only storage: the reason is given
            storage.delete(key)
    return None
