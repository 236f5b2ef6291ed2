"""Fast read paths over one generation of the Whoosh index (a `View`).

Whoosh's matchers walk postings one Python call at a time (about 2 µs a posting: 150 ms for a common word
over 100,000 resources). A View instead decodes a term's posting blocks whole, scores them with BM25 once,
and keeps (doc numbers, scores, bitset) in a small LRU for as long as the index does not change, as `array`
columns (12 bytes a posting, where a Python int and float would take ~100): a word in every document of 100,000
is decoded, scored and kept without one list of 100,000 Python numbers (scored SCORE_BLOCK at a time). Matching
is then set algebra on sets and Python ints used as bitsets, which run in C:

- facet values are bitsets built once per segment (segments never change; deletions are masked by `live`),
- facet counts are `(matched & value).bit_count()`,
- sort keys (published_at, enrolled) are arrays and field lengths plain lists, indexed by global doc number.

Decoding reads a few private attributes of Whoosh's W3 codec (pinned exactly by setup.cfg: whoosh-reloaded
2.7.5); anything else falls back to the public matcher API. tests/search/test_whoosh_internals.py checks each
against Whoosh's own matchers and scorer.
"""

from __future__ import annotations

import re
import threading
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, compress
from typing import Any, NamedTuple, cast

# Whoosh internals (_lenfield, LENGTHS_COLUMN, SegmentReader._perdoc): tested by
# tests/search/test_whoosh_internals.py::test_field_lengths_read_from_the_lengths_column_are_whooshs
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import ListMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

from search import ranking
from search.backend import FACETS
from search.ranking import PINYIN_FIELDS, TEXT_FIELDS

SCORED_FIELDS = {**TEXT_FIELDS, **PINYIN_FIELDS}
SORT_COLUMNS = ("published_at", "enrolled")
CACHE_POSTINGS = 500_000  # decoded postings kept per view (about 12 bytes each: 6 MB; issue 20, 200 MB a process)
SCORE_BLOCK = 8_192  # postings scored at a time: BM25's lists of Python floats stay this short (~0.5 MB)
LIVE_CACHE = 50_000  # `View.has_live` answers kept per view
_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]
_BIT = [1 << i for i in range(8)]
_BYTE_BITS = [tuple(i for i in range(8) if b >> i & 1) for b in range(256)]
_NONZERO = re.compile(rb"[^\x00]+")
_segment_cache: OrderedDict[str, SegmentData] = OrderedDict()  # segment id -> its static arrays
_segment_lock = threading.Lock()


class Posting(NamedTuple):
    ids: array[int]      # global doc numbers, ascending (typecode "i")
    scores: array[float]   # BM25 contribution of this term in this field, per doc
    bits: int       # the same doc numbers as a bitset


class SegmentData(NamedTuple):
    facets: dict[str, dict[str, int]]  # facet field -> value -> local bitset
    sort: dict[str, array[int]]        # column -> value per local doc number (typecode "q")
    lengths: dict[str, list[int]]      # scored field -> length per local doc number


def ids_to_bits(ids: Iterable[int], size: int) -> int:
    buffer = bytearray((size >> 3) + 1)
    for doc in ids:
        buffer[doc >> 3] |= _BIT[doc & 7]
    return int.from_bytes(buffer, "little")


def bits_to_ids(bits: int) -> list[int]:
    """Doc numbers of a bitset in ascending order (C scans for the non-zero bytes)."""
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    out: list[int] = []
    for run in _NONZERO.finditer(raw):
        for index, byte in enumerate(run.group(), run.start()):
            base = index << 3
            out.extend([base + bit for bit in _BYTE_BITS[byte]])
    return out


def decode(segreader: Any, field: str, term: str) -> tuple[list[int], list[float]]:
    """Local doc numbers and weights of a term in one segment, deleted documents included."""
    ids: list[int] = []
    weights: list[float] = []
    for block_ids, block_weights in decode_blocks(segreader, field, term):
        ids.extend(block_ids)
        weights.extend(block_weights)
    return ids, weights


