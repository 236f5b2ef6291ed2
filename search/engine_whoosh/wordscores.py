"""A word's scored matches as two `array` columns instead of a dict of Python ints and floats.

A word in every one of 100,000 documents took ~140 bytes a document as a dict (14 MB in the per-word memo) and
twice that while it was made; as columns it takes 12 (4 for the document number, 8 for its score, a C double:
the same float the dict held). `WordScores` is a read-only mapping, so code written for a dict keeps working,
with `items()` and `values()` that walk the columns in C. It keeps the order the dict had (its fields' postings
merged one after the other: the documents of the first field, then those new in each later field, each run
ascending), because that order breaks the last ties in rank (`sorted` is stable) and in set intersections.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import ItemsView, Iterator, Mapping, Sequence, ValuesView

from search.engine_whoosh.postings import Posting, bits_to_ids


class WordScores(Mapping[int, float]):
    """Document number -> score, as columns: `ids` (typecode "i") in the order described above, `scores`
    ("d") beside them, and `ends`, where each ascending run of `ids` ends (a lookup is a bisect per run)."""

    __slots__ = ("ids", "scores", "ends")

    def __init__(self, ids: array[int], scores: array[float], ends: Sequence[int]) -> None:
        self.ids, self.scores, self.ends = ids, scores, tuple(ends)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids)

    def index(self, doc: int) -> int:
        """Where `doc` is in the columns; -1 when absent."""
        ids, start = self.ids, 0
        for end in self.ends:
            found = bisect_left(ids, doc, start, end)
            if found < end and ids[found] == doc:
                return found
            start = end
        return -1

    def __getitem__(self, doc: int) -> float:
        found = self.index(doc)
        if found < 0:
            raise KeyError(doc)
        return self.scores[found]

    def __contains__(self, doc: object) -> bool:
        return isinstance(doc, int) and self.index(doc) >= 0

    def items(self) -> _PairedItems:
        return _PairedItems(self)

    def values(self) -> _ArrayValues:
        return _ArrayValues(self)

    def nbytes(self) -> int:
        """Bytes its columns hold (shared with the posting cache when the word is in one field only)."""
        return self.ids.itemsize * len(self.ids) + self.scores.itemsize * len(self.scores)


class _PairedItems(ItemsView[int, float]):
    """(document, score) pairs straight from the columns (Mapping's own would look each score up)."""

    __slots__ = ("_columns",)

    def __init__(self, columns: WordScores) -> None:
        super().__init__(columns)
        self._columns = columns

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return zip(self._columns.ids, self._columns.scores, strict=True)


class _ArrayValues(ValuesView[float]):
    """The scores column itself, in the columns' order."""

    __slots__ = ("_columns",)

    def __init__(self, columns: WordScores) -> None:
        super().__init__(columns)
        self._columns = columns

    def __iter__(self) -> Iterator[float]:
        return iter(self._columns.scores)


def word_scores(postings: Sequence[Posting], size: int) -> WordScores:
    """The scores a dict updated with each posting in turn would hold, in that dict's order: a later posting's
    score wins (`FIELD_ORDER`: ascending boost, so the best field's). One posting's columns are used as they are
    (shared with the posting cache); several are merged through one dense column of `size` doubles (0.8 MB at
    100,000 documents, dropped at once), never one Python object per document kept."""
    if len(postings) == 1:
        only = postings[0]
        return WordScores(only.ids, only.scores, (len(only.ids),))
    ids: array[int] = array("i")
    ends: list[int] = []
    best: array[float] = array("d", [0.0]) * size
    seen = 0
    for posting in postings:
        new = posting.bits & ~seen
        if new:
            ids.extend(posting.ids if new == posting.bits else bits_to_ids(new))
            ends.append(len(ids))
        seen |= posting.bits
        for doc, score in zip(posting.ids, posting.scores, strict=True):
            best[doc] = score
    return WordScores(ids, array("d", map(best.__getitem__, ids)), ends)
