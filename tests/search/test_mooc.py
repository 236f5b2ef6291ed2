"""Relevance over the real MOOC course list of ../shared/data (skipped when absent), imported the way an
institution would: a CSV through the catalog's bulk import, published, then indexed from the outbox."""

from __future__ import annotations

import csv
import io

import pytest

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.tabular import TableLimits
from catalog import imports
from search.backend import SearchRequest
from tests.conftest import shared_file

# (query, words the top results' titles should hold)
QUERIES = [("数据结构", "数据结构"), ("python", "Python"), ("shujujiegou", "数据结构"), ("sjjg", "数据结构"),
           ("计算机网络", "计算机网络"), ("C语言", "C语言"), ("jisuanjiwangluo", "计算机网络"),
           ("机器学习", "机器学习"), ("pyhton", "Python")]
COLUMNS = ["title", "kind", "summary", "description", "category", "teachers", "tags", "external_url", "audience"]


def _import_csv(path) -> bytes:
    """The MOOC rows in the catalog import's columns (written fresh; the shared file is only read)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            category = "academic-zhuanke" if row["source"].startswith("icourse163") else "skills-manufacturing"
            writer.writerow([row["title"], "course", row["description"][:200], row["description"], category,
                             row["teachers"].replace(";", "；"), row["tags"], row["url"], "zhuanke"])
    return out.getvalue().encode("utf-8")


@pytest.mark.slow
def test_real_courses_imported_through_the_catalog_are_found(app, db, runner):
    data = _import_csv(shared_file("courses_cn_mooc.csv"))
    provider = organisations.get_by_code(db.session, "INST-T1")
    report = imports.import_resources(db.session, SYSTEM, provider, data, "mooc.csv", valid_only=True, publish=True,
                                      limits=TableLimits(max_bytes=len(data) + 1))
    db.session.commit()
    assert report.imported >= 0.9 * report.rows, report.errors[:5]
    backend = app.extensions["search"]
    result = runner.invoke(args=["search", "rebuild"])  # what an operator runs after a large import
    assert result.exit_code == 0 and f"{report.imported} resources indexed" in result.output, result.output
    assert backend.stats()["documents"] == report.imported
    for query, in_title in QUERIES:
        hits = backend.search(SearchRequest(q=query)).hits
        top = [hit.title.lower() for hit in hits[:10]]
        assert sum(in_title.lower() in title for title in top) >= min(len(top), 3) * 0.6, (query, top)
