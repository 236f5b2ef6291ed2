"""A word in every document (安全 in every title of the generated catalog: issue 20 (4), 200 MB a web process) is
kept as array columns, scored a block at a time: what a user sees of it must not change (hits, order, scores,
counts, facets), and what the process keeps and makes for it must stay a few bytes a document.

The reference below is the way it was done before, written out: each field's postings decoded whole and scored
with one BM25 call, a word a dict updated field after field, an AND of dict views, a sort of every match."""

from __future__ import annotations

import gc
import random
import tracemalloc
from array import array
from collections import Counter
from datetime import datetime, timedelta

import pytest

from search import ranking
from search.backend import SearchRequest
from search.documents import ResourceDoc
from search.engine_whoosh import WhooshBackend, postings
from search.engine_whoosh import execute as engine
from search.engine_whoosh.postings import SCORED_FIELDS, Posting, View, decode, ids_to_bits
from search.engine_whoosh.wordscores import word_scores
from search.query import parse
from search.ranking import FIELD_ORDER, tie_order

COUNT = 6000
TRADES = ["电工", "焊工", "叉车", "厨师", "月嫂", "消防"]
KINDS = ["course", "video_lecture", "micro_course"]
DELETED = {7, 2500, COUNT - 10}  # in both segments: postings of deleted documents are skipped


def _documents(count: int) -> list[ResourceDoc]:
    """安全 in every title and summary (1-4 times: scores differ), a trade in every title and some tags."""
    start = datetime(2024, 1, 1)
    return [ResourceDoc(id=i + 1, title=f"{TRADES[i % 6]}安全操作规程 第{i}期", kind=KINDS[i % 3],
                        summary="安全 " * (1 + i % 4) + f"{TRADES[i // 6 % 6]}培训",
                        description_html="<p>" + "现场 " * (i % 17) + "</p>", provider=f"P{i % 4}",
                        provider_name=f"机构{i % 4}", tags=[TRADES[i % 6]] if i % 5 == 0 else [],
                        published_at=start + timedelta(hours=i), enrolled=i * 7919 % 10007)
            for i in range(count)]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[WhooshBackend, list[ResourceDoc]]:
    """Two segments (the second at an offset) with deletions in both."""
    folder = tmp_path_factory.mktemp("common") / "index"
    docs = _documents(COUNT)
    backend = WhooshBackend(folder)
    backend.rebuild(docs[:4000])
    backend.index(docs[4000:])
    backend.delete(DELETED)
    return backend, [doc for doc in docs if doc.id not in DELETED]


def _field_scores(view: View, field: str, token: str) -> dict[int, float]:
    """A field's postings decoded whole and scored in one BM25 call (View._load before it kept columns)."""
    ids: list[int] = []
    weights: list[float] = []
    for segreader, offset in view.leaves:
        for doc, weight in zip(*decode(segreader, field, token), strict=True):
            if doc not in segreader.deleted_docs_set:
                ids.append(doc + offset)
                weights.append(weight)
    boost, lengths = SCORED_FIELDS[field], view.lengths[field]
    scores = ranking.bm25([w / boost for w in weights], [lengths[doc] for doc in ids], boost, view.doc_count,
                          view.avg_length[field])
    return dict(zip(ids, scores, strict=True))


def _word(view: View, token: str) -> dict[int, float]:
    scores: dict[int, float] = {}
    for field in FIELD_ORDER:
        scores.update(_field_scores(view, field, token))
    return scores


def _dict_and(parts: list[dict[int, float]]) -> dict[int, float]:
    if len(parts) == 1:
        return parts[0]
    parts = sorted(parts, key=len)
    keys = parts[0].keys() & parts[1].keys()
    for other in parts[2:]:
        keys = keys & other.keys()
    return {doc: sum(part[doc] for part in parts) for doc in keys}


