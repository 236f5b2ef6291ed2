"""Running a parsed query over a `View`: match, filter, count facets, order, page, highlight.

Scoring is BM25 per field with field boosts; a word's score in a document is that of its best field
(title 8 > meta 3 > body 1, "dis-max"), and the concepts of a query add up. All concepts must match (AND);
when that finds nothing, any word may (OR) and the result says so (`relaxed`). Only the shown page is
highlighted; nothing outside the page is read from stored fields.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from search import snippets
from search.postings import View, bits_to_ids, ids_to_bits
from search.query import Alternative, Concept, ParsedQuery, parse
from search.schema import FACETS

FIELD_ORDER = ("body", "meta", "title")  # ascending boost: later fields overwrite (dis-max)
SORTS = ("relevance", "newest", "enrolled")
MAX_PER_PAGE = 50
MAX_PAGE = 100
FACET_VALUES = 30  # values shown per facet, most frequent first

Scores = dict[int, float]


@dataclass
class SearchRequest:
    q: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)  # facet name -> accepted values
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlight: bool = True   # snippets and marked titles for the shown page
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class Hit:
    id: int
    title: str
    kind: str
    provider: str
    provider_name: str
    credits: float
    score: float
    title_html: Markup
    snippet: Markup
    published_at: int = 0
    enrolled: int = 0


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    relaxed: bool = False                    # AND found nothing: these match some of the words
    suggestion: str | None = None            # "did you mean"
    corrected_from: str | None = None        # the query found nothing; results are for `suggestion`
    synonyms_used: tuple[tuple[str, str], ...] = ()
    query: ParsedQuery | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _weighted(scores: Scores, weight: float) -> Scores:
    return scores if weight == 1.0 else {doc: score * weight for doc, score in scores.items()}


def _and(parts: list[Scores]) -> Scores:
    if not parts:
        return {}
    parts = sorted(parts, key=len)
    keys = parts[0].keys()
    for other in parts[1:]:
        keys = keys & other.keys()
        if not keys:
            return {}
    return {doc: sum(part[doc] for part in parts) for doc in keys}


def _word(view: View, token: str) -> Scores:
    scores: Scores = {}
    for name in FIELD_ORDER:
        posting = view.posting(name, token)
        if posting is not None:
            scores.update(zip(posting.ids, posting.scores, strict=True))
    return scores


def _alternative(view: View, alt: Alternative) -> Scores:
    if alt.kind == "text":
        scores = _and([_word(view, token) for token in alt.tokens])
    else:
        parts = []
        for token in alt.tokens:
            posting = view.posting(alt.kind, token)
            parts.append(dict(zip(posting.ids, posting.scores, strict=True)) if posting else {})
        scores = _and(parts)
    return _weighted(scores, alt.weight)


def _concept(view: View, concept: Concept) -> Scores:
    scores: Scores = {}
    for alt in sorted(concept.alternatives, key=lambda a: a.weight):  # the strongest reading wins
        scores.update(_alternative(view, alt))
    return scores


def _unphrased(concept: Concept) -> Concept:
    """The same concept with its phrases' words no longer required to stand together."""
    return Concept(concept.text, tuple(replace(a, tokens=a.words, phrase=False) if a.phrase and not a.exact else a
                                       for a in concept.alternatives))


def _match(view: View, parsed: ParsedQuery) -> tuple[Scores, bool]:
    """All concepts (phrases as phrases); else all words anywhere; else any word, flagged `relaxed`."""
    scores = _and([_concept(view, concept) for concept in parsed.concepts])
    if not scores and any(a.phrase and not a.exact for c in parsed.concepts for a in c.alternatives):
        scores = _and([_concept(view, _unphrased(concept)) for concept in parsed.concepts])
    if scores or len(parsed.concepts) + sum(len(c.loose_tokens) for c in parsed.concepts) <= 2:
        return scores, False
    loose: Scores = {}
    for token in {t for c in parsed.concepts for t in c.loose_tokens}:
        for doc, score in _word(view, token).items():
            loose[doc] = loose.get(doc, 0.0) + score
    return loose, bool(loose)


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


def _order(view: View, docs: list[int], scores: Scores | None, sort: str, wanted: int) -> list[int]:
    enrolled = view.sort["enrolled"]
    if sort == "newest" or (scores is None and sort == "relevance"):
        key = view.sort["published_at"].__getitem__
    elif sort == "enrolled":
        key = enrolled.__getitem__
    else:
        top = heapq.nlargest(wanted + 20, docs, key=scores.__getitem__)
        return sorted(top, key=lambda d: (-round(scores[d], 6), -enrolled[d]))[:wanted]
    return heapq.nlargest(wanted, docs, key=key)


def _hit(view: View, doc: int, score: float, parsed: ParsedQuery, highlight: bool = True) -> Hit:
    stored = view.stored(doc)
    spelled = frozenset(t for c in parsed.concepts for a in c.alternatives if a.kind == "pinyin" for t in a.tokens)
    initials = frozenset(t for c in parsed.concepts for a in c.alternatives if a.kind == "initials" for t in a.tokens)
    title, body = stored.get("title", ""), stored.get("body", "")
    terms = set(parsed.highlight) | snippets.sound_matches(title, spelled, initials) if highlight else set()
    return Hit(id=int(stored["id"]), title=title, kind=stored.get("kind", ""), provider=stored.get("provider", ""),
               provider_name=stored.get("provider_name", ""), credits=float(stored.get("credits") or 0),
               score=round(score, 4), title_html=snippets.title_html(title, terms),
               snippet=snippets.snippet_html(body, stored.get("summary", ""), terms),
               published_at=view.sort["published_at"][doc], enrolled=view.sort["enrolled"][doc])


def execute(view: View, request: SearchRequest, parsed: ParsedQuery | None = None) -> SearchResult:
    """Search one index generation. `parsed` may be given (the caller corrected it)."""
    if parsed is None:
        parsed = parse(request.q, view.has_term, request.synonyms)
    per_page = max(1, min(MAX_PER_PAGE, request.per_page))
    page = max(1, min(MAX_PAGE, request.page))
    sort = request.sort if request.sort in SORTS else "relevance"
    if parsed.empty:
        scores, relaxed, matched = None, False, view.live
    else:
        scores, relaxed = _match(view, parsed)
        matched = ids_to_bits(scores, view.size) & view.live
    selected = _filter_bits(view, request.filters)
    final = matched
    for bits in selected.values():
        final &= bits
    total = final.bit_count()
    facets = _facet_counts(view, matched, selected) if request.facets else {}
    docs = bits_to_ids(final) if total else []
    ordered = _order(view, docs, scores, sort, page * per_page)[(page - 1) * per_page:]
    hits = [_hit(view, doc, scores.get(doc, 0.0) if scores else 0.0, parsed, request.highlight) for doc in ordered]
    return SearchResult(total, page, per_page, hits, facets, relaxed=relaxed, synonyms_used=parsed.synonyms_used,
                        query=parsed)


def describe(result: SearchResult) -> dict[str, Any]:
    """Counts for logs and the benchmark."""
    return {"total": result.total, "hits": len(result.hits), "relaxed": result.relaxed}


Speller = Callable[[str], str | None]
