"""A query asked again answers from its kept first ranks (`execute.Ranked`) instead of scoring every match:
the page a user sees must be exactly the one ranking all matches gives, whatever the filters and the page."""

from __future__ import annotations

from dataclasses import replace

import pytest

from search.backend import SearchRequest
from search.engine_whoosh import WhooshBackend
from search.engine_whoosh import execute as engine
from search.engine_whoosh.postings import bits_to_ids
from search.query import parse
from search.ranking import tie_order
from tests.search import corpus

QUERIES = ["电工", "培训", "安全", "焊工 培训", "叉车司机", "diangong", "dg", "母婴户理", "c语言", "电工证怎么考",
           "铲车", "学校", "没有这个词"]
FILTERS = [{}, {"kind": ["course"]}, {"provider": ["P1"]}, {"kind": ["course"], "provider": ["P2", "P3"]}]


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> WhooshBackend:
    """The relevance corpus 30 times over (many documents tie on score: only enrollment tells them apart)."""
    docs = [replace(doc, id=copy * 1000 + doc.id, enrolled=(doc.enrolled * 7 + copy * 131) % 997)
            for copy in range(30) for doc in corpus.documents()]
    backend = WhooshBackend(tmp_path_factory.mktemp("pruned") / "index")
    backend.rebuild(docs)
    return backend


def _exhaustive(backend: WhooshBackend, request: SearchRequest) -> tuple[list[tuple[int, float]], int, dict]:
    """The page as ranking every match gives it ((resource id, score) each), the total and the facet counts."""
    view = backend.store.view()
    parsed = parse(request.q, view.has_term, request.synonyms)
    found, _relaxed = engine._match(view, parsed)
    matched = found.bitset(view.size) & view.live
    selected = engine._filter_bits(view, request.filters)
    final = matched
    for bits in selected.values():
        final &= bits
    enrolled = view.sort["enrolled"]
    ranked = sorted(bits_to_ids(final), key=lambda d: tie_order(found.scores[d], enrolled[d]))
    page = ranked[(request.page - 1) * request.per_page:request.page * request.per_page]
    return ([(int(view.stored(doc)["id"]), round(found.scores[doc], 4)) for doc in page], final.bit_count(),
            engine._facet_counts(view, matched, selected))


@pytest.mark.parametrize("q", QUERIES)
def test_a_pruned_page_is_the_page_of_all_matches_ranked(backend, q, monkeypatch):
    monkeypatch.setattr(engine, "KEPT_RANKS", 25)  # few kept: the filters and pages run past them
    for filters in FILTERS:
        for page in (1, 2, 4):
            request = SearchRequest(q=q, filters=filters, page=page, per_page=10, highlight=False,
                                    synonyms=corpus.SYNONYMS)
            hits, total, facets = _exhaustive(backend, request)
            for _asked in range(2):  # first ask (scores every match) and again (from the kept ranks and counts)
                result = backend.search(request)
                assert [(hit.id, hit.score) for hit in result.hits] == hits, (q, filters, page)
                assert (result.total, result.facets) == (total, facets), (q, filters, page)


def test_counts_and_facets_are_the_same_asked_again(backend):
    request = SearchRequest(q="培训", filters={"kind": ["course"]}, highlight=False)
    first = backend.search(request)
    again = backend.search(request)
    assert first.total == again.total > 100 and first.facets == again.facets
    assert first.total == sum(first.facets["kind"].get(kind, 0) for kind in ["course"])


def test_browsing_without_a_query_counts_the_same_asked_again(backend):
    view = backend.store.view()
    for filters in FILTERS + [{"provider": ["P1"]}, {}]:  # more combinations than are kept, some asked again
        expected = engine._facet_counts(view, view.live, engine._filter_bits(view, filters))
        for _asked in range(2):
            result = backend.search(SearchRequest(filters=filters, highlight=False))
            assert result.facets == expected, filters
