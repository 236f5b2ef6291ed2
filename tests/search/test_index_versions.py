"""An index written by an older version of the code (its schema and its suggestion file's layout) is emptied and
asks for a rebuild, instead of failing searches; the rebuild brings everything back. What results show comes
from the one stored value, exactly as indexed."""

from __future__ import annotations

import sqlite3

from search.backend import SearchRequest
from search.engine_whoosh import WhooshBackend
from search.engine_whoosh.schema import SCHEMA_VERSION
from tests.search import corpus

OLD_SUGGEST_LAYOUT = """
CREATE TABLE entries (key TEXT NOT NULL, weight REAL NOT NULL, rid INTEGER NOT NULL, title TEXT NOT NULL);
CREATE INDEX ix_entries_key ON entries (key);
CREATE TABLE words (word TEXT NOT NULL, chinese TEXT NOT NULL, freq INTEGER NOT NULL, PRIMARY KEY (word, chinese));
CREATE TABLE variants (variant TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (variant, word));
INSERT INTO entries VALUES ('电工', 1.0, 999, '旧的电工课程');
"""


def test_an_index_of_an_older_version_is_emptied_answers_nothing_and_is_rebuilt(tmp_path):
    docs = corpus.documents()
    backend = WhooshBackend(tmp_path / "index")
    backend.rebuild(docs)
    gen = backend.store.path.parent
    (backend.store.path / "schema_version").write_text(str(SCHEMA_VERSION - 1))
    backend.suggestions.close()
    for leftover in gen.glob("suggest.sqlite*"):
        leftover.unlink()
    old = sqlite3.connect(gen / "suggest.sqlite")
    old.executescript(OLD_SUGGEST_LAYOUT)
    old.close()

    reopened = WhooshBackend(tmp_path / "index")  # a process started with the new code
    assert reopened.stats()["needs_rebuild"] is True
    assert reopened.search(SearchRequest(q="电工")).total == 0
    assert reopened.suggest("电工") == []  # the old layout's rows are gone, not misread

    reopened.rebuild(docs)
    assert reopened.stats()["needs_rebuild"] is False
    assert reopened.search(SearchRequest(q="电工")).total > 0
    assert reopened.suggest("电工") and all(s.id != 999 for s in reopened.suggest("电工"))


def test_a_hit_shows_the_resource_as_indexed(tmp_path):
    docs = corpus.documents()
    backend = WhooshBackend(tmp_path / "index")
    backend.rebuild(docs)
    by_id = {doc.id: doc for doc in docs}
    result = backend.search(SearchRequest(q="电工", per_page=50))
    assert result.hits
    for hit in result.hits:
        doc = by_id[hit.id]
        assert (hit.title, hit.kind, hit.provider, hit.provider_name, hit.credits) == (
            doc.title, doc.kind, doc.provider, doc.provider_name, float(doc.credits))
    assert any("<mark>电工</mark>" in hit.snippet for hit in result.hits)  # highlighted from the stored body
