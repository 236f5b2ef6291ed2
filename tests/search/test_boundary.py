"""The search boundary: only the engine behind `SearchBackend` imports Whoosh, under an exact pin (its private
names are used there; tests/search/test_whoosh_internals.py checks them against that version)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_WHOOSH = re.compile(r"^\s*(from|import)\s+whoosh\b", re.MULTILINE)
ALLOWED = ("search/engine_whoosh/", "tests/search/", "bench/search_index.py")


def test_only_the_engine_imports_whoosh():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".", "node_modules/")) or "/." in relative or relative.startswith(ALLOWED):
            continue
        if IMPORTS_WHOOSH.search(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(relative)
    assert offenders == []


def test_whoosh_is_pinned_to_the_version_its_internals_were_checked_against():
    setup = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    assert re.search(r"^\s*whoosh-reloaded==2\.7\.5\s*$", setup, re.MULTILINE)
    assert version("whoosh-reloaded") == "2.7.5"  # the environment the tests run in is that version
