"""Autocomplete answers at most 10 titles whatever `limit` asks: a negative limit went through min(10, limit), the
suggestion store's SQL became LIMIT -4 (no limit to SQLite) and one anonymous request listed every matching title."""

from __future__ import annotations

import pytest

from search import indexer
from tests.catalog.helpers import make


@pytest.fixture
def many(app, db):
    for n in range(20):
        make(title=f"安全操作第{n}讲", publish=True)
    db.session.commit()
    indexer.drain_all(db.session, app.extensions["search"])


@pytest.mark.parametrize("limit", ["-5", "-1", "0", "11", "1000000"])
def test_no_limit_lifts_the_cap(client, many, limit):
    response = client.get(f"/api/v1/search/suggest?q=安全&limit={limit}")
    assert response.status_code == 200
    assert 1 <= len(response.get_json()["suggestions"]) <= 10


def test_the_usual_limits_still_hold(client, many):
    assert len(client.get("/api/v1/search/suggest?q=安全").get_json()["suggestions"]) == 8
    assert len(client.get("/api/v1/search/suggest?q=安全&limit=3").get_json()["suggestions"]) == 3


def test_the_backend_and_its_store_clamp_too(app, many):
    backend = app.extensions["search"]
    assert 1 <= len(backend.suggest("安全", limit=-5)) <= 10
    assert 1 <= len(backend.suggestions.suggest("安全", -5)) <= 20  # the store leaves the backend room to filter
