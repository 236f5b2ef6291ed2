"""The Whoosh engine's query path over a `View`: match, filter, count facets, order, page, highlight.

Scoring is BM25 per field with the field boosts of `search.ranking`; a word's score in a document is that of
its best field (title 8 > meta 3 > body 1, "dis-max"), and the concepts of a query add up. All concepts must
match (AND); when that finds nothing, any word may (OR) and the result says so (`relaxed`). Only the shown
page is highlighted; nothing outside the page is read from stored fields.

A word's matches do not depend on the query, so they are computed once per index generation and kept in the
View (`_memo`, bounded by the documents they hold) as array columns (`wordscores.WordScores`, 12 bytes a
document, not a dict's ~140: a word in every document is made and kept without a Python object per document).
What a query needs to answer again is kept apart and small (`Ranked`, in `View.ranked`): the bitset of its
matches and only the first `KEPT_RANKS` of its rank order. Asked again in the same generation, it is a few bit
operations (count, facets, filters) and a walk down those first documents until a page's worth passes the
filters, and its facet counts are kept too, however many documents a common word matches (past 100,000
documents a common word's scores no longer fit the word memo, and scoring and sorting them again was each
query's cost). Only when the kept ones do not fill the page (a rare filter, a deep page) are the scores
computed again. The first ask of a query in a generation still scores all its matches.
"""

from __future__ import annotations

import contextlib
import heapq
from array import array
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple, cast

from search.backend import FACETS, MAX_PAGE, MAX_PER_PAGE, SORTS, Hit, SearchRequest, SearchResult
from search.documents import unpack_display
from search.engine_whoosh import snippets
from search.engine_whoosh.matched import (
    NOTHING,
    Matched,
    ScoreMap,
    all_of,
    common_docs,
    first_ranks,
    looked_up,
    weighted,
)
from search.engine_whoosh.postings import View, bits_to_ids
from search.engine_whoosh.wordscores import word_scores
from search.query import Alternative, Concept, ParsedQuery, parse
from search.ranking import FIELD_ORDER, PREFER_WEIGHT

FACET_VALUES = 30  # values shown per facet, most frequent first

Scores = dict[int, float]
QueryKey = tuple[tuple[Concept, ...], tuple[str, ...]]  # what a query matches: its concepts, its preferred words
FacetMemo = dict[tuple[tuple[str, tuple[str, ...]], ...], dict[str, dict[str, int]]]  # filters -> facet counts


# Scored documents kept in per-word matches per View: 16 bytes each (a document number and score in the word's
# columns, 4 more for its rank order once ranked), so 300,000 hold ~4.8 MB (as dicts, 100,000 held 14 MB; issue
# 20). A word's bitset is counted as the documents its bytes would hold, so that many rare words (a 12.5 kB
# bitset each at 100,000 documents, however few they match) are bounded too.
MEMO_DOCS = 300_000


