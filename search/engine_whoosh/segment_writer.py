"""Writing a Whoosh segment faster than Whoosh's own writer, with the same bytes on disk.

Whoosh's SegmentWriter puts every posting into a sorting pool as a 5-tuple, sorts the millions of them at
commit and feeds them one call at a time to the codec: two thirds of a rebuild. `BulkSegmentWriter` instead
notes, per field, which documents contain each distinct *unit* of text: a whole short value (kind, provider,
an id), a keyword (a pinyin spelling), or a clause of Chinese text (a line or sentence: lesson titles,
teachers, tags and template sentences repeat across thousands of documents). Each distinct unit is analysed
once. At commit every term's postings are assembled from the units that contain it, with C-level counting
and sorting, and written a block (128 postings) at a time.

`parallel_writer.BulkMultiWriter` runs this writer in several processes, one segment each.

Anything unusual (document boosts, spelling or vector fields, a codec with length statistics, merged
segments) takes Whoosh's generic path or per-posting adds, so the result never depends on the path taken.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator
from itertools import chain, repeat
from operator import itemgetter, sub
from typing import Any, NamedTuple

from whoosh.analysis import RegexTokenizer

# Whoosh internals (W3 codec private names): tested by
# tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3PostingsWriter, _lenfield
from whoosh.formats import Frequency
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from search.engine_whoosh.schema import ChineseFrequency
from search.engine_whoosh.tokenizer import ChineseTokenizer

WHOLE_VALUE = 32  # characters: a value up to this long is one unit even where it could be split
KEYWORD_PATTERN = r"[^ \t\r\n]+"  # Whoosh's KEYWORD tokenizer (SpaceSeparatedTokenizer)
_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)
_LENGTH_BYTE = [length_to_byte(n) for n in range(4096)]

Pair = tuple[float, bytes]  # a posting's (weight, value bytes)


class FrequencyValues(dict):
    """frequency -> (weight, value bytes) as Whoosh's Frequency format makes them, built on first use."""

    def __init__(self, boost: float):
        super().__init__()
        self.boost = boost

    def __missing__(self, freq: int) -> Pair:
        value = self[freq] = (freq * self.boost, pack_uint(freq))
        return value


class Constant(NamedTuple):
    """The (weight, value bytes) of every posting of a term."""

    pair: Pair


class FieldPlan(NamedTuple):
    """How BulkSegmentWriter indexes a field, worked out once per field."""

    field: Any
    split: Callable[[str], list[str]] | None     # value -> units whose term counts add up (None: one unit)
    unit_counts: Callable[[str], tuple] | None   # unit -> ((term bytes, count), ...)
    values: FrequencyValues | None               # count -> posting (weight, value bytes), with `split`


class FieldPostings:
    """One field's postings in a segment being written: unit -> [doc numbers, terms, length, repeated]
    (`repeated`: some document holds the unit twice), plus single postings added one by one."""

    __slots__ = ("units", "single")

    def __init__(self) -> None:
        self.units: dict[Any, list] = {}
        self.single: list[tuple[bytes, int, Pair]] = []  # (term, doc number, (weight, value bytes))