def _reference(view: View, q: str) -> tuple[dict[int, float], bool]:
    """A query of plain words as it was matched: all of them (AND); else, past two, any (OR, relaxed)."""
    parsed = parse(q, view.has_term)
    assert all(len(c.alternatives) == 1 and c.alternatives[0].kind == "text" for c in parsed.concepts), q
    assert not parsed.prefer, q
    matched = _dict_and([_dict_and([_word(view, t) for t in c.alternatives[0].tokens]) for c in parsed.concepts])
    if matched or len(parsed.concepts) + sum(len(c.loose_tokens) for c in parsed.concepts) <= 2:
        return matched, False
    loose: dict[int, float] = {}
    for token in {t for c in parsed.concepts for t in c.loose_tokens}:
        for doc, score in _word(view, token).items():
            loose[doc] = loose.get(doc, 0.0) + score
    return loose, bool(loose)


def _page(view: View, scores: dict[int, float], page: int, per_page: int, only: set[int] | None = None):
    enrolled = view.sort["enrolled"]
    ranked = sorted((doc for doc in scores if only is None or doc in only),
                    key=lambda d: tie_order(scores[d], enrolled[d]))
    return [(int(view.stored(doc)["id"]), round(scores[doc], 4)) for doc in ranked[(page - 1) * per_page:][:per_page]]


def _ask(backend: WhooshBackend, q: str, page: int = 1, per_page: int = 10, filters=None):
    request = SearchRequest(q=q, page=page, per_page=per_page, filters=filters or {}, highlight=False)
    first, again = backend.search(request), backend.search(request)  # scored, then from the kept first ranks
    assert [(h.id, h.score) for h in first.hits] == [(h.id, h.score) for h in again.hits]
    assert (first.total, first.facets, first.relaxed) == (again.total, again.facets, again.relaxed)
    return first


def test_a_word_in_every_document_pages_as_ranking_every_match_gave(built, monkeypatch):
    monkeypatch.setattr(postings, "SCORE_BLOCK", 512)  # scored in several blocks, as 100,000 documents are
    backend, docs = WhooshBackend(built[0].folder), built[1]  # a View of its own: 安全 made with those blocks
    view = backend.store.view()
    scores, _relaxed = _reference(view, "安全")
    assert {int(view.stored(doc)["id"]) for doc in scores} == {doc.id for doc in docs}
    for page, per_page in ((1, 10), (2, 10), (26, 20), (40, 50)):  # 500 are kept ranked: the last two go past
        result = _ask(backend, "安全", page, per_page)
        assert result.total == len(docs) and not result.relaxed
        assert [(h.id, h.score) for h in result.hits] == _page(view, scores, page, per_page), (page, per_page)


def test_and_or_and_missing_words_answer_as_before(built):
    backend, docs = built
    view = backend.store.view()
    welders = {doc.id for doc in docs if "焊工" in doc.title + doc.summary}
    for q in ("安全 焊工", "焊工 安全 培训", "焊工 电工 安全", "焊工 电工 没有这个词", "安全 没有这个词", "没有这个词"):
        scores, relaxed = _reference(view, q)
        for page in (1, 3):
            result = _ask(backend, q, page)
            assert (result.total, result.relaxed) == (len(scores), relaxed), q
            assert [(h.id, h.score) for h in result.hits] == _page(view, scores, page, 10), (q, page)
    assert _ask(backend, "安全 焊工").total == len(welders)  # AND: the welders' documents, all of them
    assert _ask(backend, "焊工 电工 没有这个词").relaxed  # no document has all: any word (OR), flagged
    assert _ask(backend, "没有这个词").total == 0


def test_facet_counts_of_a_word_in_every_document_are_its_documents_counts(built):
    backend, docs = built
    result = _ask(backend, "安全", filters={"kind": ["course"]})
    assert result.total == sum(doc.kind == "course" for doc in docs)
    assert result.facets["kind"] == dict(Counter(doc.kind for doc in docs))  # a facet ignores its own filter
    assert result.facets["provider"] == dict(Counter(doc.provider for doc in docs if doc.kind == "course"))
    view = backend.store.view()
    scores, _relaxed = _reference(view, "安全")
    kinds = {doc.id: doc.kind for doc in docs}
    courses = {doc for doc in scores if kinds[int(view.stored(doc)["id"])] == "course"}
    assert [(h.id, h.score) for h in result.hits] == _page(view, scores, 1, 10, courses)


