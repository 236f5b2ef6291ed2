"""A query's matching documents with their scores (`Matched`), and how the matches of its words combine: AND
by walking the smaller side, a weight for a word read another way, the first ranks of many through a heap. Apart
from execute.py, which runs a query over a View with them (and so that each stays a module one reads whole)."""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from search.engine_whoosh.postings import bits_to_ids, ids_to_bits
from search.engine_whoosh.wordscores import WordScores
from search.ranking import tie_order

ScoreMap = Mapping[int, float]  # a dict, or a word's `WordScores`


class Matched:
    """Matching documents with their scores, the same as a bitset (made once, when first needed) and, for a
    single word, its documents in rank order (sorted once per index generation and kept in the View: the
    top 10 of a common word is then the first few of that list that pass the filters, not a sort of 60,000
    scores per query). A word's scores are `WordScores` columns; what a query combines of them, a dict."""

    __slots__ = ("scores", "bits", "ranked", "rankable")
    scores: ScoreMap
    bits: int | None
    ranked: array[int] | None  # documents in rank order, once `rank` ran
    rankable: bool

    def __init__(self, scores: ScoreMap, bits: int | None = None, rankable: bool = False):
        self.scores, self.bits, self.ranked, self.rankable = scores, bits, None, rankable

    def bitset(self, size: int) -> int:
        if self.bits is None:
            self.bits = ids_to_bits(self.scores, size)
        return self.bits

    def rank(self, enrolled: Sequence[int]) -> None:
        """All its documents in rank order, as an array (4 bytes a document), sorted in the scores' own order so
        that ties the key cannot tell apart stay in it."""
        scores = self.scores
        if isinstance(scores, WordScores):
            ids, values = scores.ids, scores.scores
            order = sorted(range(len(ids)), key=lambda i: tie_order(values[i], enrolled[ids[i]]))
            self.ranked = array("i", map(ids.__getitem__, order))
        else:
            self.ranked = array("i", sorted(scores, key=lambda d: tie_order(scores[d], enrolled[d])))

    def top(self, final: int, count: int, wanted: int, enrolled: Sequence[int]) -> list[int]:
        """The `wanted` best of the documents in `final` (`count` of them), ties to the most enrolled."""
        scores = self.scores
        if not self.rankable or count * 8 < len(scores):  # few pass the filters: rank just those
            return [doc for doc, _score in first_ranks({doc: scores[doc] for doc in bits_to_ids(final)}, enrolled,
                                                       wanted)]
        if self.ranked is None:
            self.rank(enrolled)
        raw = final.to_bytes((final.bit_length() + 7) // 8, "little")
        size, out = len(raw), []
        for doc in cast("array[int]", self.ranked):  # rank() has set it
            index = doc >> 3
            if index < size and raw[index] >> (doc & 7) & 1:
                out.append(doc)
                if len(out) == wanted:
                    break
        return out


NOTHING = Matched({}, 0)


def first_ranks(scores: ScoreMap, enrolled: Sequence[int], kept: int) -> list[tuple[int, float]]:
    """The first `kept` (document, score) pairs of `scores` in rank order (as `Matched.rank` orders them all,
    ties the key cannot tell apart in the scores' own order): only the documents scoring at least the kept-th
    best (to six places, as ties are told) are ranked, through a heap of `kept` (`nsmallest` is a stable
    `sorted(...)[:kept]`): a word in every document scores the same in all of them (100,000 candidates, sorted
    whole they held ~25 MB of keys at once)."""
    candidates: Iterable[tuple[int, float]] = scores.items()
    if len(scores) > kept:
        floor = heapq.nlargest(kept, scores.values())[-1] - 1e-6  # within rounding of the kept-th score
        candidates = ((doc, score) for doc, score in candidates if score >= floor)
    return heapq.nsmallest(kept, candidates, key=lambda pair: tie_order(pair[1], enrolled[pair[0]]))


def weighted(matched: Matched, weight: float) -> Matched:
    scores = matched.scores
    if weight == 1.0:
        return matched
    if isinstance(scores, WordScores):  # a common word read another way (pinyin, a synonym): still columns
        return Matched(WordScores(scores.ids, array("d", (score * weight for score in scores.scores)), scores.ends),
                       matched.bits)
    return Matched({doc: score * weight for doc, score in scores.items()}, matched.bits)


def _kept(walked: Iterable[int], other: Matched) -> set[int]:
    """The documents of `walked` that `other` matches, added to the set in `walked`'s order (as a dict view's
    `&` adds them: the set's order breaks ties in rank later)."""
    scores = other.scores
    if isinstance(scores, WordScores) and other.bits is not None:  # a bit test, not a bisect per document
        raw = other.bits.to_bytes((other.bits.bit_length() + 7) // 8, "little")
        size = len(raw)
        return {doc for doc in walked if doc >> 3 < size and raw[doc >> 3] >> (doc & 7) & 1}
    return {doc for doc in walked if doc in scores}


def common_docs(first: Matched, second: Matched) -> set[int]:
    """`first.scores.keys() & second.scores.keys()` as two dicts give it: the smaller walked (the second when
    they are as long), the same set built in the same order."""
    walked, other = (first, second) if len(second.scores) > len(first.scores) else (second, first)
    return _kept(walked.scores, other)


def _narrowed(keys: set[int], part: Matched) -> set[int]:
    """`keys & part.scores.keys()` as for a dict: the set walked unless the part is not longer."""
    if len(part.scores) <= len(keys):
        return {doc for doc in part.scores if doc in keys}
    return _kept(keys, part)


def looked_up(scores: ScoreMap, keys: set[int]) -> ScoreMap:
    """`scores` for looking up `keys` in: a word's columns walked once into a dict of just those when they are
    many (a bisect each would cost more), else as they are."""
    if isinstance(scores, WordScores) and len(keys) * 20 > len(scores):
        return {doc: score for doc, score in scores.items() if doc in keys}
    return scores


def all_of(parts: list[Matched]) -> Matched:
    if not parts:
        return NOTHING
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=lambda part: len(part.scores))
    keys = common_docs(parts[0], parts[1])
    for other in parts[2:]:
        if not keys:
            break
        keys = _narrowed(keys, other)
    if not keys:
        return NOTHING
    columns = [looked_up(part.scores, keys) for part in parts]
    return Matched({doc: sum(scores[doc] for scores in columns) for doc in keys})
