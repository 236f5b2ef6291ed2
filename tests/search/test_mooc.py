"""Relevance over the real MOOC course list of ../shared/data (skipped when absent)."""

from __future__ import annotations

import csv

import pytest

from search.backend import WhooshBackend
from search.documents import ResourceDoc
from search.engine import SearchRequest
from tests.conftest import shared_file

QUERIES = [("数据结构", "数据结构"), ("python", "Python"), ("shujujiegou", "数据结构"), ("sjjg", "数据结构"),
           ("计算机网络", "计算机网络"), ("C语言", "C语言"), ("jisuanjiwangluo", "计算机网络"),
           ("机器学习", "机器学习"), ("pyhton", "Python")]


@pytest.fixture(scope="module")
def mooc(tmp_path_factory):
    path = shared_file("courses_cn_mooc.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        docs = [ResourceDoc(id=i + 1, title=row["title"], kind="course", summary=row["description"][:200],
                            description_html=row["description"], provider=row["provider"][:20],
                            provider_name=row["provider"], teachers=row["teachers"].split(";"),
                            enrolled=int(row["learner_count"] or 0))
                for i, row in enumerate(csv.DictReader(fh))]
    backend = WhooshBackend(tmp_path_factory.mktemp("mooc"))
    backend.rebuild(docs)
    return backend


@pytest.mark.slow
@pytest.mark.parametrize(("query", "in_title"), QUERIES)
def test_real_courses_are_found_by_word_pinyin_and_initials(mooc, query, in_title):
    hits = mooc.search(SearchRequest(q=query)).hits
    assert hits, query
    top = [hit.title.lower() for hit in hits[:10]]
    assert sum(in_title.lower() in title for title in top) >= min(len(top), 3) * 0.6, (query, top)
