"""Issue 20: at most 200 MB per web process. What only a PDF, an image or a migration needs is not imported by a
process that serves pages, and the caches kept between requests stay within their bytes whatever is asked."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.pagecache import PageCache
from app.sharedparts import SharedParts
from tests.conftest import TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("reportlab", "alembic", "mako", "flask_migrate", "PIL")
# The two processes below start on QIUXUE_DATA_DIR alone, so on SQLite in either pass of `make test`: the PostgreSQL
# pass would run the very same thing again (~25 s of its time), so they run once, in the SQLite pass.
OWN_SQLITE = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="starts on its own SQLite database whatever the "
                                "test database: checked once, in the SQLite pass")


@OWN_SQLITE
def test_a_web_process_starts_without_the_pdf_image_and_migration_libraries(tmp_path):
    code = ("import sys\nfrom app import create_app\ncreate_app()\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    env = {**os.environ, "QIUXUE_DATA_DIR": str(tmp_path), "QIUXUE_SECRET_KEY": "test", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@OWN_SQLITE
def test_the_migration_commands_still_migrate(tmp_path):
    env = {**os.environ, "QIUXUE_DATA_DIR": str(tmp_path), "QIUXUE_SECRET_KEY": "test", "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-c", "from app.cli import main; main()", "db"]
    subprocess.run([*run, "upgrade"], env=env, cwd=tmp_path, capture_output=True, check=True)
    current = subprocess.run([*run, "current"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "(head)" in current.stdout


def test_the_page_cache_keeps_at_most_its_bytes():
    cache = PageCache(60, max_bytes=10_000)
    for n in range(50):
        cache.put((f"/catalog/r/{n}", "zh_CN", "br"), b"x" * 1000, [])
    kept = [n for n in range(50) if cache.get((f"/catalog/r/{n}", "zh_CN", "br"))]
    assert kept == list(range(40, 50))  # the ten most recent pages, 10,000 bytes


def test_shared_parts_keep_at_most_their_bytes():
    parts = SharedParts(None, 60, max_bytes=100_000)
    made: list[int] = []
    for n in range(40):
        parts.get_or_make(n, lambda n=n: made.append(n) or "页" * 5000)  # ~10 KB of text each
    parts.get_or_make(39, lambda: made.append(-1) or "")  # the newest is still kept
    parts.get_or_make(0, lambda: made.append(-2) or "")  # the oldest was dropped
    assert made[-1] == -2 and -1 not in made


def test_shared_parts_count_the_html_a_kept_dataclass_holds():
    @dataclass(frozen=True)
    class Kept:
        parts: dict[str, str]

    parts = SharedParts(None, 60, max_bytes=100_000)
    made: list[int] = []
    for n in range(20):
        parts.get_or_make(n, lambda n=n: made.append(n) or Kept({"facts": "页" * 5000}))  # ~10 KB each
    parts.get_or_make(0, lambda: made.append(-1) or Kept({}))  # dropped: the 20 (~200 KB) did not fit in 100 KB
    assert made[-1] == -1
