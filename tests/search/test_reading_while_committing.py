"""A search opened while the indexer commits (search/engine_whoosh/store.py `IndexStore._searcher`): Whoosh finds the
newest generation's table of contents by listing the folder, then opens it, and a commit in between removes it;
the search then opens the generation that replaced it instead of failing (it had failed a CI run with
FileNotFoundError, a 500 to whoever searched at that moment)."""

from __future__ import annotations

import threading
import time

import pytest

from search.documents import ResourceDoc
from search.engine_whoosh.store import IndexStore


# Whoosh's own reader retries (a segment merged away while opened) leave the files it had opened to the collector
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_searches_opened_while_commits_land_never_miss_the_index(tmp_path):
    store = IndexStore(tmp_path / "index")
    store.apply([ResourceDoc(id=1, title="电工入门", kind="course")], [])
    stop, errors, commits = threading.Event(), [], [0]

    def index() -> None:
        while not stop.is_set():
            store.apply([ResourceDoc(id=2 + commits[0] % 5, title="焊工基础", kind="course")], [])
            commits[0] += 1

    writer = threading.Thread(target=index)
    writer.start()
    opened, deadline = 0, time.monotonic() + 1.5
    try:
        while time.monotonic() < deadline:
            try:
                store._read_ix = None  # as a process's first search, or one after a rebuild switched folders
                store._searcher().close()
                opened += 1
            except OSError as error:  # what Whoosh raised when a commit removed the generation being opened
                errors.append(error)
    finally:
        stop.set()
        writer.join()
    assert commits[0] > 10 and opened > 50
    assert errors == []
