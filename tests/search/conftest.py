"""Search fixtures: a backend over the written corpus (built once per module, in a temporary folder), and
the menu seeded wherever an app exists (resources are made through the catalog's services)."""

from __future__ import annotations

import pytest

from app.extensions import db as _db
from catalog import categories
from search.engine_whoosh import WhooshBackend
from tests.search import corpus


@pytest.fixture(scope="module")
def corpus_backend(tmp_path_factory) -> WhooshBackend:
    backend = WhooshBackend(tmp_path_factory.mktemp("search") / "index")
    backend.rebuild(corpus.documents())
    return backend


@pytest.fixture(autouse=True)
def _seeded_menu(request):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            categories.seed_menu(_db.session)
            _db.session.commit()

