"""Each Whoosh internal the engine relies on (private names of the W3 codec, its matchers and writers, the
highlighter's formatter), checked against what Whoosh itself does through its public API, on an index large
enough that common words span several posting blocks. A Whoosh upgrade that changes one fails here, not in
a ranking. tests/search/test_segment_writer.py checks the writers byte for byte."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.formats import Frequency
from whoosh.highlight import HtmlFormatter, WholeFragmenter, highlight
from whoosh.qparser import QueryParser
from whoosh.writing import SegmentWriter

from search.documents import ResourceDoc, to_document
from search.engine_whoosh import snippets
from search.engine_whoosh.postings import decode
from search.engine_whoosh.schema import ChineseFrequency, build_schema
from search.engine_whoosh.store import IndexStore, PlainLengthsCodec
from search.engine_whoosh.tokenizer import ChineseTokenizer
from tests.search import corpus

COPIES = 4  # 80 corpus documents x 4: common words fill more than one block of 128 postings


def _documents() -> list[ResourceDoc]:
    docs = corpus.documents()
    return [replace(doc, id=doc.id + copy * 10_000) for copy in range(COPIES) for doc in docs]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The same documents through our store (fast writer, PlainLengthsCodec, then an update) and through
    Whoosh's own SegmentWriter with its default codec."""
    folder = tmp_path_factory.mktemp("internals")
    docs = _documents()
    updates = [replace(docs[3], title="电工基础（修订版）")]
    ours = IndexStore(folder / "ours")
    ours.rebuild(docs)
    ours.apply(updates, [docs[5].id])
    (folder / "whoosh").mkdir()
    ix = whoosh_index.create_in(str(folder / "whoosh"), build_schema())
    writer = SegmentWriter(ix)
    for doc in docs:
        writer.add_document(**to_document(doc))
    writer.commit()
    writer = SegmentWriter(ix)
    for doc in updates:
        writer.update_document(**to_document(doc))
    writer.delete_by_term("id", str(docs[5].id))
    writer.commit()
    return folder / "ours", folder / "whoosh"


def _public_postings(segreader, field: str, term) -> tuple[list[int], list[float]]:
    matcher = segreader.postings(field, term)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_decode_reads_every_posting_as_whooshs_matchers_do(built):
    """postings.decode: ListMatcher._ids/_weights (inlined postings) and the W3 leaf matcher's _read_data,
    _data, _lastblock, _goto and _nextoffset (posting blocks)."""
    ix = whoosh_index.open_dir(str(built[0]))
    several_blocks = 0
    with ix.searcher() as searcher:
        for segreader, _offset in searcher.reader().leaf_readers():
            for field in segreader.indexed_field_names():
                for term in segreader.lexicon(field):
                    ids, weights = _public_postings(segreader, field, term)
                    raw_ids, raw_weights = decode(segreader, field, term)  # deleted documents included
                    deleted = segreader.deleted_docs_set
                    kept = [(i, w) for i, w in zip(raw_ids, raw_weights, strict=True) if i not in deleted]
                    assert kept == list(zip(ids, weights, strict=True)), (field, term)
                    several_blocks += len(raw_ids) > 128
    assert several_blocks > 0  # the test saw multi-block postings


def test_field_lengths_read_from_the_lengths_column_are_whooshs(built):
    """postings._segment_data: segreader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)."""
    store = IndexStore(built[0])
    view = store.view()
    with view.io_lock:
        reader = view.reader
        for field, lengths in view.lengths.items():
            assert len(lengths) == reader.doc_count_all()
            for doc in range(0, reader.doc_count_all(), 7):
                assert lengths[doc] == reader.doc_field_length(doc, field, 0), (field, doc)


def test_whooshs_own_searcher_finds_the_same_in_our_index_as_in_its_own(built):
    """The fast writer with PlainLengthsCodec (no per-block length statistics) against Whoosh's writer with
    its default codec: Whoosh's own BM25F search finds the same documents with the same scores."""
    found = []
    for folder in built:
        ix = whoosh_index.open_dir(str(folder))
        with ix.searcher() as searcher:
            parser = QueryParser("body", ix.schema)
            results = []
            for query in ("电工", "title:焊工", "meta:护理", "pinyin:diangong", "kind:course", "电工 安全"):
                hits = searcher.search(parser.parse(query), limit=None)
                results.append(sorted((hit["id"], round(hit.score, 5)) for hit in hits))
            found.append(results)
    assert found[0] == found[1] and any(found[0])


def test_the_plain_lengths_codec_is_whooshs_w3_codec_without_length_statistics():
    codec = PlainLengthsCodec()
    assert codec.length_stats is False and type(codec).__mro__[1].length_stats is True


def test_chinese_frequency_gives_what_whooshs_frequency_format_gives():
    """schema.ChineseFrequency.word_values: the counting fast path equals Whoosh's generic path."""
    tokenizer = ChineseTokenizer()
    for text in ("维修电工，低压电工作业；PLC编程入门！C++与C语言", "ＰＬＣ 电工 电工证怎么考", ""):
        fast = sorted(ChineseFrequency(field_boost=8.0).word_values(text, tokenizer))
        generic = sorted(Frequency(field_boost=8.0).word_values(text, tokenizer))
        assert fast == generic


def test_the_snippet_formatter_escapes_and_marks_as_whooshs_html_formatter():
    """snippets._Formatter.format_token uses HtmlFormatter._text (its escaping): the same text and marks as
    Whoosh's own formatter, without its class attributes."""
    tokenizer = ChineseTokenizer()
    for title, terms in (("<b>电工</b> & 焊工：安全作业", {"电工", "焊工"}), ("叉车司机\"安全\"操作", {"安全"})):
        whooshs = highlight(title, terms, tokenizer, WholeFragmenter(), HtmlFormatter(tagname="mark"))
        assert str(snippets.title_html(title, terms)) == re.sub(r"<mark class=\"[^\"]*\">", "<mark>", whooshs)
        assert "<b>" not in str(snippets.title_html(title, terms))