def test_a_word_in_every_document_keeps_a_few_bytes_a_document(built, monkeypatch):
    """As a dict its memo took ~140 bytes a document and ~260 while it was made (the peak of issue 20 (4)).
    Kept now: its postings in two fields and its own columns, 12 bytes each a document, and bitsets."""
    backend, docs = built
    monkeypatch.setattr(postings, "SCORE_BLOCK", 512)
    view = WhooshBackend(backend.folder).store.view()  # a View of its own: nothing of 安全 made yet
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        matched = engine._word(view, "安全")
        kept, peak = (size - before for size in tracemalloc.get_traced_memory())
    finally:
        tracemalloc.stop()
    slack = 150_000  # the interpreter's free lists of floats and tuples are counted as held
    assert len(matched.scores) == len(docs)
    assert kept < 60 * len(docs) + slack, kept / len(docs)
    assert peak < 100 * len(docs) + slack, peak / len(docs)


def test_the_first_search_of_a_word_scoring_the_same_everywhere_stays_small(built, monkeypatch):
    """安全 in every title scores the same in nearly every document (two values here, one in the bench's 100,000):
    all are candidates for the first page, and ranking them all at once held ~25 MB at 100,000 documents."""
    backend, docs = built
    monkeypatch.setattr(postings, "SCORE_BLOCK", 512)
    searcher = WhooshBackend(backend.folder)  # a View of its own: nothing of 安全 made yet
    searcher.search(SearchRequest(q="焊工", highlight=False))  # the query parser's dictionary loaded first
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = searcher.search(SearchRequest(q="安全", page=2, highlight=False))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert result.total == len(docs) and len(result.hits) == 10
    assert peak < 120 * len(docs) + 150_000, peak / len(docs)


def test_word_columns_merge_and_intersect_in_the_order_dicts_did():
    """Ties in rank are broken by the order the matches were kept in (a stable sort): the columns keep a dict's
    order, and an AND of them builds its set as dict views' `&` did (set order depends on insertion order)."""
    rng = random.Random(20)
    size = 5000
    for _round in range(40):
        words = []
        for _word_number in range(rng.choice((2, 3, 3))):
            fields, dicts = [], {}
            for _field in range(rng.choice((1, 2, 3))):
                ids = sorted(rng.sample(range(size), rng.choice((1, 7, 300, 2000, 4000))))
                scores = [float(rng.randrange(1, 40)) / 7 for _ in ids]  # few values: many ties
                fields.append(Posting(array("i", ids), array("d", scores), ids_to_bits(ids, size)))
                dicts.update(zip(ids, scores, strict=True))
            columns = word_scores(fields, size)
            assert list(columns.items()) == list(dicts.items())
            assert all(columns[doc] == score for doc, score in list(dicts.items())[::97])
            bits = ids_to_bits(dicts, size)
            words.append((engine.Matched(columns, bits, rankable=True), engine.Matched(dicts, bits)))
        if rng.random() < 0.3:  # as long as another: the dict views' other branch
            words.append(words[0])
        as_columns = engine.all_of([columns for columns, _dicts in words])
        as_dicts = engine.all_of([dicts for _columns, dicts in words])
        assert list(as_columns.scores.items()) == list(_dict_and([dict(d.scores) for _c, d in words]).items())
        assert list(as_columns.scores.items()) == list(as_dicts.scores.items())
        enrolled = [rng.randrange(3) for _ in range(size)]
        ranked = words[0][0]
        ranked.rank(enrolled)
        assert list(ranked.ranked or ()) == sorted(words[0][1].scores,
                                                   key=lambda d: tie_order(words[0][1].scores[d], enrolled[d]))