class TermPool:
    """Stands in for Whoosh's PostingPool (see the module doc)."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldPostings] = {}
        self.fieldnames: set[str] = set()  # read by Whoosh's multi-process writer
        self.values: dict[str, FrequencyValues] = {}  # fields whose units hold counts (set by the writer)

    def field(self, fieldname: str) -> FieldPostings:
        postings = self.fields.get(fieldname)
        if postings is None:
            postings = self.fields[fieldname] = FieldPostings()
            self.fieldnames.add(fieldname)
        return postings

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting (fieldname, term bytes, doc number, weight, value bytes), as Whoosh's pool takes it
        (Whoosh's own add_document and merges of small segments come through here)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self.field(fieldname).single.append((tbytes, docnum, (weight, vbytes or b"")))

    def terms(self, fieldname: str, values: FrequencyValues | None) -> Iterator[tuple[bytes, array, Any]]:
        """(term bytes, doc numbers, (weight, value bytes) per doc or one Constant for all) of a field in
        term order, in doc order.
        `values` given: the field's units hold counts (summed per document); else they hold postings."""
        postings = self.fields[fieldname]
        chunks: dict[bytes, list] = {}
        for docs, terms, _length, repeated in postings.units.values():
            for tbytes, item in terms:
                found = chunks.get(tbytes)
                if found is None:
                    chunks[tbytes] = [(docs, item, repeated)]
                else:
                    found.append((docs, item, repeated))
        single: dict[bytes, list] = {}
        for tbytes, docnum, pair in postings.single:
            single.setdefault(tbytes, []).append((docnum, pair))
        for tbytes in sorted(chunks.keys() | single.keys()):
            parts = chunks.get(tbytes, ())
            if len(parts) == 1 and not parts[0][2] and tbytes not in single:
                docs, item, _repeated = parts[0]
                pair = values[item] if values is not None else item
                yield tbytes, array("I", docs), Constant(pair)
                continue
            rows: list[tuple[int, Pair]] = []
            if values is not None and parts:
                counts: Counter[int] = Counter()
                for docs, count, _repeated in parts:
                    counts.update(docs if count == 1 else chain.from_iterable(repeat(docs, count)))
                rows = list(zip(counts.keys(), map(values.__getitem__, counts.values()), strict=True))
            elif parts:
                rows = list(chain.from_iterable(zip(docs, repeat(pair)) for docs, pair, _repeated in parts))
            rows += single.get(tbytes, ())
            rows.sort(key=_first)
            yield tbytes, array("I", map(_first, rows)), list(map(_second, rows))

    def iter_postings(self):
        """Every posting in Whoosh's pool order, for Whoosh's generic segment writing."""
        for fieldname in sorted(self.fields):
            for tbytes, docs, pairs in self.terms(fieldname, self.values.get(fieldname)):
                if isinstance(pairs, Constant):
                    pairs = [pairs.pair] * len(docs)
                for docnum, (weight, vbytes) in zip(docs, pairs, strict=True):
                    yield fieldname, tbytes, docnum, weight, vbytes

    def save(self) -> None:
        pass  # everything stays in memory until the segment is written

    def cleanup(self) -> None:
        self.fields.clear()


