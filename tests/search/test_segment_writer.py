"""The fast segment writer writes exactly what Whoosh's own writer writes: the same bytes in every segment
file, whether documents come one by one, are updated (deletion + merge), or go through several processes."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.query import Term
from whoosh.writing import SegmentWriter

from search.documents import ResourceDoc, to_document
from search.engine_whoosh.schema import build_schema
from search.engine_whoosh.store import IndexStore, PlainLengthsCodec
from tests.search import corpus


def _documents() -> list[ResourceDoc]:
    docs = corpus.documents()
    # Clauses repeated inside one document, Latin words, full-width letters and a long body.
    odd = replace(docs[0], id=9001, title="ＰＬＣ编程入门，PLC编程入门！C++与C语言", summary="电工基础。电工基础。",
                  description_html="<p>" + "维修电工，低压电工作业；" * 40 + "</p>", tags=["电工", "电工", "plc"])
    return [*docs, odd]


def _segment_files(folder: Path) -> list[tuple[int, str, str]]:
    ix = whoosh_index.open_dir(str(folder))
    found = []
    for segment in ix._segments():
        storage = segment.open_compound_file(ix.storage) if segment.is_compound() else ix.storage
        prefix = segment.segment_id()
        for name in storage.list():
            if name.startswith(prefix):
                handle = storage.open_file(name)
                found.append((segment.doc_count_all(), name[len(prefix):],
                              hashlib.sha256(handle.read()).hexdigest()))
                handle.close()
    return sorted(found)


def _whoosh_build(folder: Path, docs: list[ResourceDoc], updates: list[ResourceDoc]) -> None:
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = SegmentWriter(ix, codec=PlainLengthsCodec())
    for doc in docs:
        writer.add_document(**to_document(doc))
    writer.commit()
    writer = SegmentWriter(ix, codec=PlainLengthsCodec())
    for doc in updates:
        writer.update_document(**to_document(doc))
    writer.commit()


def test_segments_are_byte_for_byte_whooshs(tmp_path):
    docs = _documents()
    updates = [replace(docs[1], title="电工基础（修订版）"), docs[2]]
    _whoosh_build(tmp_path / "whoosh", docs, updates)
    store = IndexStore(tmp_path / "ours")
    store.rebuild(docs)
    store.apply(updates, [])
    assert _segment_files(tmp_path / "ours") == _segment_files(tmp_path / "whoosh")


def _postings_by_id(folder: Path) -> dict[tuple[str, bytes], list[tuple[str, float, bytes]]]:
    ix = whoosh_index.open_dir(str(folder))
    found = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {doc: fields["id"] for doc, fields in enumerate(reader.all_stored_fields())}
        for fieldname in reader.indexed_field_names():
            for term in reader.lexicon(fieldname):
                matcher = reader.postings(fieldname, term)
                rows = []
                while matcher.is_active():
                    rows.append((ids[matcher.id()], matcher.weight(), matcher.value()))
                    matcher.next()
                found[(fieldname, term)] = sorted(rows)
    return found


def test_several_writer_processes_index_the_same(tmp_path):
    docs = _documents()
    one, two = IndexStore(tmp_path / "one"), IndexStore(tmp_path / "two")
    assert one.rebuild(docs) == two.rebuild(docs, procs=2) == len(docs)
    assert two.view().doc_count == len(docs)
    assert _postings_by_id(tmp_path / "two") == _postings_by_id(tmp_path / "one")


def test_terms_over_several_posting_blocks_are_byte_for_byte_whooshs(tmp_path):
    """Four copies of the corpus: common words fill more than one block of 128 postings (the fast path writes
    blocks whole, through W3PostingsWriter's private fields)."""
    docs = [replace(doc, id=doc.id + copy * 10_000) for copy in range(4) for doc in _documents()]
    _whoosh_build(tmp_path / "whoosh", docs, [])
    IndexStore(tmp_path / "ours").rebuild(docs)
    assert _segment_files(tmp_path / "ours") == _segment_files(tmp_path / "whoosh")


def test_single_postings_are_inlined(tmp_path):
    """A term with one posting (a document's id, a rare word) is kept in the term file, as Whoosh's writer
    keeps it with the same codec: found and deleted as before, in a smaller index."""
    docs = _documents()
    store = IndexStore(tmp_path / "ours")
    store.rebuild(docs)
    reader = store.view().searcher.reader()
    assert reader.term_info("id", str(docs[0].id)).is_inlined()
    assert not reader.term_info("kind", "course").is_inlined()
    assert [hit["id"] for hit in store.view().searcher.search(Term("id", str(docs[0].id)))] == [str(docs[0].id)]
    store.apply([], [docs[0].id])
    assert store.view().doc_count == len(docs) - 1
    assert not list(store.view().searcher.search(Term("id", str(docs[0].id))))