def _kept_docs(matched: Matched) -> int:
    return len(matched.scores) + (matched.bits.bit_length() // 128 if matched.bits else 0)


def _memo(view: View, key: tuple[str, str], make: Callable[[], Matched]) -> Matched:
    """The word's matches in `view`, made once; the least recently asked are dropped past MEMO_DOCS."""
    memo = cast("OrderedDict[tuple[str, str], Matched]", view.memo)  # postings.py cannot name Matched
    found = memo.get(key)
    if found is None:
        found = memo[key] = make()
        kept = view.memo_docs = view.memo_docs + _kept_docs(found)
        while kept > MEMO_DOCS and len(memo) > 1:
            _key, dropped = memo.popitem(last=False)
            kept = view.memo_docs = kept - _kept_docs(dropped)
    else:
        with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
            memo.move_to_end(key)
    return found


KEPT_RANKS = 500  # documents of a query's rank order kept in `Ranked` (with scores: 16 bytes each)
RANKED_BYTES = 12_000_000  # `Ranked` entries kept per View: bitsets (documents / 8 bytes each) and first ranks


class Ranked(NamedTuple):
    """What a query matched (the documents' bitset, how many, whether only the OR fallback found them) and the
    first KEPT_RANKS of them in rank order with their scores: all a page of it needs unless the filters pass
    too few of those."""

    bits: int
    matches: int
    relaxed: bool
    docs: array[int]
    scores: array[float]
    facets: FacetMemo  # counts per filters asked

    def first(self, final: int, wanted: int) -> tuple[list[int], list[float]] | None:
        """The `wanted` best of `final` (a subset of `bits`) with their scores; None when the kept ones are too
        few to tell (fewer pass than wanted while more documents match than were kept)."""
        raw = final.to_bytes((final.bit_length() + 7) // 8, "little")
        size, docs, scores = len(raw), [], []
        for doc, score in zip(self.docs, self.scores, strict=True):
            index = doc >> 3
            if index < size and raw[index] >> (doc & 7) & 1:
                docs.append(doc)
                scores.append(score)
                if len(docs) == wanted:
                    return docs, scores
        return (docs, scores) if len(self.docs) == self.matches else None


def _ranked(view: View, parsed: ParsedQuery) -> Ranked:
    """The query's `Ranked` in `view`, made once per generation; the least recently asked are dropped past
    RANKED_BYTES."""
    key: QueryKey = (parsed.concepts, parsed.prefer)
    memo = cast("OrderedDict[QueryKey, Ranked]", view.ranked)
    found = memo.get(key)
    if found is not None:
        with contextlib.suppress(KeyError):  # dropped by another thread meanwhile
            memo.move_to_end(key)
        return found
    matched, relaxed = _match(view, parsed)
    first = first_ranks(matched.scores, view.sort["enrolled"], KEPT_RANKS)
    found = memo[key] = Ranked(matched.bitset(view.size), len(matched.scores), relaxed,
                               array("l", [doc for doc, _score in first]),
                               array("d", [score for _doc, score in first]), {})
    kept = view.ranked_bytes = view.ranked_bytes + _bytes(found)
    while kept > RANKED_BYTES and len(memo) > 1:
        _key, dropped = memo.popitem(last=False)
        kept = view.ranked_bytes = kept - _bytes(dropped)
    return found


def _bytes(ranked: Ranked) -> int:
    return ranked.bits.bit_length() // 8 + 16 * len(ranked.docs) + 200 + 10_000 * KEPT_FACETS  # counts: ~10 kB


KEPT_FACETS = 2  # facet counts kept per query: for its last few combinations of filters


def _counted(view: View, ranked: Ranked | None, matched: int, selected: dict[str, int],
             filters: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    """`_facet_counts`, kept with the query's `Ranked` (or the View, browsing without a query) for the filters
    asked: counting ANDs every value's bitset (600 providers at 200,000 documents: most of a faceted query's
    time), and the counts do not change within an index generation."""
    kept = ranked.facets if ranked is not None else cast(FacetMemo, view.browse_facets)
    key = tuple(sorted((name, tuple(sorted(set(filters[name])))) for name in selected))
    counts = kept.get(key)
    if counts is None:
        counts = _facet_counts(view, matched, selected)
        if len(kept) >= KEPT_FACETS:
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):  # another thread's meanwhile
                del kept[next(iter(kept))]
        kept[key] = counts
    return {name: dict(values) for name, values in counts.items()}


WARM_WORDS = 64  # words prepared in a new View before it is used: the most recently asked of the old one


def warm(old: View, new: View) -> None:
    """Prepare in `new` the words and queries most recently asked of `old` (matches and rank order), so that
    the first queries after an index commit find them ready. Run by whoever commits, before the new View is
    used."""
    try:
        memo = cast("OrderedDict[tuple[str, str], Matched]", old.memo)
        recent = list(memo.items())[-WARM_WORDS:]  # oldest first, as they go into the new memo
        queries = list(cast("OrderedDict[QueryKey, Ranked]", old.ranked))[-WARM_WORDS:]
    except RuntimeError:  # changed by a query meanwhile: start cold
        return
    enrolled = new.sort["enrolled"]
    for (kind, token), before in recent:
        matched = _word(new, token) if kind == "text" else _sound(new, kind, token)
        if before.ranked is not None and matched.ranked is None:  # it was asked alone: ranked the same way
            matched.rank(enrolled)
    for concepts, prefer in queries:
        _ranked(new, ParsedQuery("", concepts, prefer=prefer))


def _word(view: View, token: str) -> Matched:
    """A word's best score over the text fields (dis-max), the same for every query: kept per View."""
    def make() -> Matched:
        postings = [posting for name in FIELD_ORDER if (posting := view.posting(name, token)) is not None]
        bits = 0
        for posting in postings:
            bits |= posting.bits
        return Matched(word_scores(postings, view.size), bits, rankable=True)

    return _memo(view, ("text", token), make)


def _sound(view: View, kind: str, token: str) -> Matched:
    def make() -> Matched:
        posting = view.posting(kind, token)
        return Matched(word_scores([posting], view.size), posting.bits, True) if posting else NOTHING

    return _memo(view, (kind, token), make)


def _alternative(view: View, alt: Alternative) -> Matched:
    if alt.kind == "text":
        matched = all_of([_word(view, token) for token in alt.tokens])
    else:
        matched = all_of([_sound(view, alt.kind, token) for token in alt.tokens])
    return weighted(matched, alt.weight)


def _concept(view: View, concept: Concept) -> Matched:
    if len(concept.alternatives) == 1:
        return _alternative(view, concept.alternatives[0])
    scores: Scores = {}
    for alt in sorted(concept.alternatives, key=lambda a: a.weight):  # the strongest reading wins
        scores.update(_alternative(view, alt).scores.items())
    return Matched(scores)


def _unphrased(concept: Concept) -> Concept:
    """The same concept with its phrases' words no longer required to stand together."""
    return Concept(concept.text, tuple(replace(a, tokens=a.words, phrase=False) if a.phrase and not a.exact else a
                                       for a in concept.alternatives))


def _preferred(view: View, matched: Matched, tokens: Sequence[str]) -> Matched:
    """`matched` with each document that also holds one of `tokens` raised by its best one (电工证怎么考: the
    electricians' documents about 考证 or 证书 first); nothing is added to or removed from the matches."""
    scores = matched.scores
    if not tokens or not scores:
        return matched
    best: Scores = {}
    for token in tokens:
        word = _word(view, token)
        small, large = (matched, word) if len(scores) < len(word.scores) else (word, matched)
        common = common_docs(small, large)
        found = looked_up(word.scores, common)
        for doc in common:
            best[doc] = max(best.get(doc, 0.0), found[doc])
    if not best:
        return matched
    raised = dict(scores.items())
    for doc, score in best.items():
        raised[doc] += PREFER_WEIGHT * score
    return Matched(raised)


def _match(view: View, parsed: ParsedQuery) -> tuple[Matched, bool]:
    """All concepts (phrases as phrases); else all words anywhere; else any word, flagged `relaxed`. Documents
    holding a preferred word rise among them."""
    matched, relaxed = _required(view, parsed)
    return _preferred(view, matched, parsed.prefer), relaxed


def _required(view: View, parsed: ParsedQuery) -> tuple[Matched, bool]:
    matched = all_of([_concept(view, concept) for concept in parsed.concepts])
    if not matched.scores and any(a.phrase and not a.exact for c in parsed.concepts for a in c.alternatives):
        matched = all_of([_concept(view, _unphrased(concept)) for concept in parsed.concepts])
    if matched.scores or len(parsed.concepts) + sum(len(c.loose_tokens) for c in parsed.concepts) <= 2:
        return matched, False
    loose: Scores = {}
    for token in {t for c in parsed.concepts for t in c.loose_tokens}:
        for doc, score in _word(view, token).scores.items():
            loose[doc] = loose.get(doc, 0.0) + score
    return Matched(loose), bool(loose)


def _filter_bits(view: View, filters: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Facet name -> bitset of documents with any of the accepted values."""
    selected = {}
    for name, values in filters.items():
        index_field = FACETS.get(name)
        if index_field and values:
            bits = 0
            for value in values:
                bits |= view.facets[index_field].get(value, 0)
            selected[name] = bits
    return selected


def _facet_counts(view: View, matched: int, selected: dict[str, int]) -> dict[str, dict[str, int]]:
    """Counts per facet value, each facet counted under the other facets' filters (so chips can switch)."""
    counts = {}
    for name, index_field in FACETS.items():
        base = matched
        for other, bits in selected.items():
            if other != name:
                base &= bits
        values = {value: (base & bits).bit_count() for value, bits in view.facets[index_field].items()}
        top = heapq.nlargest(FACET_VALUES, ((n, v) for v, n in values.items() if n))
        counts[name] = {value: n for n, value in top}
    return counts


def _order(view: View, final: int, count: int, matched: Matched | None, sort: str, wanted: int) -> list[int]:
    if sort == "relevance" and matched is not None:
        return matched.top(final, count, wanted, view.sort["enrolled"])
    column = view.sort["enrolled"] if sort == "enrolled" else view.sort["published_at"]
    return heapq.nlargest(wanted, bits_to_ids(final), key=column.__getitem__)


def _hit(view: View, doc: int, score: float, parsed: ParsedQuery, highlight: bool = True) -> Hit:
    stored = view.stored(doc)
    shown = unpack_display(stored["display"])
    spelled = frozenset(t for c in parsed.concepts for a in c.alternatives if a.kind == "pinyin" for t in a.tokens)
    initials = frozenset(t for c in parsed.concepts for a in c.alternatives if a.kind == "initials" for t in a.tokens)
    title = shown.title
    terms = set(parsed.highlight) | snippets.sound_matches(title, spelled, initials) if highlight else set()
    return Hit(id=int(stored["id"]), title=title, kind=shown.kind, provider=shown.provider,
               provider_name=shown.provider_name, credits=shown.credits,
               score=round(score, 4), title_html=snippets.title_html(title, terms),
               snippet=snippets.snippet_html(shown.body, shown.summary, terms),
               published_at=view.sort["published_at"][doc], enrolled=view.sort["enrolled"][doc])


def execute(view: View, request: SearchRequest, parsed: ParsedQuery | None = None) -> SearchResult:
    """Search one index generation. `parsed` may be given (the caller corrected it)."""
    if parsed is None:
        parsed = parse(request.q, view.has_term, request.synonyms)
    per_page = max(1, min(MAX_PER_PAGE, request.per_page))
    page = max(1, min(MAX_PAGE, request.page))
    sort = request.sort if request.sort in SORTS else "relevance"
    ranked: Ranked | None = None
    relaxed, matched = False, view.live
    if not parsed.empty:
        ranked = _ranked(view, parsed)
        relaxed, matched = ranked.relaxed, ranked.bits & view.live
    selected = _filter_bits(view, request.filters)
    final = matched
    for bits in selected.values():
        final &= bits
    total = final.bit_count()
    facets = _counted(view, ranked, matched, selected, request.filters) if request.facets else {}
    wanted = page * per_page
    ordered: list[int] = []
    scores: ScoreMap = {}
    first = ranked.first(final, wanted) if total and ranked is not None and sort == "relevance" else None
    if first is not None:
        ordered, kept = first
        scores = dict(zip(ordered, kept, strict=True))
    elif total:
        found = _match(view, parsed)[0] if ranked is not None else None
        ordered = _order(view, final, total, found, sort, wanted)
        scores = found.scores if found else {}
    hits = [_hit(view, doc, scores.get(doc, 0.0), parsed, request.highlight) for doc in ordered[(page - 1) * per_page:]]
    return SearchResult(total, page, per_page, hits, facets, relaxed=relaxed, synonyms_used=parsed.synonyms_used,
                        query=parsed)