class BulkSegmentWriter(SegmentWriter):
    """A SegmentWriter with a `TermPool` and a direct path from our fields to it (see the module doc)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:  # a Whoosh index; SegmentWriter's options
        super().__init__(ix, **kwargs)
        self.pool = TermPool()
        self._plans: dict[str, FieldPlan] = {}
        self._length_columns: dict[str, Any] = {}
        self._lengths: dict[str, tuple[int, bytearray]] = {}

    def _plan(self, fieldname: str) -> FieldPlan:
        plan = self._plans.get(fieldname)
        if plan is None:
            field = self.schema[fieldname]
            if field.separate_spelling() or field.vector:
                raise _Generic
            analyzer, fmt = field.analyzer, field.format
            split = unit_counts = values = None
            if isinstance(analyzer, ChineseTokenizer) and isinstance(fmt, ChineseFrequency):
                split, unit_counts = analyzer.clauses, analyzer.clause_counts
            elif (type(analyzer) is RegexTokenizer and not analyzer.gaps  # noqa: E721 - exactly Whoosh's
                  and analyzer.expression.pattern == KEYWORD_PATTERN and type(fmt) is Frequency):
                split, unit_counts = analyzer.expression.findall, _keyword_counts
            if split is not None:
                values = self.pool.values[fieldname] = FrequencyValues(fmt.field_boost)
            plan = self._plans[fieldname] = FieldPlan(field, split, unit_counts, values)
        return plan

    def add_document(self, **fields: Any) -> None:
        try:
            if any(name.startswith("_") for name in fields):
                raise _Generic  # boosts or custom stored values
            # Whoosh internals (SegmentWriter._check_fields/_check_state/_added, perdoc._storedfields): tested by
            # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
            self._check_fields(self.schema, list(fields))  # Whoosh's UnknownFieldError for a bogus name
            plans = [(name, self._plan(name)) for name in sorted(fields) if fields[name] is not None]
            if not all(isinstance(fields[name], str) for name, plan in plans if plan.field.indexed):
                raise _Generic
        except _Generic:
            self._write_lengths()
            return super().add_document(**fields)
        self._check_state()
        perdoc = self.perdocwriter
        docnum = self.docnum
        perdoc.start_doc(docnum)
        try:
            for fieldname, plan in plans:
                value = fields[fieldname]
                field = plan.field
                if field.stored:
                    perdoc._storedfields[fieldname] = value
                if field.indexed:
                    length = self._index(fieldname, plan, value, docnum)
                    if length and field.scorable:  # W3PerDocWriter.add_field, into a buffer
                        base, data = self._lengths.get(fieldname) or self._length_buffer(fieldname)
                        gap = docnum - base - len(data)
                        if gap:
                            data.extend(bytes(gap))
                        data.append(_LENGTH_BYTE[length] if length < len(_LENGTH_BYTE) else length_to_byte(length))
                        perdoc._fieldlengths[fieldname] += length
                column = field.column_type
                if column:
                    perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        return None

    def _length_buffer(self, fieldname: str) -> tuple[int, bytearray]:
        """A field's length bytes from the length column's current end on (Whoosh writes one byte per
        document and field through four calls; these go to the column in one write)."""
        # Whoosh internals (W3PerDocWriter's column helpers): tested by
        # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
        perdoc, name = self.perdocwriter, _lenfield(fieldname)
        if not perdoc._has_column(name):
            perdoc._create_column(name, LENGTHS_COLUMN)
        column = self._length_columns[fieldname] = perdoc._get_column(name)
        buffer = self._lengths[fieldname] = (column._count, bytearray())
        return buffer

    def _write_lengths(self) -> None:
        """Hand the buffered lengths to their columns: before anything else writes to them."""
        for fieldname, (base, data) in self._lengths.items():
            column = self._length_columns[fieldname]
            # Whoosh internals (a column writer's _dbfile/_count): tested by
            # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
            column._dbfile.write(bytes(data))
            column._count = base + len(data)
        self._lengths.clear()

    def add_reader(self, reader) -> None:
        self._write_lengths()
        super().add_reader(reader)

    def _index(self, fieldname: str, plan: FieldPlan, value: str, docnum: int) -> int:
        """Note that `docnum` holds `value`'s units; returns the number of tokens (the field length)."""
        units = self.pool.field(fieldname).units
        if plan.split is None:  # the whole value is one unit, analysed by Whoosh
            entry = units.get(value)
            if entry is None:
                rows = list(plan.field.index(value))
                entry = units[value] = [[], tuple((row[0], (row[2] * 1.0, row[3] or b"")) for row in rows),
                                        sum(row[1] for row in rows), False]
            entry[0].append(docnum)
            return entry[2]
        if len(value) <= WHOLE_VALUE:  # a short value (a title, a category) is one unit: it repeats as a whole
            entry = units.get((value,))
            if entry is None:
                counts: Counter[bytes] = Counter()
                for unit in plan.split(value):
                    counts.update(dict(plan.unit_counts(unit)))
                entry = units[(value,)] = [[], tuple(counts.items()), counts.total(), False]
            if entry[2]:
                entry[0].append(docnum)
            return entry[2]
        parts = plan.split(value)
        entries = list(map(units.get, parts))
        if None in entries:
            for index, unit in enumerate(parts):
                if entries[index] is None:
                    entry = units.get(unit)
                    if entry is None:
                        counts = plan.unit_counts(unit)
                        entry = units[unit] = [[], counts, sum(map(_second, counts)), False]
                    entries[index] = entry
        if len(set(parts)) < len(parts):  # a clause twice in one document: its counts are summed at commit
            for unit, times in Counter(parts).items():
                if times > 1:
                    units[unit][3] = True
        deque(map(list.append, map(_first, entries), repeat(docnum)), maxlen=0)  # the loop, in C
        return sum(map(_third, entries))

    # Whoosh internals (SegmentWriter._flush_segment, fieldwriter._postwriter): tested by
    # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
    def _flush_segment(self) -> None:
        self._write_lengths()
        self.perdocwriter.close()
        if self.codec.length_stats or not hasattr(self.fieldwriter, "_postwriter"):  # Whoosh's generic way
            pdr = self.per_document_reader() if self.codec.length_stats else None
            self.fieldwriter.add_postings(self.schema, pdr, self.pool.iter_postings())
            if pdr:
                pdr.close()
        else:
            write_postings(self.fieldwriter, self.schema, self.pool)
        self.fieldwriter.close()


