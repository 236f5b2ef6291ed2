"""/readyz (app/observability/readiness.py): 200 when the database, the media storage and this host's search replica
are ready; 503 with a JSON body naming what is not; the answer kept at most READY_CACHE_S."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.extensions import db as _db
from search import indexer
from tests.app.test_read_only_data import read_only
from tests.catalog.helpers import make
from tests.conftest import TEST_DATABASE_URL, _config


@pytest.fixture
def live(app):
    app.config["READY_CACHE_S"] = 0  # checked on every call
    return app


def test_ready_when_everything_is(live, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "failing": [],
                                   "checks": {"database": "ok", "storage": "ok", "search": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_while_the_search_index_is_behind_then_ready_once_caught_up(live, client, db):
    make(publish=True)
    db.session.commit()
    live.config["READY_MAX_INDEX_LAG_S"] = 0  # any waiting change is too old
    behind = client.get("/readyz")
    assert behind.status_code == 503
    body = behind.get_json()
    assert body["status"] == "not_ready" and body["failing"] == ["search"]
    assert body["checks"]["search"].startswith("search index behind")
    indexer.drain_all(db.session, live.extensions["search"])
    assert client.get("/readyz").status_code == 200


def test_not_ready_when_the_replica_misses_published_resources(live, client, db):
    """A host whose replica lost documents (or never got them: another host consumed the changes)."""
    resource = make(publish=True)
    db.session.commit()
    backend = live.extensions["search"]
    indexer.drain_all(db.session, backend)
    assert client.get("/readyz").status_code == 200
    backend.delete([resource.id])
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["search"] == "search index incomplete: 1 published resources missing"


def test_not_ready_when_storage_cannot_be_written(live, client):
    client.get("/readyz")  # the storage folder exists
    with read_only(Path(live.config["DATA_DIR"]) / "media"):
        answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["failing"] == ["storage"] and body["checks"]["storage"].startswith("storage cannot be written")


def test_not_ready_without_the_database(app, tmp_path):
    url = "postgresql://postgres@127.0.0.1:1/nowhere" if TEST_DATABASE_URL else f"sqlite:///{tmp_path}/no/such/x.db"
    site = create_app({**_config(tmp_path / "data"), "DATABASE_URL": url, "READY_CACHE_S": 0})
    answer = site.test_client().get("/readyz")
    with site.app_context():
        _db.engine.dispose()
    assert answer.status_code == 503
    assert "database" in answer.get_json()["failing"]
    assert answer.get_json()["checks"]["database"] == "unreachable"


def test_the_answer_is_kept_a_few_seconds(app, client, db):
    app.config.update(READY_CACHE_S=60.0, READY_MAX_INDEX_LAG_S=0)
    assert client.get("/readyz").status_code == 200
    make(publish=True)
    db.session.commit()
    assert client.get("/readyz").status_code == 200  # kept: at most 5 s, whatever the setting says
    cache = app.extensions["readiness"]
    cache._answer.at -= 5.0  # five seconds later
    assert client.get("/readyz").status_code == 503