def decode_blocks(segreader: Any, field: str, term: str) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """`decode` a posting block at a time (Whoosh's blocks: ~128 postings), so a common word's postings go into
    arrays without first being one list of Python numbers."""
    try:
        matcher = segreader.postings(field, term)
    except Exception:  # noqa: BLE001 - Whoosh raises TermNotFound (and KeyError on some paths)
        return
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if isinstance(matcher, ListMatcher):
        # Whoosh internals (ListMatcher._ids/_weights): tested by
        # tests/search/test_whoosh_internals.py::test_decode_reads_every_posting_as_whooshs_matchers_do
        ids = list(matcher._ids)
        weights = matcher._weights
        yield ids, list(weights) if weights is not None else [1.0] * len(ids)
        return
    if not hasattr(matcher, "_read_data"):  # another codec: the slow, public way
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while True:
        # Whoosh internals (the W3 leaf matcher's _data/_read_data/_lastblock/_goto/_nextoffset): tested by
        # tests/search/test_whoosh_internals.py::test_decode_reads_every_posting_as_whooshs_matchers_do
        if matcher._data is None:
            matcher._read_data()
        block_ids, block_weights, _values = matcher._data
        count = len(block_ids)
        if block_weights is None:
            block_weights = [1.0] * count
        elif isinstance(block_weights, float):
            block_weights = [block_weights] * count
        yield list(accumulate(block_ids)), list(block_weights)
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def _segment_data(segreader: Any) -> SegmentData:  # a Whoosh SegmentReader
    key = segreader.segment().segment_id()
    with _segment_lock:
        if key in _segment_cache:
            _segment_cache.move_to_end(key)
            return _segment_cache[key]
    size = segreader.doc_count_all()
    facets = {}
    for field in FACETS.values():
        facets[field] = {value.decode("utf-8") if isinstance(value, bytes) else value:
                         ids_to_bits(decode(segreader, field, value)[0], size)
                         for value in segreader.lexicon(field)}
    sort = {name: array("q", [int(v or 0) for v in segreader.column_reader(name)]) for name in SORT_COLUMNS}
    lengths = {}
    for field in SCORED_FIELDS:
        # Whoosh internals (SegmentReader._perdoc._cached_reader): tested by
        # tests/search/test_whoosh_internals.py::test_field_lengths_read_from_the_lengths_column_are_whooshs
        column = segreader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        lengths[field] = [_LENGTH_OF_BYTE[b] for b in column] if column is not None else [0] * size
    data = SegmentData(facets, sort, lengths)
    with _segment_lock:
        _segment_cache[key] = data
        while len(_segment_cache) > 64:
            _segment_cache.popitem(last=False)
    return data


