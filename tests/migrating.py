"""An app on an empty database (the test PostgreSQL one emptied first), for tests that migrate it from an old
revision and check what a data migration did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from tests.conftest import FAST_HASH, TEST_DATABASE_URL, _reset_postgres


def fresh_app(tmp_path: Path, **config: Any) -> Flask:
    if TEST_DATABASE_URL:
        _reset_postgres(TEST_DATABASE_URL)
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "m"), "SECRET_KEY": "x",
                       "DATABASE_URL": TEST_DATABASE_URL, "PASSWORD_HASH": FAST_HASH, "SHARED_PARTS_LISTEN": False,
                       **config})