class _Generic(Exception):
    """A document this writer leaves to Whoosh's generic path."""


def _keyword_counts(keyword: str) -> tuple[tuple[bytes, int], ...]:
    return ((keyword.encode("utf-8"), 1),)


def write_postings(fieldwriter, schema, pool: TermPool) -> None:
    """What Whoosh's FieldWriter.add_postings and the W3 posting writer do with sorted postings, a block at
    a time: the same blocks, statistics and bytes (no lengths: the codec keeps no length statistics)."""
    for fieldname in sorted(pool.fields):
        started = False  # a field without postings must not be started: it would take a field number
        fixed_size = schema[fieldname].format.fixed_value_size()
        for tbytes, docs, pairs in pool.terms(fieldname, pool.values.get(fieldname)):
            if not started:
                fieldwriter.start_field(fieldname, schema[fieldname])
                # Whoosh internals (W3FieldWriter._postwriter, W3PostingsWriter._blocklimit): tested by
                # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
                postwriter = fieldwriter._postwriter
                limit = postwriter._blocklimit
                started = True
            fieldwriter.start_term(tbytes)
            count = len(docs)
            if count < postwriter._inlinelimit:  # kept in the term's entry by finish_term, as Whoosh's writer does
                _buffer(postwriter, docs, pairs)
            elif isinstance(pairs, Constant):  # every posting of the term alike (the usual case)
                weight, value = pairs.pair
                one = array("f", [weight])
                for start in range(0, count, limit):
                    size = min(limit, count - start)
                    _write_block(postwriter, docs[start:start + limit], one * size, [value] * size if value else [],
                                 weight, fixed_size, last=start + limit >= count)
            else:
                for start in range(0, count, limit):
                    chunk = pairs[start:start + limit]
                    weights = array("f", map(_first, chunk))
                    _write_block(postwriter, docs[start:start + limit], weights, [v for _w, v in chunk if v],
                                 max(map(_first, chunk)), fixed_size, last=start + limit >= count)
            fieldwriter.finish_term()
        if started:
            fieldwriter.finish_field()


# Whoosh internals (W3PostingsWriter's block fields): tested by
# tests/search/test_segment_writer.py::test_single_postings_are_inlined
def _buffer(pw: W3PostingsWriter, docs: array, pairs: Any) -> None:
    """The postings of a term too short for a block, left in the writer's buffer as its add_posting would."""
    chunk = [pairs.pair] * len(docs) if isinstance(pairs, Constant) else list(pairs)
    pw._ids = array("I", docs)
    pw._weights = array("f", map(_first, chunk))
    pw._values = [value for _weight, value in chunk if value]
    pw._maxweight = max(0, *map(_first, chunk))


# Whoosh internals (W3PostingsWriter's block fields and _new_block): tested by
# tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
def _write_block(pw: W3PostingsWriter, ids: array, weights: array, values: list[bytes], top: float,
                 fixed_size: int | None, last: bool) -> None:
    """W3PostingsWriter._write_block for a block given whole (its _mini_* helpers loop in Python)."""
    if not pw._blockcount:
        pw._postfile.write(WHOOSH3_HEADER_MAGIC)
    pw._ids, pw._weights, pw._values = ids, weights, values
    pw._maxweight = top if top > 0 else 0  # Whoosh starts the block maximum at 0
    pw._terminfo.add_block(pw)
    count = len(ids)
    if weights.count(1.0) == count:
        mini_weights = None
    elif weights.count(weights[0]) == count:
        mini_weights = weights[0]
    else:
        mini_weights = tuple(weights)
    if fixed_size is None or fixed_size < 0:
        mini_values = tuple(values)
    elif fixed_size == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    data = pickle.dumps((tuple(map(sub, ids, chain((0,), ids))), mini_weights, mini_values), 2)
    compression = pw._compression
    if compression:
        data = zlib.compress(data, compression)
    info = pickle.dumps((count, ids[-1], pw._maxweight, compression, length_to_byte(pw._minlength),
                         length_to_byte(pw._maxlength)), 2)
    size = len(info) + len(data)
    pw._postfile.write_int(-size if last else size)
    pw._postfile.write(info)
    pw._postfile.write(data)
    pw._blockcount += 1
    pw._new_block()