class View:
    """One generation of the index, with everything a query needs precomputed. Shared by threads."""

    def __init__(self, searcher: Any) -> None:  # a Whoosh Searcher
        self.searcher = searcher
        # Its segment files are open (read as needed, not copied: IndexStore._searcher): closed once this View is
        # no longer used by any thread, when it is collected.
        weakref.finalize(self, searcher.close)
        self.reader = searcher.reader()
        self.generation = self.reader.generation()
        # An empty index has one EmptyReader leaf without a segment: nothing to read there.
        self.leaves = [(r, offset) for r, offset in self.reader.leaf_readers() if r.segment() is not None]
        self.size = self.reader.doc_count_all()
        self.doc_count = self.reader.doc_count()
        self.io_lock = threading.Lock()  # Whoosh's readers seek shared file objects: one reader at a time
        self._cache: OrderedDict[tuple[str, str], Posting | None] = OrderedDict()
        self.memo: OrderedDict[tuple[str, str], object] = OrderedDict()  # execute.py's per-word matches
        self.memo_docs = 0  # documents held in `memo`, to bound it
        self.ranked: OrderedDict[object, object] = OrderedDict()  # execute.py's per-query bitsets and first ranks
        self.ranked_bytes = 0  # bytes held in `ranked`, to bound it
        self.browse_facets: dict[object, object] = {}  # execute.py's facet counts without a query, per filters
        self._cached_postings = 0
        self._live: dict[tuple[str, str], bool] = {}  # `has_live` answers of this generation
        self.facets: dict[str, dict[str, int]] = {field: {} for field in FACETS.values()}
        self.sort: dict[str, array[int]] = {name: array("q") for name in SORT_COLUMNS}
        self.lengths: dict[str, list[int]] = {field: [] for field in SCORED_FIELDS}
        deleted_bits = 0
        with self.io_lock:
            for segreader, offset in self.leaves:
                data = _segment_data(segreader)
                for field, values in data.facets.items():
                    for value, bits in values.items():
                        self.facets[field][value] = self.facets[field].get(value, 0) | bits << offset
                for name, column in data.sort.items():
                    self.sort[name].extend(column)
                for field, lengths in data.lengths.items():
                    self.lengths[field].extend(lengths)
                if segreader.deleted_docs_set:
                    deleted_bits |= ids_to_bits(segreader.deleted_docs_set, segreader.doc_count_all()) << offset
        self.live = ((1 << self.size) - 1) & ~deleted_bits
        self.avg_length = {field: (self.reader.field_length(field) / self.doc_count if self.doc_count else 1.0)
                           or 1.0 for field in SCORED_FIELDS}

    def doc_frequency(self, field: str, term: str) -> int:
        with self.io_lock:
            return cast(int, self.reader.doc_frequency(field, term))

    def has_term(self, field: str, term: str) -> bool:
        with self.io_lock:
            return (field, term) in self.reader

    def has_live(self, field: str, term: str) -> bool:
        """Whether a document of this generation that is not deleted holds `term` (an id: still published).
        Remembered for the generation: autocomplete asks about the same popular resources again and again."""
        key = (field, term)
        found = self._live.get(key)
        if found is None:
            with self.io_lock:
                found = any(doc not in segreader.deleted_docs_set
                            for segreader, _offset in self.leaves for doc in decode(segreader, field, term)[0])
                if len(self._live) >= LIVE_CACHE:
                    self._live.clear()
                self._live[key] = found
        return found

    def posting(self, field: str, term: str) -> Posting | None:
        """The scored postings of `term` in `field` over live documents; None when absent."""
        key = (field, term)
        cache = self._cache
        if key in cache:
            posting = cache[key]
            cache.move_to_end(key)
            return posting
        posting = self._load(field, term)
        with self.io_lock:
            cache[key] = posting
            self._cached_postings += len(posting.ids) if posting else 0
            while self._cached_postings > CACHE_POSTINGS and len(cache) > 1:
                _old, dropped = cache.popitem(last=False)
                self._cached_postings -= len(dropped.ids) if dropped else 0
        return posting

    def _load(self, field: str, term: str) -> Posting | None:
        ids: array[int] = array("i")
        weights: array[float] = array("d")
        with self.io_lock:
            for segreader, offset in self.leaves:
                deleted = segreader.deleted_docs_set
                for block_ids, block_weights in decode_blocks(segreader, field, term):
                    if deleted:
                        kept = [doc not in deleted for doc in block_ids]
                        block_ids, block_weights = list(compress(block_ids, kept)), list(compress(block_weights, kept))
                    ids.extend([doc + offset for doc in block_ids] if offset else block_ids)
                    weights.extend(block_weights)
        if not ids:
            return None
        boost, lengths, frequency = SCORED_FIELDS[field], self.lengths[field], len(ids)
        scores: array[float] = array("d")
        for start in range(0, frequency, SCORE_BLOCK):
            block = ids[start:start + SCORE_BLOCK]
            scores.extend(ranking.bm25([w / boost for w in weights[start:start + SCORE_BLOCK]],
                                       [lengths[doc] for doc in block], boost, self.doc_count,
                                       self.avg_length[field], frequency))
        return Posting(ids, scores, ids_to_bits(ids, self.size))

    def stored(self, doc: int) -> dict[str, Any]:
        with self.io_lock:
            return cast(dict[str, Any], self.searcher.stored_fields(doc))
